"""A pod's state in words, as the map colours it: Ready, Not ready, Crash-looping, Pending.

Pure: reads a pod as the API returns it (a plain dict) and says which state it
is in and why, in the words ``kubectl get pods`` would use.

Example:
    >>> pod = {"status": {"phase": "Running", "conditions": [
    ...     {"type": "Ready", "status": "True"}],
    ...     "containerStatuses": [{"ready": True, "restartCount": 0, "state": {"running": {}}}]}}
    >>> pod_state(pod)
    PodState(state='ready', detail='1/1 containers ready')
    >>> STATE_WORDS["crash-looping"]
    'Crash-looping'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

STATE_WORDS: Final = {
    "ready": "Ready",
    "not-ready": "Not ready",
    "crash-looping": "Crash-looping",
    "pending": "Pending",
    "completed": "Completed",
    "failed": "Failed",
    "terminating": "Terminating",
    "missing": "Missing",
    "unread": "Not read",
}
"""Each state as the map writes it next to the colour (colour is never the only cue)."""

CRASHING_REASONS: Final = frozenset({"CrashLoopBackOff", "RunContainerError"})
"""Waiting reasons of a container that starts and dies over and over."""


@dataclass(frozen=True)
class PodState:
    """Where a pod is in its life, for the map."""

    state: str
    """A key of :data:`STATE_WORDS`: ``ready``, ``not-ready``, ``crash-looping``, ``pending``,
    ``completed``, ``failed`` or ``terminating``."""

    detail: str
    """Why, in a few words (``0/1 containers ready``, ``ImagePullBackOff``, ``Unschedulable``)."""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _waiting_reasons(statuses: list[Mapping[str, Any]]) -> list[str]:
    reasons = []
    for status in statuses:
        waiting = _mapping(_mapping(status.get("state")).get("waiting"))
        if waiting.get("reason"):
            reasons.append(str(waiting["reason"]))
    return reasons


def pod_state(pod: Mapping[str, Any]) -> PodState:
    """The state of ``pod`` and a few words on why.

    Example:
        >>> crashing = {"status": {"phase": "Running", "containerStatuses": [{"ready": False,
        ...     "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}
        >>> pod_state(crashing)
        PodState(state='crash-looping', detail='CrashLoopBackOff, 4 restarts')
        >>> pod_state({"status": {"phase": "Pending", "conditions": [{"type": "PodScheduled",
        ...     "status": "False", "reason": "Unschedulable"}]}})
        PodState(state='pending', detail='Unschedulable')
        >>> pod_state({"status": {"phase": "Succeeded"}}).state
        'completed'
    """
    metadata = _mapping(pod.get("metadata"))
    status = _mapping(pod.get("status"))
    phase = str(status.get("phase") or "Pending")
    statuses = _list(status.get("initContainerStatuses")) + _list(status.get("containerStatuses"))
    containers = _list(status.get("containerStatuses"))
    restarts = sum(int(item.get("restartCount") or 0) for item in statuses)
    ready_count = sum(1 for item in containers if item.get("ready"))
    counted = f"{ready_count}/{len(containers)} containers ready" if containers else ""
    reasons = _waiting_reasons(statuses)
    if metadata.get("deletionTimestamp"):
        return PodState("terminating", "being deleted")
    if phase == "Succeeded":
        return PodState("completed", "all containers exited with 0")
    if phase == "Failed":
        return PodState("failed", str(status.get("reason") or "a container failed"))
    crashing = [reason for reason in reasons if reason in CRASHING_REASONS]
    if crashing:
        plural = "s" if restarts != 1 else ""
        return PodState("crash-looping", f"{crashing[0]}, {restarts} restart{plural}")
    if phase == "Pending":
        for condition in _list(status.get("conditions")):
            if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
                return PodState("pending", str(condition.get("reason") or "not scheduled yet"))
        return PodState("pending", reasons[0] if reasons else "starting")
    ready = any(
        condition.get("type") == "Ready" and condition.get("status") == "True"
        for condition in _list(status.get("conditions"))
    )
    if ready:
        return PodState("ready", counted or "ready")
    return PodState("not-ready", reasons[0] if reasons else counted or "not ready")
