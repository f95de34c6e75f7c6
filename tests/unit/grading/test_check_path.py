"""The one check path: `kklab check` (exit codes, --json), the notebook and progress.

No cluster: ``kklab.connecting.connect`` and the transport are replaced by fakes.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kklab import cli
from kklab.errors import ClusterError
from kklab.grading import commands
from kklab.grading.commands import check_command, grade_lab
from kklab.grading.transport import ApiStatusError, ExecOutput
from kklab.labs import progress

NS = "lab-07-storage"
GRADER = """
lab: 07-storage
title: Storage
timeout_s: 0
exercises:
  - id: "1"
    title: Claim
    checks:
      - id: pvc-is-bound
        title: the claim is bound
        points: 2
        assert:
          apiVersion: v1
          kind: PersistentVolumeClaim
          metadata: {name: data}
          status: {phase: Bound}
  - id: "2"
    title: Expressions
    checks:
      - id: phase-in-lower-case
        title: an expression kklab cannot evaluate
        points: 1
        error:
          apiVersion: v1
          kind: PersistentVolumeClaim
          metadata: {name: data}
          status:
            (length(phase)): 1
"""


class FakeTransport:
    """/version, discovery of PersistentVolumeClaims and the claim data in ``phase``.

    ``phase`` None: no claim; "": a claim without a phase.
    """

    host = "https://fake:6443"

    def __init__(self, phase: str | None) -> None:
        self.phase = phase

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if path == "/version":
            return {"gitVersion": "v1.20.2"}
        if path == "/api/v1":
            kind = {"kind": "PersistentVolumeClaim", "name": "persistentvolumeclaims"}
            return {"resources": [{**kind, "namespaced": True}]}
        if self.phase is not None and path.endswith("/persistentvolumeclaims/data"):
            return {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data", "namespace": NS},
                "status": {"phase": self.phase} if self.phase else {},
            }
        if path.endswith(("/events", "/pods", "/secrets", "/persistentvolumeclaims")):
            return {"items": []}
        raise ApiStatusError(404, f"{path} not found")

    def exec(
        self, namespace: str, pod: str, container: str | None, command: Sequence[str], **_: Any
    ) -> ExecOutput:
        raise AssertionError("no exec in these checks")


@pytest.fixture
def graders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A grader directory used by `kklab check`, and a scratch KKLAB_HOME for progress."""
    monkeypatch.setenv("KKLAB_HOME", str(tmp_path / "home"))
    directory = tmp_path / "graders"
    directory.mkdir()
    (directory / "07-storage.yaml").write_text(textwrap.dedent(GRADER))
    monkeypatch.setattr(commands, "GRADERS_DIR", directory)
    return directory


def cluster_with(monkeypatch: pytest.MonkeyPatch, phase: str | None) -> None:
    """`connect` finds a cluster whose only claim is in ``phase`` (None: no claim)."""
    connection = SimpleNamespace(api_client=object(), namespace=NS)
    monkeypatch.setattr("kklab.connecting.connect", lambda lab=None: connection)
    monkeypatch.setattr("kklab.connecting.require_started", lambda connection, lab: None)
    monkeypatch.setattr(commands, "ApiClientTransport", lambda api_client: FakeTransport(phase))


def no_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(lab: str | None = None) -> None:
        raise ClusterError("no kklab cluster is running", fix="start one with `kklab up`")

    monkeypatch.setattr("kklab.connecting.connect", refuse)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["check", *argv])
    return code, capsys.readouterr().out


