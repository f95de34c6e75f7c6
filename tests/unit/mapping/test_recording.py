"""The recorded solved states the site draws: each shows what its lab teaches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kklab.labs import LabDefinition, all_labs, lab_namespace
from kklab.mapping import map_snapshot
from kklab.mapping.reading import Snapshot
from kklab.mapping.recording import missing_relations, record, recorded, solved_map_path
from tools.site.solved_map import MAP_CLASS, solved_map_markdown

RECORDED_LABS = [lab for lab in all_labs() if solved_map_path(lab.folder).exists()]


def test_every_lab_has_a_recorded_solved_state() -> None:
    """Its site page draws it; record it with ``KKLAB_RECORD_MAPS=1`` (tests/labs)."""
    unrecorded = [lab.id for lab in all_labs() if not solved_map_path(lab.folder).exists()]
    assert all_labs() and unrecorded == []


@pytest.mark.parametrize("lab", RECORDED_LABS, ids=[lab.id for lab in RECORDED_LABS])
def test_a_recorded_solved_state_shows_the_relations_its_lab_teaches(lab: LabDefinition) -> None:
    snapshot = recorded(lab.folder)
    assert snapshot is not None
    namespace = lab_namespace(lab.id)
    assert snapshot.namespace == namespace
    graph = map_snapshot(snapshot, draw=False).graph
    assert missing_relations(graph, lab.setup.map_relations) == []
    raw = json.loads(solved_map_path(lab.folder).read_text(encoding="utf-8"))
    for obj in raw["objects"]:
        namespaced = (obj.get("metadata") or {}).get("namespace")
        assert namespaced in (None, namespace)  # recorded elsewhere, renamed to the lab's
        if obj.get("kind") in ("Secret", "ConfigMap"):
            assert set(obj) <= {"apiVersion", "kind", "metadata", "type"}


def test_recording_renames_a_scratch_namespace_to_the_lab_s(tmp_path: Path) -> None:
    pod = {
        "kind": "Pod",
        "metadata": {
            "name": "a",
            "namespace": "kklab-scratch-1",
            "selfLink": "/api/v1/namespaces/kklab-scratch-1/pods/a",
        },
    }
    record(Snapshot("kklab-scratch-1", (pod,)), tmp_path, "lab-99-demo")
    text = solved_map_path(tmp_path).read_text(encoding="utf-8")
    assert "kklab-scratch-1" not in text
    assert recorded(tmp_path) == Snapshot(
        "lab-99-demo",
        (
            {
                "kind": "Pod",
                "metadata": {
                    "name": "a",
                    "namespace": "lab-99-demo",
                    "selfLink": "/api/v1/namespaces/lab-99-demo/pods/a",
                },
            },
        ),
    )


def test_the_site_section_draws_the_recording_with_its_outline_as_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = RECORDED_LABS[0]
    section = solved_map_markdown(lab.folder, lab_namespace(lab.id))
    assert section is not None and section.startswith("## The solved state")
    from kklab.mapping.rendering import find_dot

    if find_dot() is not None:
        assert f'<figure class="{MAP_CLASS}"><img alt="Map of namespace' in section
        assert 'src="data:image/svg+xml;base64,' in section
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz: the outline, in words
    section = solved_map_markdown(lab.folder, lab_namespace(lab.id))
    assert section is not None and f'<pre class="{MAP_CLASS}">Map of namespace' in section
    assert solved_map_markdown(tmp_path, "lab-99-demo") is None  # never recorded
