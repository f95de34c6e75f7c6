"""The map in a classroom submission's feedback: an SVG output nbconvert renders."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
import pytest

from kklab.classroom import execute
from kklab.grading.results import CheckResult
from kklab.mapping import map_snapshot
from kklab.mapping.reading import Snapshot
from kklab.mapping.rendering import find_dot

RECORDED = Path(__file__).parent / "recorded"
FAILED = CheckResult(
    "03-probes",
    "1",
    "catalog-is-served",
    "t",
    "failed",
    0,
    2,
    subject="v1 Service lab-03-probes/catalog",
)


def test_a_failed_exercise_s_feedback_carries_the_map_with_its_objects_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kklab.mapping

    asked: list[tuple[str, tuple[str, ...]]] = []

    def fake_map(api_client: object, namespace: str, *, marked: tuple[str, ...]) -> object:
        asked.append((namespace, tuple(marked)))
        snapshot = Snapshot.from_json((RECORDED / "lab-03-probes.json").read_text("utf-8"))
        return map_snapshot(snapshot, marked=marked)

    monkeypatch.setattr(kklab.mapping, "map_namespace", fake_map)
    output = execute.map_output(object(), "kklab-03-probes-ada-1", [FAILED])
    assert asked == [("kklab-03-probes-ada-1", ("Endpoints/catalog", "Service/catalog"))]
    assert output["output_type"] == "display_data"
    assert "» Service catalog" in output["data"]["text/plain"]
    if find_dot() is None:
        assert "image/svg+xml" not in output["data"]
        return
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("autograde('1')")])
    notebook.cells[0].outputs = [output]
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter().from_notebook_node(notebook)
    encoded = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert encoded is not None, "the feedback page shows no drawing"
    drawing = base64.b64decode(encoded.group(1)).decode("utf-8")
    assert "Looked at by a failed check" in drawing


def test_a_map_that_cannot_be_read_leaves_the_feedback_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kklab.mapping

    def down(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the API server went away")

    monkeypatch.setattr(kklab.mapping, "map_namespace", down)
    assert execute.map_output(object(), "ns", [FAILED]) is None
