"""The map as DOT, as a text outline, and as SVG through Graphviz (when ``dot`` is here).

The SVG tests run Graphviz for real: they are skipped only where ``dot`` is
missing (`make test` installs it: tools/ensure_graphviz.sh). Without it, a map
is its outline and a sentence on how to install Graphviz: tested with a PATH
that has no ``dot``, and with stand-ins that fail or hang.
"""

from __future__ import annotations

import html
import os
import stat
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from kklab.mapping import map_snapshot
from kklab.mapping.dot import outline, to_dot
from kklab.mapping.graph import Graph, Node
from kklab.mapping.reading import Snapshot
from kklab.mapping.rendering import find_dot, render_svg

RECORDED = Path(__file__).parent / "recorded"
needs_dot = pytest.mark.skipif(find_dot() is None, reason="Graphviz (dot) is not installed")


def _snapshot(name: str) -> Snapshot:
    return Snapshot.from_json((RECORDED / f"{name}.json").read_text(encoding="utf-8"))


def _stand_in(tmp_path: Path, script: str) -> str:
    path = tmp_path / "dot"
    path.write_text("#!/bin/sh\n" + script + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_pod_states_are_written_in_words_beside_their_colour() -> None:
    drawn = map_snapshot(_snapshot("lab-03-probes"), draw=False)
    assert "Crash-looping" in drawn.dot and "Not ready" in drawn.dot
    assert "subgraph cluster_legend" in drawn.dot and '"Pod states"' in drawn.dot
    assert "Ready" not in drawn.dot.split("cluster_legend")[1].replace("Not ready", "")
    assert "[Crash-looping]" in drawn.text()


def test_labels_are_escaped_for_dot_and_html() -> None:
    node = Node("ConfigMap", 'odd"<name>&', "missing", ('say "hi"',))
    dot_text = to_dot(Graph("ns", (node,), ()))
    assert "&lt;name&gt;&amp;" in dot_text and "&quot;hi&quot;" in dot_text
    assert '"ConfigMap/odd\\"<name>&"' in dot_text


def test_marked_objects_get_a_thick_outline_and_a_sign_in_the_outline() -> None:
    graph = Graph("ns", (Node("Service", "web"), Node("Pod", "a", "ready")), ())
    dot_text = to_dot(graph, marked={"Service/web"})
    service_line = next(line for line in dot_text.splitlines() if '"Service/web" [' in line)
    assert "penwidth=3" in service_line
    assert "penwidth" not in next(line for line in dot_text.splitlines() if '"Pod/a" [' in line)
    assert "» Service web" in outline(graph, marked={"Service/web"})


def test_an_empty_namespace_says_so() -> None:
    drawn = map_snapshot(Snapshot("lab-01", ()), draw=False)
    assert "empty (no objects yet)" in drawn.dot
    assert drawn.text() == "Map of namespace lab-01\n  (empty: no objects yet)"


def test_notes_appear_in_the_caption_and_under_the_outline() -> None:
    snapshot = Snapshot("ns", (), ("Secret",), ("Secrets are left out: you may not read them",))
    drawn = map_snapshot(snapshot, draw=False)
    assert "Secrets are left out" in drawn.dot
    assert drawn.text().endswith("Note: Secrets are left out: you may not read them")


@needs_dot
@pytest.mark.parametrize("name", ["scene", "lab-03-probes", "lab-07-storage"])
def test_graphviz_draws_each_recorded_map_as_well_formed_svg(name: str) -> None:
    drawn = map_snapshot(_snapshot(name))
    assert drawn.rendering.problem == ""
    svg = drawn.rendering.svg
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = {element.text for element in root.iter("{http://www.w3.org/2000/svg}title")}
    assert {node.id for node in drawn.graph.nodes} <= titles  # every object is drawn
    assert drawn._repr_html_() == svg


@needs_dot
def test_the_svg_names_secrets_and_never_holds_their_values() -> None:
    drawn = map_snapshot(_snapshot("scene"))
    text = html.unescape(drawn.rendering.svg)
    assert "db-password" in text and "Ready" in text
    assert "m4p-s3cr3t-Va1ue" not in text


def test_without_graphviz_the_map_is_its_outline_and_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    drawn = map_snapshot(_snapshot("scene"))
    assert drawn.rendering.svg == ""
    assert "apt install graphviz" in drawn.rendering.problem
    assert "brew install graphviz" in drawn.rendering.problem
    assert drawn.text().startswith("Map of namespace ")
    assert "Graphviz is not installed" in drawn.text()
    assert drawn._repr_html_().startswith("<pre>Map of namespace")


def test_a_graphviz_that_fails_or_hangs_is_a_result(tmp_path: Path) -> None:
    failing = _stand_in(tmp_path, "echo 'Error: <stdin>: syntax error in line 1' >&2; exit 1")
    rendering = render_svg("digraph { a -> b }", dot_path=failing)
    assert (
        rendering.problem
        == "Graphviz could not draw the map: Error: <stdin>: syntax error in line 1"
    )
    os.remove(failing)
    hanging = _stand_in(tmp_path, "exec sleep 30")
    rendering = render_svg("digraph { a -> b }", dot_path=hanging, timeout_s=0.5)
    assert rendering.problem == "Graphviz took more than 0.5 s to draw the map"


def test_the_legend_says_what_the_orange_outline_means_only_when_there_is_one() -> None:
    graph = Graph("ns", (Node("Service", "web"),), ())
    assert "Looked at by a failed check" in to_dot(graph, marked={"Service/web"})
    assert "cluster_legend" not in to_dot(graph)
    assert "Looked at" not in to_dot(graph, marked={"Service/other"})
