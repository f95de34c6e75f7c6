"""The command functions the CLI wires: check (lint is tests/unit/test_labs.py's)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from kklab.errors import ClusterError
from kklab.grading import GraderSpecError
from kklab.grading.commands import check_command, find_grader

GRADER = """
lab: 07-storage
title: Storage
timeout_s: 5
exercises:
  - id: "1"
    title: Claim
    checks:
      - id: pvc-exists
        title: the claim exists
        points: 1
        assert: {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}}
"""


def _notebook(*markdown: str) -> str:
    cells = [{"cell_type": "markdown", "source": [text]} for text in markdown]
    cells.append({"cell_type": "code", "source": ["# Exercise 9: not a heading in markdown"]})
    return json.dumps({"cells": cells})


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "07-storage.yaml").write_text(textwrap.dedent(GRADER))
    lab = tmp_path / "labs" / "07-storage"
    lab.mkdir(parents=True)
    (lab / "07-storage.ipynb").write_text(_notebook("# Storage", "## Exercise 1: Claim it"))
    return tmp_path


def test_find_grader_by_id_or_number(tree: Path) -> None:
    graders = tree / "graders"
    assert find_grader("07-storage", graders).name == "07-storage.yaml"
    assert find_grader("7", graders) == find_grader("07", graders)
    with pytest.raises(GraderSpecError, match="use one of: 07-storage"):
        find_grader("05-services", graders)


def test_check_without_a_cluster_is_an_error_result(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_cluster(lab: str | None = None) -> None:
        raise ClusterError("no kklab cluster is running", fix="start one with `kklab up`")

    monkeypatch.setattr("kklab.connecting.connect", no_cluster)
    output = check_command("07", graders_dir=tree / "graders")
    assert (output.exit_code, output.error) == (2, None)  # graded: the result says it
    assert "  Error: no kklab cluster is running: start one with `kklab up`" in output.stdout
    output = check_command("07", "1", as_json=True, graders_dir=tree / "graders")
    assert output.exit_code == 2 and output.error is None
    assert json.loads(output.stdout)["counts"] == {"passed": 0, "failed": 0, "error": 1}


def test_check_of_an_unknown_lab_or_exercise_says_what_exists(tree: Path) -> None:
    output = check_command("99", graders_dir=tree / "graders")
    assert (output.exit_code, output.stdout) == (2, "")
    assert output.error is not None and output.error.startswith("kklab: ")
    assert "use one of: 07-storage" in output.error
    output = check_command("07", "5", as_json=True, graders_dir=tree / "graders")
    assert output.exit_code == 2 and "use one of: 1" in json.loads(output.stdout)["error"]
    assert output.error == "kklab: " + json.loads(output.stdout)["error"]