def test_all_passed_exits_0_and_records_progress(
    graders: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster_with(monkeypatch, "Bound")
    code, out = run_cli(capsys, "07", "1")
    assert code == 0 and "pvc-is-bound" in out
    assert progress.summary("07-storage") == {"1": {"earned": 2, "possible": 2}}


def test_a_failed_check_exits_1_and_json_has_the_mismatch(
    graders: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster_with(monkeypatch, "Pending")
    code, out = run_cli(capsys, "07-storage", "1", "--json")
    document = json.loads(out)
    assert code == 1 and document["counts"] == {"passed": 0, "failed": 1, "error": 0}
    (check,) = document["exercises"][0]["checks"]
    assert check["mismatches"][0]["text"] == 'status.phase: expected "Bound", found "Pending"'
    assert progress.summary("07-storage") == {"1": {"earned": 0, "possible": 2}}


def test_no_cluster_exits_2_with_error_results_in_json(
    graders: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_cluster(monkeypatch)
    code, out = run_cli(capsys, "7", "--json")
    document = json.loads(out)
    assert code == 2 and document["counts"] == {"passed": 0, "failed": 0, "error": 2}
    messages = {c["message"] for e in document["exercises"] for c in e["checks"]}
    assert messages == {"no kklab cluster is running: start one with `kklab up`"}
    assert progress.summary("07-storage") == {}  # could not check: nothing recorded
    code, out = run_cli(capsys, "7", "1")
    assert code == 2 and "Error: no kklab cluster is running" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("99", "--json"), "there is no lab"),
        (("07", "5", "--json"), "use one of: 1, 2"),
    ],
)
def test_unknown_lab_or_exercise_exits_2_with_json(
    graders: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    says: str,
) -> None:
    no_cluster(monkeypatch)  # the lab or exercise is checked before the cluster
    code, out = run_cli(capsys, *argv)
    document = json.loads(out)
    assert code == 2 and document["passed"] is False and says in document["error"]
    assert document["fix"] and document["lab"] == argv[0]


def test_an_invalid_grader_exits_2_with_json(
    graders: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = GRADER.replace("(length(phase))", "(lower(phase))")
    (graders / "07-storage.yaml").write_text(textwrap.dedent(broken))
    cluster_with(monkeypatch, "Bound")
    code, out = run_cli(capsys, "07", "--json")
    assert code == 2 and "unknown function lower()" in json.loads(out)["error"]
    code = cli.main(["check", "07"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("kklab: ") and "unknown function lower()" in err


def test_an_expression_that_cannot_be_evaluated_is_an_error_not_a_pass(
    graders: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster_with(monkeypatch, "Bound")  # length("Bound") is 5: evaluated, no match, passes
    assert run_cli(capsys, "07", "2")[0] == 0
    cluster_with(monkeypatch, "")  # length(null) cannot be evaluated
    code, out = run_cli(capsys, "07", "2", "--json")
    (check,) = json.loads(out)["exercises"][0]["checks"]
    assert code == 2 and check["status"] == "error"
    assert check["message"].startswith(
        "the expression status.(length(phase)) could not be evaluated on "
        "v1 PersistentVolumeClaim lab-07-storage/data: "
    )


def test_a_bug_still_prints_json_and_exits_2(
    graders: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(commands, "grade_with", crash)
    cluster_with(monkeypatch, "Bound")
    output = check_command("07", as_json=True)
    assert output.exit_code == 2 and "ZeroDivisionError: oops" in json.loads(output.stdout)["error"]
    assert output.error is not None and "ZeroDivisionError: oops" in output.error


def test_the_notebook_and_the_classroom_grade_through_the_facade(
    graders: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kklab.notebook import current

    calls: list[dict[str, Any]] = []
    real = commands.grade_lab

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    cluster_with(monkeypatch, "Bound")
    monkeypatch.setattr(current, "grade_lab", spy)
    spec = commands._load_grader("07", None)
    lab = SimpleNamespace(id="07-storage")
    session = SimpleNamespace(api_client=object(), namespace=NS, connection=None, lab=lab)
    current.set_current(session, spec)  # type: ignore[arg-type]
    assert current.run_checks("1").passed
    assert calls[-1]["namespace"] == NS and calls[-1]["include_hidden"] is False
    assert progress.summary("07-storage") == {"1": {"earned": 2, "possible": 2}}
    assert grade_lab(spec, "1", api_client=object(), record_progress=False).passed


def test_check_help_states_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["check", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "0 every check passed; 1 a check failed; 2 a check could not be" in help_text
    assert "--json the output is always one JSON document, errors included" in help_text
