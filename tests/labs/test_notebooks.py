"""Each lab notebook, executed top to bottom on the real cluster.

* The source notebook (with solutions): every check passes, every
  autograder cell returns the exercise's full points, no cell errors.
* The learner's copy (solutions and hidden tests removed as nbgrader does):
  no cell raises, and every check of every exercise fails.
* The notebook is what its script in tools/labs/ writes.
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import Any

import nbformat
import pytest

from kklab import lifecycle
from kklab.grading import load_lab
from kklab.labs import REPOSITORY, all_labs
from kklab.student import student_version
from tests.conftest import RunningCluster

LABS = all_labs()
IDS = [lab.id for lab in LABS]


def _script(lab_id: str) -> Any:
    path = REPOSITORY / "tools" / "labs" / f"{lab_id.replace('-', '_')}.py"
    spec = importlib.util.spec_from_file_location(f"lab_script_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_notebook_is_what_its_script_writes(lab: Any) -> None:
    from tools.notebook_cells import notebook

    written = nbformat.writes(notebook(_script(lab.id).CELLS))
    committed = nbformat.writes(nbformat.read(str(lab.notebook), as_version=4))
    assert written == committed, f"run tools/labs/{lab.id.replace('-', '_')}.py"


def _execute(notebook: Any, lab: Any, monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    from nbclient import NotebookClient

    monkeypatch.setenv("KKLAB_WIDGETS", "0")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(lab.folder)}},
    )
    client.execute()
    return notebook


def _text(cell: Any) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


def _grade_id(cell: Any) -> str:
    return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))


def _errors(notebook: Any) -> list[str]:
    return [
        f"{_grade_id(c) or c.get('id')}: {o.get('ename')}: {o.get('evalue')}"
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


@pytest.mark.cluster
@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_source_notebook_passes_every_check(
    cluster: RunningCluster, lab: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lifecycle.reset(lab.id)
    notebook = _execute(nbformat.read(str(lab.notebook), as_version=4), lab, monkeypatch)
    assert _errors(notebook) == []
    spec = load_lab(lab.grader)
    points = {e.id: sum(c.points for c in e.checks) for e in spec.exercises}
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        exercise = re.match(r"ex(\d+)-(button|check)$", grade_id)
        if not exercise:
            continue
        text = _text(cell)
        if exercise.group(2) == "button":
            assert "✗" not in text and "✓" in text, text
        else:
            assert text.strip().endswith(f"{float(points[exercise.group(1)])}"), text


@pytest.mark.cluster
@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_learner_copy_runs_cleanly_and_fails_every_check(
    cluster: RunningCluster, lab: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lifecycle.reset(lab.id)
    notebook = _execute(student_version(lab.notebook), lab, monkeypatch, KKLAB_CHECK_TIMEOUT_S="0")
    assert _errors(notebook) == []
    spec = load_lab(lab.grader)
    visible = {e.id: [c.id for c in e.checks if not c.hidden] for e in spec.exercises}
    seen = set()
    for cell in notebook.cells:
        found = re.match(r"ex(\d+)-button$", _grade_id(cell))
        if not found:
            continue
        text = _text(cell)
        seen.add(found.group(1))
        assert "✓" not in text, text
        for check_id in visible[found.group(1)]:
            assert f"✗ {lab.id} › {check_id}" in text, text
    assert seen == set(visible)
    answers = [c for c in notebook.cells if re.match(r"ex\d+-answer", _grade_id(c))]
    assert all("raise NotImplementedError" not in c.source for c in answers)
    assert not os.environ.get("NBGRADER_EXECUTION")
