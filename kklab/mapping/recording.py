"""A lab's solved state, recorded for the course site, and the relations it must show.

When the lab tests run a lab's notebook with its solutions, they read the lab
namespace and (with ``KKLAB_RECORD_MAPS=1``) write it to
``labs/NN-topic/solved-map.json``; the site draws each lab page's map from that
file, with no cluster at build. A lab's ``lab.yaml`` lists under ``map:`` the
relations its solved state teaches, as ``Kind relation Kind`` patterns (names
differ between runs: pods get generated names); the lab tests check them on the
live solved state, the unit tests on the recording.

Example:
    >>> from kklab.mapping.graph import Edge, Graph, Node
    >>> graph = Graph("lab-01", (Node("Pod", "a"), Node("ConfigMap", "b")),
    ...     (Edge("Pod/a", "ConfigMap/b", "mounts"),))
    >>> relation_patterns(graph)
    ['Pod mounts ConfigMap']
    >>> missing_relations(graph, ["Pod mounts ConfigMap", "Pod mounts Secret"])
    ['Pod mounts Secret']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Final

from kklab.mapping.graph import Graph
from kklab.mapping.reading import Snapshot

SOLVED_MAP: Final = "solved-map.json"
"""The file, in a lab's folder, that holds the snapshot of its solved state."""


def relation_patterns(graph: Graph) -> list[str]:
    """Each relation of ``graph`` as ``Kind relation Kind``, once, sorted."""
    kinds = {node.id: node.kind for node in graph.nodes}
    return sorted(
        {f"{kinds[edge.source]} {edge.relation} {kinds[edge.target]}" for edge in graph.edges}
    )


def missing_relations(graph: Graph, expected: Iterable[str]) -> list[str]:
    """The expected ``Kind relation Kind`` patterns that ``graph`` does not show."""
    found = set(relation_patterns(graph))
    return [pattern for pattern in expected if pattern not in found]


def solved_map_path(lab_folder: Path) -> Path:
    """Where a lab's solved state is recorded."""
    return lab_folder / SOLVED_MAP


def record(snapshot: Snapshot, lab_folder: Path, lab_namespace: str) -> Path:
    """Write ``snapshot`` as the lab's solved state, under the lab's own namespace name
    (it may have been read elsewhere, e.g. in a scratch namespace)."""
    path = solved_map_path(lab_folder)
    text = replace(snapshot, namespace=lab_namespace).to_json()
    if snapshot.namespace != lab_namespace:  # in metadata, selfLinks, claimRefs...
        text = text.replace(f'"{snapshot.namespace}"', f'"{lab_namespace}"')
        text = text.replace(f"/namespaces/{snapshot.namespace}/", f"/namespaces/{lab_namespace}/")
    path.write_text(text, encoding="utf-8")
    return path


def recorded(lab_folder: Path) -> Snapshot | None:
    """The lab's recorded solved state, or None when it was never recorded."""
    path = solved_map_path(lab_folder)
    if not path.exists():
        return None
    return Snapshot.from_json(path.read_text(encoding="utf-8"))
