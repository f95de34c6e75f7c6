"""The ``event`` check kind: an event with a reason about one object, found by its UID.

Matching by UID, not name: the events of a deleted pod or claim must not speak for
its successor of the same name. Events of cluster-scoped objects (a
PersistentVolume, a Node) are recorded in the ``default`` namespace.

Example:
    >>> claim = {"metadata": {"uid": "u-2"}}
    >>> events = [{"reason": "ProvisioningSucceeded", "involvedObject": {"uid": "u-1"}},
    ...           {"reason": "WaitForFirstConsumer", "involvedObject": {"uid": "u-2"}}]
    >>> [e["reason"] for e in events_about(claim, events)]
    ['WaitForFirstConsumer']
    >>> found_event(EventBody("v1", "PersistentVolumeClaim", "c", "ProvisioningSucceeded"),
    ...     events_about(claim, events)) is None
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kklab.grading.context import CheckContext
from kklab.grading.fetching import describe_object
from kklab.grading.matching import Mismatch, dig
from kklab.grading.results import Outcome
from kklab.grading.settling import namespace_settling, pod_at_rest, steady
from kklab.grading.spec import EventBody

Obj = Mapping[str, Any]


def events_about(obj: Obj, events: Iterable[Obj]) -> list[Obj]:
    """The events about ``obj`` itself (its UID), oldest first; pure."""
    uid = dig(obj, "metadata", "uid")
    found = [e for e in events if uid and dig(e, "involvedObject", "uid") == uid]
    return sorted(found, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))


def found_event(body: EventBody, events: Iterable[Obj]) -> Obj | None:
    """The last event with the body's reason (and message text), or None; pure."""
    found = None
    for event in events:
        message = str(event.get("message") or "")
        if event.get("reason") == body.reason and (
            body.message_contains is None or body.message_contains in message
        ):
            found = event
    return found


def _quiet(context: CheckContext, obj: Obj) -> bool:
    """A missing (or unwanted) event is final when nothing here is on its way: the
    namespace is not settling and, for a pod, every container is steady."""
    if obj.get("kind") == "Pod" and not pod_at_rest(obj):
        names = [str(c.get("name")) for c in dig(obj, "spec", "containers") or []]
        if not all(steady(obj, name) for name in names):
            return False
    return not namespace_settling(context.fetcher, context.namespace)


def run_event(context: CheckContext, body: EventBody) -> Outcome:
    """Pass when an event with the reason is about the object (or, ``present: false``,
    when none is)."""
    resource = context.fetcher.resource(body.api_version, body.kind)
    namespace = context.namespace if resource.namespaced else "default"
    obj = context.fetcher.get(body.api_version, body.kind, body.name, context.namespace)
    where = f"{body.kind} {body.name}"
    if not isinstance(obj, dict):
        missing = Mismatch("", f"{where} in namespace {context.namespace}", None, "not-found")
        quiet = not namespace_settling(context.fetcher, context.namespace)
        return Outcome(False, mismatches=(missing,), settled=quiet)
    about = events_about(obj, context.list("v1", "Event", namespace=namespace))
    event = found_event(body, about)
    subject = f"events of {describe_object(obj)}"
    if (event is not None) == body.present:
        return Outcome(True, subject=subject)
    recent = tuple(f"{e.get('reason')}: {str(e.get('message') or '').strip()}" for e in about[-3:])
    wanted = f"an event {body.reason}" + (
        f' saying "{body.message_contains}"' if body.message_contains else ""
    )
    if body.present:
        reasons = sorted({str(e.get("reason")) for e in about})
        mismatch = Mismatch("events", wanted, reasons or None, "not-in-list")
        message = f"No event {body.reason} about {where}" + (
            "." if about else " (it has no events at all)."
        )
    else:
        assert event is not None
        mismatch = Mismatch("events", f"no {wanted[3:]}", event.get("message"), "exists")
        message = f"{where} has an event {body.reason}."
    return Outcome(
        False,
        message,
        subject,
        (mismatch,),
        evidence=recent,
        subject_object=obj,
        settled=_quiet(context, obj),
    )
