"""The classroom's pure parts: names, sandbox objects, kernel environment, course files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell

from kklab.classroom import sandbox
from kklab.classroom.autograde import Outcome, autograde_class, plan_line
from kklab.classroom.course import config_text, init_course
from kklab.classroom.execute import (
    answer_given,
    graded_exercise,
    kernel_environment,
    scaled_points,
    stock_cells,
)
from kklab.errors import KklabError
from kklab.labs.model import lab_of_notebook

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@given(st.text(min_size=1, max_size=300))
def test_every_student_id_gives_a_valid_distinct_namespace(student: str) -> None:
    name = sandbox.sandbox_name("01-pods", student)
    assert len(name) <= 63 and _DNS_LABEL.match(name), name
    assert name.startswith("kklab-01-pods-")
    assert sandbox.sandbox_name("01-pods", student + "x") != name


def test_students_whose_ids_look_alike_get_different_namespaces() -> None:
    assert sandbox.sandbox_name("01-pods", "Ada") != sandbox.sandbox_name("01-pods", "ada")
    assert sandbox.sandbox_name("01-pods", "a.b") != sandbox.sandbox_name("01-pods", "a-b")


def test_sandbox_objects_confine_the_learner_to_its_namespace() -> None:
    objects = sandbox.sandbox_objects("kklab-01-pods-ada-1", "01-pods", "ada")
    by_kind = {o["kind"]: o for o in objects}
    binding = by_kind["RoleBinding"]
    assert binding["metadata"]["namespace"] == "kklab-01-pods-ada-1"
    assert binding["roleRef"]["name"] == "admin"  # namespaced powers only
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "learner", "namespace": "kklab-01-pods-ada-1"}
    ]
    cluster_binding = by_kind["ClusterRoleBinding"]
    assert cluster_binding["roleRef"]["name"] == sandbox.NODE_READER
    rules = sandbox.node_reader_role()["rules"]
    assert {verb for rule in rules for verb in rule["verbs"]} == {"get", "list", "watch"}
    assert by_kind["ResourceQuota"]["spec"]["hard"]["pods"] == sandbox.QUOTA["pods"]
    for item in objects:
        assert item["metadata"]["labels"][sandbox.SUBMISSION_LABEL] == "kklab-01-pods-ada-1"


def test_kubeconfig_reaches_only_the_sandbox() -> None:
    config = sandbox.kubeconfig("https://10.0.0.1:6443", None, "tok", "kklab-x")
    assert config["users"] == [{"name": "learner", "user": {"token": "tok"}}]
    assert config["clusters"][0]["cluster"]["insecure-skip-tls-verify"] is True
    assert config["contexts"][0]["context"]["namespace"] == "kklab-x"


def test_kernel_gets_no_teacher_credentials() -> None:
    teacher = {
        "KUBECONFIG": "/root/.kube/config",
        "KKLAB_HOME": "/root/.kklab",
        "HOME": "/root",
        "KKLAB_NAMESPACE": "lab-01-pods",
        "PATH": "/venv/bin:/bin",
    }
    box = sandbox.Sandbox("01-pods", "ada", "kklab-01-pods-ada", Path("/tmp/s/a.kubeconfig"))
    env = kernel_environment(teacher, box.kernel_environment(), Path("/tmp/home"))
    assert env["KUBECONFIG"] == env["KKLAB_KUBECONFIG"] == "/tmp/s/a.kubeconfig"
    assert env["KKLAB_NAMESPACE"] == "kklab-01-pods-ada"
    assert env["HOME"] == "/tmp/home" and env["KKLAB_HOME"] == "/tmp/home/.kklab"
    assert env["PATH"] == "/venv/bin:/bin"
    assert "/root" not in " ".join(env.values())


def test_lab_and_exercise_come_from_the_notebook() -> None:
    cells = [
        new_markdown_cell("%lab 07-storage"),
        new_code_cell("%load_ext kklab.notebook\n%lab 01-pods"),
    ]
    assert lab_of_notebook(cells) == ("01-pods", None)
    assert lab_of_notebook([new_code_cell("print(1)")]) is None

    def cell(grade_id: str, **flags: bool) -> object:
        meta = {"grade_id": grade_id, "grade": True, "solution": False, "points": 3, **flags}
        return new_code_cell("", metadata={"nbgrader": meta})

    assert graded_exercise(cell("ex12-check")) == "12"
    assert graded_exercise(cell("ex1-answer", solution=True)) is None
    assert graded_exercise(cell("ex1-button", grade=False)) is None
    assert graded_exercise(new_markdown_cell("", metadata={"nbgrader": {"grade": True}})) is None


def test_an_answer_is_a_changed_stub() -> None:
    from nbgrader.utils import compute_checksum

    meta = {"grade_id": "ex1-answer", "solution": True, "grade": False, "locked": False}
    stub = new_code_cell("%%apply\n# Write your answer here", metadata={"nbgrader": dict(meta)})
    stub.metadata.nbgrader["checksum"] = compute_checksum(stub)
    assert answer_given(stub) is False
    stub.source += "\napiVersion: v1"
    assert answer_given(stub) is True
    assert answer_given(new_code_cell("x", metadata={"nbgrader": dict(meta)})) is True
    assert answer_given(new_code_cell("%kubectl get pods")) is None


def test_stock_cells_are_the_labs_demo_commands() -> None:
    from kklab.labs import find_lab

    stock = stock_cells(find_lab("01-pods").notebook)
    assert "%kubectl get pods" in stock
    assert not any("BEGIN SOLUTION" in source or "autograde(" in source for source in stock)


@pytest.mark.parametrize(
    ("earned", "possible", "cell", "expected"),
    [(3, 3, 3, 3.0), (0, 3, 3, 0.0), (1, 3, 6, 2.0), (2, 3, 1, 0.67), (0, 0, 2, 0.0)],
)
def test_points_are_scaled_to_the_test_cell(
    earned: float, possible: float, cell: float, expected: float
) -> None:
    assert scaled_points(earned, possible, cell) == expected


def test_init_writes_config_and_gradable_labs_and_keeps_edits(tmp_path: Path) -> None:
    course = tmp_path / "course"
    report = init_course(course, [], "k8s-101")
    assert (course / "nbgrader_config.py").read_text() == config_text("k8s-101") + "\n"
    assert (course / "source" / "01-pods" / "01-pods.ipynb").exists()
    assert "07-storage" in report.skipped and "PersistentVolumes" in report.skipped["07-storage"]
    assert not (course / "source" / "07-storage").exists()
    (course / "nbgrader_config.py").write_text("# the teacher's own\n")
    again = init_course(course, [], "k8s-101")
    assert again.written == []
    assert (course / "nbgrader_config.py").read_text() == "# the teacher's own\n"


def test_init_refuses_a_lab_that_needs_more_than_a_namespace(tmp_path: Path) -> None:
    with pytest.raises(KklabError, match="07-storage cannot be graded in a classroom") as err:
        init_course(tmp_path / "c", ["07-storage"], "x")
    assert "kklab check 07-storage" in str(err.value)
    assert not (tmp_path / "c").exists()
    with pytest.raises(KklabError, match="there is no lab '99'"):
        init_course(tmp_path / "c", ["99"], "x")


def test_autograde_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(KklabError, match="not a kklab course directory"):
        autograde_class(tmp_path, "01-pods")
    init_course(tmp_path, ["01-pods"], "x")
    with pytest.raises(KklabError, match="no submissions of 01-pods") as err:
        autograde_class(tmp_path, "01-pods")
    assert "nbgrader collect 01-pods" in str(err.value)
    (tmp_path / "submitted" / "ada" / "01-pods").mkdir(parents=True)
    with pytest.raises(KklabError, match="no submission of 01-pods from: bob"):
        autograde_class(tmp_path, "01-pods", students=["bob"])
    with pytest.raises(KklabError, match="--jobs must be at least 1"):
        autograde_class(tmp_path, "01-pods", jobs=0)


def test_progress_lines() -> None:
    log = Path("/c/kklab-logs/01-pods-bob.log")
    assert plan_line(1, 2, Outcome("bob", 0, 10.0, 21.0, 93.6, log)) == (
        "[1/2] ✓ bob: 10/21 points (94 s)"
    )
    failed = plan_line(2, 2, Outcome("eve", 1, None, None, 5.0, log))
    assert "✗ eve: nbgrader autograde failed (exit 1" in failed and str(log) in failed


_WRITER = """
import sqlite3, sys
from pathlib import Path
database, marker = sys.argv[1], Path(sys.argv[2])
attempt = len(marker.read_text().split()) + 1 if marker.exists() else 1
try:
    with sqlite3.connect(database, timeout=1.0) as connection:
        connection.execute("INSERT INTO runs VALUES (?)", (attempt,))
