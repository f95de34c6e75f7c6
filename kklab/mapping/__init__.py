"""The map of a lab namespace: its objects and their relations, drawn by Graphviz.

``%kklab map`` in a notebook and ``kklab map`` on the command line go through
:func:`map_namespace`: read the namespace (:mod:`~kklab.mapping.reading`), build
the graph (:mod:`~kklab.mapping.graph`, pure), write it as DOT
(:mod:`~kklab.mapping.dot`, pure) and lay it out with ``dot -Tsvg``
(:mod:`~kklab.mapping.rendering`). Without Graphviz a map is its text outline,
with a line on how to install it.

Example:
    >>> from kklab.mapping.reading import Snapshot
    >>> pod = {"kind": "Pod", "metadata": {"name": "web"}, "status": {"phase": "Pending"}}
    >>> drawn = map_snapshot(Snapshot("lab-01", (pod,)), draw=False)
    >>> print(drawn.text())
    Map of namespace lab-01
    Pod web: Pending (starting)
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from kklab.mapping.dot import outline, to_dot
from kklab.mapping.graph import Edge, Graph, Node, build_graph
from kklab.mapping.marking import with_near_misses
from kklab.mapping.reading import Snapshot, read_namespace
from kklab.mapping.rendering import Rendering, render_svg

__all__ = [
    "Edge",
    "Graph",
    "NamespaceMap",
    "Node",
    "Snapshot",
    "map_lab",
    "map_namespace",
    "map_snapshot",
]


@dataclass(frozen=True)
class NamespaceMap:
    """A namespace's map: the graph, its DOT text and the SVG (or why there is none)."""

    graph: Graph
    """The objects and relations."""

    dot: str
    """Graphviz DOT text of the graph."""

    rendering: Rendering
    """The SVG, or the problem that kept Graphviz from drawing it."""

    marked: tuple[str, ...] = ()
    """Ids of the objects drawn with a thick outline."""

    read_s: float = 0.0
    """Seconds spent reading the cluster (0 for a recorded snapshot)."""

    def text(self) -> str:
        """The outline, and why there is no drawing when there is none."""
        body = outline(self.graph, marked=self.marked)
        return f"{body}\n({self.rendering.problem})" if self.rendering.problem else body

    def summary(self) -> str:
        """The map in one sentence, for whoever cannot see the drawing (its alt text).

        Example:
            >>> graph = Graph("lab-05", (Node("Service", "web"), Node("Pod", "a")), ())
            >>> NamespaceMap(graph, "", Rendering("", ""), ("Service/web",)).summary()
            'Map of namespace lab-05: 2 objects, 0 relations; outlined: Service web.'
        """
        graph = self.graph
        marked = ", ".join(mark.replace("/", " ", 1) for mark in self.marked)
        return (
            f"Map of namespace {graph.namespace}: {len(graph.nodes)} objects, "
            f"{len(graph.edges)} relations" + (f"; outlined: {marked}." if marked else ".")
        )

    def figure_html(self) -> str:
        """The drawing as an image with :meth:`summary` as its alt text, and the outline
        under it in a closed "as text" block; the outline alone when there is no drawing.
        For HTML that is read outside JupyterLab (nbgrader feedback)."""
        from base64 import b64encode
        from html import escape

        text = f"<pre>{escape(self.text())}</pre>"
        if not self.rendering.svg:
            return text
        source = b64encode(self.rendering.svg.encode("utf-8")).decode("ascii")
        return (
            f'<figure class="kklab-map"><img src="data:image/svg+xml;base64,{source}" '
            f'alt="{escape(self.summary())}" style="max-width: 100%">'
            f"<figcaption><details><summary>The map as text</summary>{text}</details>"
            "</figcaption></figure>"
        )

    def _repr_html_(self) -> str:
        """The SVG in a notebook, or the outline when it could not be drawn."""
        if self.rendering.svg:
            return self.rendering.svg
        from html import escape

        return f"<pre>{escape(self.text())}</pre>"


def map_snapshot(
    snapshot: Snapshot, *, marked: Collection[str] = (), draw: bool = True
) -> NamespaceMap:
    """The map of a recorded (or just read) snapshot; ``draw=False`` skips Graphviz."""
    graph = build_graph(
        snapshot.objects, snapshot.namespace, unread=snapshot.unread, notes=snapshot.notes
    )
    marked = with_near_misses(graph, marked)
    dot_text = to_dot(graph, marked=marked)
    rendering = render_svg(dot_text) if draw else Rendering("", "")
    return NamespaceMap(graph, dot_text, rendering, marked)


def map_namespace(
    api_client: Any, namespace: str, *, marked: Collection[str] = (), draw: bool = True
) -> NamespaceMap:
    """Read ``namespace`` through ``api_client`` (a ``kubernetes.client.ApiClient``) and map it.

    Raises ``ClusterError`` when the cluster does not answer; a kind the learner may
    not read is left out and named in the map's notes.
    """
    from kklab.grading.transport import ApiClientTransport

    started = time.monotonic()
    snapshot = read_namespace(ApiClientTransport(api_client), namespace)
    read_s = time.monotonic() - started
    drawn = map_snapshot(snapshot, marked=marked, draw=draw)
    return NamespaceMap(drawn.graph, drawn.dot, drawn.rendering, drawn.marked, read_s)


def map_lab(lab: str | None, *, draw: bool = True) -> NamespaceMap:
    """The map of a started lab's namespace (``07-storage``, ``07`` or ``7``), or of the
    namespace ``default`` (or a classroom sandbox's) when ``lab`` is None.

    Raises ``LabError`` for a lab that does not exist, ``LabNotStartedError`` for
    one never started, ``ClusterError`` when no cluster answers.
    """
    from kklab.connecting import connect, require_started

    if lab is None:
        connection = connect()
    else:
        from kklab.labs import find_lab

        lab_id = find_lab(lab).id
        connection = connect(lab_id)
        require_started(connection, lab_id)
    return map_namespace(connection.api_client, connection.namespace, draw=draw)
