"""A map as Graphviz DOT text (for ``dot -Tsvg``) and as a plain-text outline.

Pure. The layout is Graphviz's: this module only says what each object looks
like (a shape per kind, a pod's state as a fill colour *and* in words) and which
arrows join them. Objects passed as ``marked`` get a thick outline, for a failed
check's report to point at what it looked at.

Example:
    >>> from kklab.mapping.graph import Edge, Graph, Node
    >>> nodes = (Node("Pod", "web", "ready", ("1/1 containers ready",)),
    ...     Node("ConfigMap", "settings"))
    >>> edges = (Edge("Pod/web", "ConfigMap/settings", "mounts", "/etc/web"),)
    >>> graph = Graph("lab-01", nodes, edges)
    >>> print(outline(graph))
    Map of namespace lab-01
    Pod web: Ready (1/1 containers ready)
      mounts ConfigMap settings (/etc/web)
    ConfigMap settings
    >>> 'digraph' in to_dot(graph) and '"Pod/web" -> "ConfigMap/settings"' in to_dot(graph)
    True
"""

from __future__ import annotations

from collections.abc import Collection
from html import escape
from typing import Final

from kklab.mapping.graph import Graph, Node
from kklab.mapping.states import STATE_WORDS

STATE_STYLES: Final = {
    "ready": ("#c7e9c0", "#238b45", "solid"),
    "not-ready": ("#fee391", "#cc4c02", "solid"),
    "crash-looping": ("#fcbba1", "#cb181d", "bold"),
    "pending": ("#deebf7", "#2171b5", "dashed"),
    "completed": ("#f0f0f0", "#737373", "solid"),
    "failed": ("#fcbba1", "#cb181d", "solid"),
    "terminating": ("#f0f0f0", "#737373", "dashed"),
    "missing": ("#ffffff", "#cb181d", "dashed"),
    "unread": ("#ffffff", "#969696", "dotted"),
}
"""Fill colour, outline colour and line style of each state (colour-blind-safe hues)."""

KIND_SHAPES: Final = {
    "Ingress": "hexagon",
    "Service": "ellipse",
    "Endpoints": "oval",
    "PersistentVolumeClaim": "cylinder",
    "PersistentVolume": "cylinder",
    "StorageClass": "component",
    "Folder": "folder",
    "ConfigMap": "note",
    "Secret": "note",
    "NetworkPolicy": "octagon",
    "ServiceAccount": "egg",
    "RoleBinding": "cds",
    "Role": "tab",
    "ClusterRole": "tab",
}
"""Graphviz shape per kind; other kinds (workloads, pods) are rounded boxes."""

RELATION_COLOURS: Final = {
    "owns": "#636363",
    "routes to": "#2171b5",
    "selects": "#6a51a3",
    "nearly selects": "#6a51a3",
    "mounts": "#8c510a",
    "reads env from": "#8c510a",
    "pulls images with": "#8c510a",
}
"""Arrow colour per relation (others are black)."""

MARK_COLOUR: Final = "#e6550d"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(node: Node) -> str:
    """An HTML-like label: kind small, name bold, then the state in words and the details."""
    lines = [f'<FONT POINT-SIZE="9">{escape(node.kind)}</FONT>', f"<B>{escape(node.name)}</B>"]
    if node.state:
        lines.append(escape(STATE_WORDS.get(node.state, node.state)))
    lines += [f'<FONT POINT-SIZE="9">{escape(detail)}</FONT>' for detail in node.details]
    return "<" + "<BR/>".join(lines) + ">"


def _node_line(node: Node, marked: bool) -> str:
    attributes = {
        "label": _label(node),
        "shape": KIND_SHAPES.get(node.kind, "box"),
        "tooltip": _quote(f"{node.kind} {node.name}"),
    }
    styles = ["rounded"] if attributes["shape"] == "box" else []
    if node.state in STATE_STYLES:
        fill, outline_colour, line = STATE_STYLES[node.state]
        styles += ["filled", line]
        attributes["fillcolor"] = _quote(fill)
        attributes["color"] = _quote(outline_colour)
    if marked:
        attributes["penwidth"] = "3"
        attributes["color"] = _quote(MARK_COLOUR)
    if styles:
        attributes["style"] = _quote(",".join(styles))
    joined = ", ".join(f"{key}={value}" for key, value in attributes.items())
    return f"  {_quote(node.id)} [{joined}];"