except sqlite3.OperationalError:
    marker.write_text(marker.read_text() + " failed" if marker.exists() else "failed")
    raise
"""


def test_a_run_that_meets_a_locked_gradebook_runs_again(tmp_path: Path) -> None:
    """A real SQLite lock (another run writing): the first attempt fails with nbgrader's
    words, "database is locked", and the retry succeeds once the lock is gone."""
    import sqlite3
    import sys
    import threading
    import time

    from kklab.classroom.autograde import _run_one

    database, marker = tmp_path / "busy.db", tmp_path / "attempts"
    holder = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
    holder.execute("CREATE TABLE runs (attempt INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")  # another run is writing

    def release_after_first_failure() -> None:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        holder.execute("ROLLBACK")

    releaser = threading.Thread(target=release_after_first_failure)
    releaser.start()
    command = [sys.executable, "-c", _WRITER, str(database), str(marker)]
    outcome = _run_one(tmp_path, "01-pods", "ada", tmp_path, command)
    releaser.join()
    assert outcome.returncode == 0
    assert marker.read_text() == "failed"  # one failed attempt, then a good one
    assert [row[0] for row in holder.execute("SELECT attempt FROM runs")] == [2]
    holder.close()


def test_a_run_that_fails_for_its_own_reasons_is_not_repeated(tmp_path: Path) -> None:
    import sys

    from kklab.classroom.autograde import _run_one

    counter = tmp_path / "runs"
    script = (
        f"import pathlib; p = pathlib.Path({str(counter)!r}); "
        "p.write_text(p.read_text() + 'x' if p.exists() else 'x'); "
        "raise SystemExit('no notebook')"
    )
    outcome = _run_one(tmp_path, "01-pods", "ada", tmp_path, [sys.executable, "-c", script])
    assert outcome.returncode == 1 and not outcome.ok
    assert counter.read_text() == "x"
    assert "no notebook" in outcome.log.read_text()
