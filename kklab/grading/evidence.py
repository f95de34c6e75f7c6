"""Bounded evidence for a failed check: events, container states, last log lines.

Collected once, after polling gave up, for the object a failure is about (and
the pods it selects). At most :data:`MAX_LINES` lines, each at most
:data:`MAX_LINE` characters; Secret values are scrubbed later by the engine.

Example:
    >>> container_lines({"metadata": {"name": "web-1"}, "status": {"containerStatuses": [
    ...     {"name": "web", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
    ... ]}})
    ['pod web-1, container web: waiting (CrashLoopBackOff), restarted 3 times']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from kklab.grading.fetching import Fetcher
from kklab.grading.misconceptions import WORKLOADS, Related, is_about, selected_by, selects
from kklab.grading.transport import ApiStatusError

MAX_LINES: Final = 12
MAX_LINE: Final = 200
MAX_EVENTS: Final = 4
MAX_PODS: Final = 3
ROUTINE_EVENTS: Final = frozenset({"Scheduled", "Pulling", "Pulled", "Created", "Started"})
"""Normal events every healthy pod has: left out of evidence, they explain nothing."""


def _clip(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def _meta(obj: Mapping[str, Any], key: str) -> str:
    metadata = obj.get("metadata")
    return str(metadata.get(key, "")) if isinstance(metadata, Mapping) else ""


def gather_related(fetcher: Fetcher, namespace: str) -> Related:
    """Fetch what the misconception catalogue looks at; kinds that fail to load stay empty."""

    unreadable: set[str] = set()

    def load(api_version: str, kind: str, in_namespace: bool = True) -> tuple[Any, ...]:
        try:
            return tuple(fetcher.list(api_version, kind, namespace if in_namespace else ""))
        except (ApiStatusError, Exception):  # evidence is best effort
            unreadable.add(kind)
            return ()

    related = Related(
        pods=load("v1", "Pod"),
        secrets=load("v1", "Secret"),
        config_maps=load("v1", "ConfigMap"),
        storage_classes=load("storage.k8s.io/v1", "StorageClass", in_namespace=False),
        events=load("v1", "Event"),
    )
    return replace(related, unreadable=frozenset(unreadable))


def pods_of(obj: Mapping[str, Any], related: Related) -> list[Mapping[str, Any]]:
    """The pods an object is about: itself, or those its selector selects."""
    kind = obj.get("kind")
    spec = obj.get("spec") if isinstance(obj.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    if kind == "Pod":
        return [obj]
    if kind in WORKLOADS:
        return selected_by(obj, related.pods)
    if kind != "Service":
        return []
    selector = spec.get("selector")
    pods = related.pods
    return [pod for pod in pods if selects(selector, (pod.get("metadata") or {}).get("labels"))]


def container_lines(pod: Mapping[str, Any]) -> list[str]:
    """One line per container that is not simply running and ready."""
    lines = []
    status = pod.get("status") if isinstance(pod.get("status"), Mapping) else {}
    assert isinstance(status, Mapping)
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        restarts = int(container.get("restartCount") or 0)
        if "running" in state and container.get("ready", True) and not restarts:
            continue
        parts = []
        for name, detail in state.items():
            reason = (detail or {}).get("reason")
            exit_code = (detail or {}).get("exitCode")
            described = name + (f" ({reason})" if reason else "")
            described += f" exit code {exit_code}" if exit_code is not None else ""
            parts.append(described)
        if "running" in state and not container.get("ready", True):
            parts.append("not ready")
        if restarts:
            parts.append("restarted once" if restarts == 1 else f"restarted {restarts} times")
        lines.append(
            f"pod {_meta(pod, 'name')}, container {container.get('name')}: " + ", ".join(parts)
        )
    return lines


def event_lines(
    obj: Mapping[str, Any], related: Related, pods: list[Mapping[str, Any]]
) -> list[str]:
    """The latest events about the object and its pods (warnings first), matched by UID."""
    subjects = [obj, *(pod for pod in pods if pod is not obj)]
    events = [
        e
        for e in related.events
        if any(is_about(e, subject) for subject in subjects)
        and (e.get("type") == "Warning" or e.get("reason") not in ROUTINE_EVENTS)
    ]
    # Warnings first, the latest first within each type.
    events.sort(key=lambda e: _event_time(e), reverse=True)
    events.sort(key=lambda e: e.get("type") != "Warning")
    lines = []
    for event in events[:MAX_EVENTS]:
        involved = event.get("involvedObject") or {}
        count = int(event.get("count") or 1)
        times = f" (x{count})" if count > 1 else ""
        lines.append(
            f"event {involved.get('kind')}/{involved.get('name')}: {event.get('type')}"
            f" {event.get('reason')}{times}: {event.get('message', '')}"
        )
    return lines


def _event_time(event: Mapping[str, Any]) -> str:
    """When an event last happened (core/v1 events, or events.k8s.io ones seen as core)."""
    metadata = event.get("metadata") or {}
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or metadata.get("creationTimestamp")
        or ""
    )


def log_lines(fetcher: Fetcher, pod: Mapping[str, Any]) -> list[str]:
    """Last log lines of containers that are not ready or restarted."""
    lines = []
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        restarts = int(container.get("restartCount") or 0)
        if container.get("ready") and not restarts:
            continue
        previous = restarts > 0 and "running" not in (container.get("state") or {})
        text = fetcher.pod_log(
            _meta(pod, "namespace"),
            _meta(pod, "name"),
            str(container.get("name")),
            previous=previous,
        )
        for line in text.strip().splitlines()[-3:]:
            lines.append(f"log {_meta(pod, 'name')}/{container.get('name')}: {line}")
    return lines


def collect_evidence(fetcher: Fetcher, obj: Mapping[str, Any], related: Related) -> tuple[str, ...]:
    """Bounded evidence lines about ``obj``: container states, events, then logs."""
    pods = pods_of(obj, related)[:MAX_PODS]
    lines: list[str] = []
    for pod in pods:
        lines += container_lines(pod)
    lines += event_lines(obj, related, pods)
    for pod in pods:
        if len(lines) >= MAX_LINES:
            break
        try:
            lines += log_lines(fetcher, pod)
        except Exception:  # logs are best effort (e.g. container never started)
            break
    return tuple(_clip(line) for line in lines[:MAX_LINES])
