"""Which objects on a map a failed check looked at, from its report.

Pure. A check's ``subject`` names the object it judged (``v1 Service
lab-05/web``); on the map that object gets a thick outline, and so does what a
learner should look at next to it (a Service's Endpoints: which pods it found; the
pods a Service's selector nearly matches: see :func:`with_near_misses`).

Example:
    >>> node_of("v1 PersistentVolumeClaim lab-07-storage/data")
    'PersistentVolumeClaim/data'
    >>> node_of("pods in lab-01-pods") is None
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from kklab.grading.results import CheckResult
from kklab.mapping.graph import Graph

SUBJECT: Final = re.compile(r"^\S+ (?P<kind>[A-Z][A-Za-z]*) (?:[^/\s]+/)?(?P<name>[^/\s]+)$")
"""``apiVersion Kind namespace/name`` (or ``apiVersion Kind name`` for cluster objects)."""

NEIGHBOURS: Final = {"Service": "Endpoints"}
"""Kinds whose same-named companion is marked with them."""


def node_of(subject: str) -> str | None:
    """The map id (``Kind/name``) of a check's subject, or None for a list or nothing."""
    found = SUBJECT.match(subject.strip())
    if found is None:
        return None
    return f"{found['kind']}/{found['name']}"


def looked_at(checks: Iterable[CheckResult]) -> tuple[str, ...]:
    """The ids to mark for the checks that did not pass, sorted.

    Example:
        >>> failed = CheckResult("05", "2", "web-selects-pods", "", "failed", 0, 2,
        ...     subject="v1 Service lab-05/web")
        >>> looked_at([failed])
        ('Endpoints/web', 'Service/web')
    """
    marked: set[str] = set()
    for check in checks:
        if check.status == "passed":
            continue
        node = node_of(check.subject)
        if node is None:
            continue
        marked.add(node)
        kind, name = node.split("/", 1)
        if kind in NEIGHBOURS:
            marked.add(f"{NEIGHBOURS[kind]}/{name}")
    return tuple(sorted(marked))


def with_near_misses(graph: Graph, marked: Iterable[str]) -> tuple[str, ...]:
    """``marked``, and the pods a marked object nearly selects (the pods a Service
    with no endpoints should have matched), sorted.

    Example:
        >>> from kklab.mapping.graph import Edge
        >>> graph = Graph("ns", (), (Edge("Service/web", "Pod/a", "nearly selects"),))
        >>> with_near_misses(graph, ["Service/web"])
        ('Pod/a', 'Service/web')
    """
    chosen = set(marked)
    chosen |= {
        edge.target
        for edge in graph.edges
        if edge.relation == "nearly selects" and edge.source in chosen
    }
    return tuple(sorted(chosen))
