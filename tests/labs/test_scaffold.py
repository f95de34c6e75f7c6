"""``kklab lab new`` writes a lab that works on the real cluster, as written.

The skeleton is made in a scratch tree (``KKLAB_LABS``/``KKLAB_GRADERS``),
started, checked untouched (fails), solved (passes), its mutation corpus run
(wrong answers fail with their message, the alternative passes), in a variant
too, then reset.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kklab.grading import LabResult, grade, render_text
from kklab.labs import find_lab, lifecycle
from kklab.labs.scaffold import new_lab
from kklab.labs.session import LabSession
from tests.conftest import RunningCluster
from tests.labs.harness import drop, scratch_session, settle

pytestmark = pytest.mark.cluster
LAB = "42-skeleton"


@pytest.fixture
def skeleton(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KKLAB_LABS", str(tmp_path / "labs"))
    monkeypatch.setenv("KKLAB_GRADERS", str(tmp_path / "graders"))
    monkeypatch.setenv("KKLAB_CHECK_TIMEOUT_S", "0")
    new_lab(LAB)
    return tmp_path


def _grade(session: LabSession, timeout_s: float = 0) -> LabResult:
    return grade(session.api_client, session.namespace, session.grader(), timeout_s=timeout_s)


def test_the_skeleton_starts_fails_untouched_and_passes_solved(
    cluster: RunningCluster, skeleton: Path
) -> None:
    for seed in ("default", "ada"):
        session = lifecycle.start(LAB, seed)
        try:
            untouched = _grade(session)
            assert untouched.points_earned == 0, render_text(untouched)
            lifecycle.solve(LAB, seed=seed)
            solved = _grade(session, timeout_s=60)
            assert solved.passed, render_text(solved)
        finally:
            lifecycle.reset(LAB)


def test_the_skeletons_mutations_fail_and_its_alternative_passes(
    cluster: RunningCluster, skeleton: Path
) -> None:
    corpus = yaml.safe_load((skeleton / "tests" / "labs" / "mutations" / f"{LAB}.yaml").read_text())
    lab = find_lab(LAB)
    for mutation in corpus["mutations"]:
        session = scratch_session(cluster, lab, prefix="kklab-skel")
        try:
            for cell in mutation["cells"]:
                session.run_solution(cell)
            settle(session)
            result = grade(
                cluster.api_client, session.namespace, session.grader(), "1", timeout_s=10
            )
            text = render_text(result)
            if mutation.get("passes"):
                assert result.passed, text
            else:
                failed = [c for c in result.checks if c.check_id == mutation["fails"]]
                assert failed and failed[0].status == "failed", text
                assert mutation["says"] in text, text
        finally:
            drop(session)
