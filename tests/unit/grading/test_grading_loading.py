"""Loading grader files: valid files build a Lab; invalid ones say file, line, path, fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from kklab.grading.loading import load_lab, spec_problems
from kklab.grading.spec import GraderSpecError, ObjectBody, PythonBody

VALID = """\
# yaml-language-server: $schema=../kklab/schemas/grader.schema.json
lab: 07-storage
title: Persistent storage
timeout_s: 5
exercises:
  - id: "3"
    title: Claim a volume
    checks:
      - id: pvc-is-bound-to-local-pv
        title: The claim data is bound
        points: 2
        success: The claim is bound.
        hints: [create the pod from exercise 4, then check again.]
        timeout_s: 20
        assert:
          apiVersion: v1
          kind: PersistentVolumeClaim
          metadata: {name: data}
          status: {phase: Bound}
          spec:
            (contains(accessModes, 'ReadWriteOnce')): true
      - id: data-is-mounted
        title: The data is mounted
        points: 1
        hidden: true
        python: data_is_mounted
"""

CUSTOM = """\
from kklab.grading import Outcome

def data_is_mounted(context):
    return Outcome(passed=True)
"""


def write(tmp_path: Path, text: str, name: str = "07-storage") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_builds_a_lab(tmp_path: Path) -> None:
    (tmp_path / "07-storage.py").write_text(CUSTOM, encoding="utf-8")
    lab = load_lab(write(tmp_path, VALID))
    assert (lab.id, lab.timeout_s, [e.id for e in lab.exercises]) == ("07-storage", 5.0, ["3"])
    first, second = lab.exercises[0].checks
    assert (first.kind, first.points, first.timeout_s, lab.timeout_for(first)) == (
        "assert",
        2,
        20.0,
        20.0,
    )
    assert isinstance(first.body, ObjectBody) and first.body.name == "data"
    assert isinstance(second.body, PythonBody) and second.hidden
    assert lab.timeout_for(second) == 5.0


def test_non_positive_points_name_file_line_path_and_fix(tmp_path: Path) -> None:
    (tmp_path / "07-storage.py").write_text(CUSTOM, encoding="utf-8")
    path = write(tmp_path, VALID.replace("points: 2", "points: 0"))
    (problem,) = spec_problems(path)
    assert problem.source == str(path)
    assert problem.line == 11
    assert problem.path == "exercises[0].checks[0].points"
    assert problem.fix == "Points earned when the check passes; a positive integer."


def test_check_without_kind_says_which_kinds_exist(tmp_path: Path) -> None:
    text = VALID.replace("        python: data_is_mounted\n", "")
    (problem,) = spec_problems(write(tmp_path, text))
    assert problem.detail == "the check has no kind"
    assert (
        problem.fix
        == "give exactly one of: assert, error, exec, logs, file, event, reach, access, python"
    )
    assert problem.path == "exercises[0].checks[1]"


def test_misspelt_field_is_reported_with_allowed_fields(tmp_path: Path) -> None:
    (tmp_path / "07-storage.py").write_text(CUSTOM, encoding="utf-8")
    (problem,) = spec_problems(write(tmp_path, VALID.replace("hints:", "hint:")))
    assert "'hint' was unexpected" in problem.detail
    assert problem.fix is not None and "hints" in problem.fix


def test_duplicate_check_ids_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "07-storage.py").write_text(CUSTOM, encoding="utf-8")
    text = VALID.replace("id: data-is-mounted", "id: pvc-is-bound-to-local-pv")
    with pytest.raises(GraderSpecError, match="used twice"):
        load_lab(write(tmp_path, text))


def test_expression_that_does_not_compile_is_a_spec_error(tmp_path: Path) -> None:
    (tmp_path / "07-storage.py").write_text(CUSTOM, encoding="utf-8")
    text = VALID.replace("(contains(accessModes, 'ReadWriteOnce'))", "(accessModes[)")
    with pytest.raises(GraderSpecError, match="does not compile"):
        load_lab(write(tmp_path, text))


def test_file_name_must_match_lab_id(tmp_path: Path) -> None:
    (tmp_path / "08-other.py").write_text(CUSTOM, encoding="utf-8")
    problems = spec_problems(write(tmp_path, VALID, name="08-other"))
    assert [p.path for p in problems] == ["lab"]


def test_missing_python_function_lists_the_functions_found(tmp_path: Path) -> None:
    (tmp_path / "07-storage.py").write_text(CUSTOM.replace("data_is_mounted", "other"), "utf-8")
    (problem,) = spec_problems(write(tmp_path, VALID))
    assert problem.detail == "no function named data_is_mounted"
    assert problem.fix is not None and "other" in problem.fix


def test_dates_stay_strings_and_yaml_errors_have_lines(tmp_path: Path) -> None:
    broken = write(tmp_path, "lab: 07-storage\ntitle: [unclosed\n")
    (problem,) = spec_problems(broken)
    assert problem.line is not None and "not valid YAML" in problem.detail


def test_exec_needs_exactly_one_target(tmp_path: Path) -> None:
    text = VALID.replace(
        "        python: data_is_mounted\n",
        "        exec: {pod: web, selector: {app: web}, command: [cat, /data/x]}\n",
    )
    with pytest.raises(GraderSpecError, match="exactly one of pod or selector"):
        load_lab(write(tmp_path, text))
