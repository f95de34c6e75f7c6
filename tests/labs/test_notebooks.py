"""Each lab notebook, executed top to bottom on the real cluster.

* The source notebook (with solutions): every check passes, every
  autograder cell returns the exercise's full points, no cell errors.
* The learner's copy (solutions and hidden tests removed as nbgrader does):
  no cell raises, and every check of every exercise fails.
* The committed notebook is what its source and grader build.
* The map of the solved state shows the relations the lab teaches; with
  ``KKLAB_RECORD_MAPS=1`` it is recorded for the lab's site page.
"""

from __future__ import annotations

import os
from typing import Any

import nbformat
import pytest

from kklab.labs import all_labs, lifecycle
from kklab.labs.building import built_notebook, notebook_text
from kklab.labs.model import cell_role
from kklab.labs.student import student_version
from tests.conftest import RunningCluster

LABS = all_labs()
IDS = [lab.id for lab in LABS]


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_notebook_is_what_its_source_builds(lab: Any) -> None:
    committed = lab.notebook.read_text(encoding="utf-8")
    assert notebook_text(built_notebook(lab)) == committed, f"run `kklab lab build {lab.id}`"


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
    spec = lab.load_grader()
    points = {e.id: sum(c.points for c in e.checks) for e in spec.exercises}
    for cell in notebook.cells:
        role = cell_role(cell)
        if role is None or role.role == "answer":
            continue
        text = _text(cell)
        if role.role == "button":
            assert "✗" not in text and "✓" in text, text
        else:
            assert text.strip().endswith(f"{float(points[role.exercise])}"), text
    _check_solved_map(cluster, lab)


def _check_solved_map(cluster: RunningCluster, lab: Any) -> None:
    """The solved state's map shows the relations the lab teaches (``map:`` in lab.yaml);
    with ``KKLAB_RECORD_MAPS=1`` it is recorded as ``labs/NN-topic/solved-map.json``,
    which the site draws on the lab's page."""
    from kklab.grading.transport import ApiClientTransport
    from kklab.labs import lab_namespace
    from kklab.mapping.graph import build_graph
    from kklab.mapping.reading import read_namespace
    from kklab.mapping.recording import missing_relations, record, relation_patterns

    namespace = lab_namespace(lab.id)
    snapshot = read_namespace(ApiClientTransport(cluster.api_client), namespace)
    graph = build_graph(snapshot.objects, namespace, unread=snapshot.unread)
    missing = missing_relations(graph, lab.setup.map_relations)
    assert missing == [], f"the map shows only {relation_patterns(graph)}"
    if os.environ.get("KKLAB_RECORD_MAPS") == "1":
        record(snapshot, lab.folder, namespace)


@pytest.mark.cluster
@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_learner_copy_runs_cleanly_and_fails_every_check(
    cluster: RunningCluster, lab: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lifecycle.reset(lab.id)
    notebook = _execute(student_version(lab.notebook), lab, monkeypatch, KKLAB_CHECK_TIMEOUT_S="0")
    assert _errors(notebook) == []
    spec = lab.load_grader()
    visible = {e.id: [c.id for c in e.checks if not c.hidden] for e in spec.exercises}
    seen = set()
    for cell in notebook.cells:
        role = cell_role(cell)
        if role is None or role.role != "button":
            continue
        text = _text(cell)
        seen.add(role.exercise)
        assert "✓" not in text, text
        for check_id in visible[role.exercise]:
            assert f"✗ {lab.id} › {check_id}" in text, text
    assert seen == set(visible)
    answers = [c for c in notebook.cells if (cell_role(c) or ("", ""))[1] == "answer"]
    assert all("raise NotImplementedError" not in c.source for c in answers)
    assert not os.environ.get("NBGRADER_EXECUTION")