def _legend(states: Collection[str], marked: bool) -> list[str]:
    """A box per state present on the map, its name in words on its colour (and what a
    thick orange outline means, when the map has one)."""
    lines = [
        "  subgraph cluster_legend {",
        '    label="Pod states"; fontsize=10; color="#bdbdbd";',
    ]
    if marked:
        lines.append(
            f'    "legend/marked" [label="Looked at by a failed check", shape=box, '
            f'style="rounded", penwidth=3, color="{MARK_COLOUR}", fontsize=9];'
        )
    for state in STATE_STYLES:
        if state not in states:
            continue
        fill, outline_colour, line = STATE_STYLES[state]
        lines.append(
            f"    {_quote('legend/' + state)} [label={_quote(STATE_WORDS[state])}, shape=box, "
            f'style="rounded,filled,{line}", fillcolor="{fill}", color="{outline_colour}", '
            "fontsize=9];"
        )
    lines.append("  }")
    return lines


def to_dot(graph: Graph, *, marked: Collection[str] = ()) -> str:
    """DOT text of ``graph``, left to right; ``marked`` node ids get a thick orange outline."""
    lines = [
        f"digraph {_quote('namespace ' + graph.namespace)} {{",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.5,',
        f"         label={_quote(_caption(graph))}, labelloc=t, labeljust=l];",
        '  node [fontname="Helvetica", fontsize=11, margin="0.12,0.06"];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
    ]
    lines += [_node_line(node, node.id in marked) for node in graph.nodes]
    for edge in graph.edges:
        text = edge.relation + (f" {edge.label}" if edge.label else "")
        attributes = [f"label={_quote(text)}"]
        colour = RELATION_COLOURS.get(edge.relation)
        if colour:
            attributes.append(f'color="{colour}", fontcolor="{colour}"')
        if edge.faint:
            attributes.append('style="dashed"')
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)} [{', '.join(attributes)}];")
    states = {node.state for node in graph.nodes if node.state}
    shown_marks = any(node.id in marked for node in graph.nodes)
    if states or shown_marks:
        lines += _legend(states, shown_marks)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _caption(graph: Graph) -> str:
    caption = f"namespace {graph.namespace}"
    if not graph.nodes:
        caption += ": empty (no objects yet)"
    for note in graph.notes:
        caption += f"\\l{note}"
    return caption + ("\\l" if graph.notes else "")


def _describe(node: Node) -> str:
    text = f"{node.kind} {node.name}"
    parts = []
    if node.state:
        parts.append(STATE_WORDS.get(node.state, node.state))
    details = ", ".join(node.details)
    if parts and details:
        return f"{text}: {parts[0]} ({details})"
    if parts:
        return f"{text}: {parts[0]}"
    return f"{text} ({details})" if details else text


def outline(graph: Graph, *, marked: Collection[str] = ()) -> str:
    """The map as text: each object, then an indented line per arrow leaving it.

    A marked object starts with ``»``.
    """
    by_id = {node.id: node for node in graph.nodes}
    lines = [f"Map of namespace {graph.namespace}"]
    if not graph.nodes:
        lines.append("  (empty: no objects yet)")
    for node in graph.nodes:
        lines.append(("» " if node.id in marked else "") + _describe(node))
        for edge in graph.edges:
            if edge.source != node.id:
                continue
            target = by_id[edge.target]
            suffix = f" ({edge.label})" if edge.label else ""
            state = f" [{STATE_WORDS[target.state]}]" if target.state in STATE_WORDS else ""
            lines.append(f"  {edge.relation} {target.kind} {target.name}{state}{suffix}")
    lines += [f"Note: {note}" for note in graph.notes]
    return "\n".join(lines)
