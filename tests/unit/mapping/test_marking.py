"""Which objects a failed check's map marks."""

from __future__ import annotations

import pytest

from kklab.grading.results import CheckResult
from kklab.mapping.marking import looked_at, node_of


@pytest.mark.parametrize(
    ("subject", "node"),
    [
        ("v1 Service lab-05/web", "Service/web"),
        ("apps/v1 Deployment lab-02-lifecycle/api", "Deployment/api"),
        ("v1 PersistentVolume lab07-local-1", "PersistentVolume/lab07-local-1"),
        ("pods in lab-01-pods", None),
        ("", None),
    ],
)
def test_a_subject_names_a_node(subject: str, node: str | None) -> None:
    assert node_of(subject) == node


def _check(status: str, subject: str) -> CheckResult:
    return CheckResult("l", "1", "c", "t", status, 0, 1, subject=subject)  # type: ignore[arg-type]


def test_only_checks_that_did_not_pass_mark_their_objects() -> None:
    checks = [
        _check("passed", "v1 Pod ns/good"),
        _check("failed", "v1 Pod ns/bad"),
        _check("error", "v1 PersistentVolumeClaim ns/data"),
        _check("failed", "pods in ns"),
    ]
    assert looked_at(checks) == ("PersistentVolumeClaim/data", "Pod/bad")
