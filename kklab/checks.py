"""Everything a custom check in ``graders/NN-topic.py`` needs, in one import.

A ``python:`` check is a function ``check(context: CheckContext) -> Outcome``. Write
one only for what the declarative kinds cannot say (see graders/README.md): a
graders file imports nothing of kklab but this module (a unit test holds it).

Example:
    >>> from kklab.checks import CheckContext, Mismatch, Outcome, dig, final_when_quiet
    >>> @final_when_quiet
    ... def web_has_two_replicas(context: CheckContext) -> Outcome:
    ...     found = dig(context.get("apps/v1", "Deployment", "web"), "spec", "replicas")
    ...     if found == 2:
    ...         return Outcome(True)
    ...     return Outcome(False, mismatches=(Mismatch("spec.replicas", 2, found, "differs"),))
    >>> web_has_two_replicas.__name__
    'web_has_two_replicas'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kklab.grading.context import CheckContext, pick_pod
from kklab.grading.events import events_about
from kklab.grading.fetching import describe_object
from kklab.grading.functions import as_number as quantity
from kklab.grading.logs import text_mismatches
from kklab.grading.matching import Mismatch, dig, match
from kklab.grading.results import CheckError, Outcome
from kklab.grading.settling import (
    final_when_quiet,
    final_when_steady,
    namespace_settling,
    parse_time,
    pod_at_rest,
    steady,
)
from kklab.grading.transport import ApiStatusError, ExecOutput

__all__ = [
    "ApiStatusError",
    "CheckContext",
    "CheckError",
    "ExecOutput",
    "Mismatch",
    "Outcome",
    "container_of",
    "describe_object",
    "dig",
    "events_about",
    "final_when_quiet",
    "final_when_steady",
    "match",
    "namespace_settling",
    "parse_time",
    "pick_pod",
    "pod_at_rest",
    "quantity",
    "steady",
    "text_mismatches",
]


def container_of(spec: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The container called ``name`` in a pod spec, else its first container (``{}`` if none).

    Example:
        >>> container_of({"containers": [{"name": "a"}, {"name": "b"}]}, "b")
        {'name': 'b'}
        >>> container_of({"containers": [{"name": "a"}]}, "web"), container_of({}, "web")
        ({'name': 'a'}, {})
    """
    containers = [c for c in spec.get("containers") or [] if isinstance(c, Mapping)]
    for container in containers:
        if container.get("name") == name:
            return container
    return containers[0] if containers else {}
