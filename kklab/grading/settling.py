"""Whether a namespace is still settling: state that will change without the learner.

A failed check needs no polling when what differs is something the learner
wrote (anything outside ``status``) and nothing in the namespace is on its way
somewhere: no pod starting or going, no claim waiting, no rollout under way.
:func:`settling` is the pure rule over plain dicts (the objects of the namespace,
each with its ``kind``); :func:`namespace_settling` reads them through the
round's :class:`~kklab.grading.fetching.Fetcher`, so every check of a round
shares one read of each kind.

What counts as settling (each gives one reason):

- any object with a ``deletionTimestamp`` (it is going away);
- a Pending pod whose containers are still being created: not scheduled yet
  (unless its PodScheduled condition has said ``Unschedulable`` for more than
  :data:`UNSCHEDULABLE_GRACE_S`, which only a change to the cluster or the pod
  resolves), no container statuses yet, or a container waiting in
  ``ContainerCreating``/``PodInitializing``;
- a Running pod with a container that is not ready and started less than
  :data:`STARTING_S` ago, or one waiting to start again for a reason that is not
  stuck;
- a PersistentVolumeClaim that is Pending;
- a Deployment, ReplicaSet, StatefulSet or DaemonSet whose controller has not seen
  its latest spec (``observedGeneration < generation``) or whose pods are not all
  there and updated yet (``status.replicas``/``updatedReplicas`` against
  ``spec.replicas``; for a DaemonSet the scheduled and updated counts against the
  desired one). Readiness is left to the pod rules: a pod that crashes for good
  does not make its Deployment "settling";
- a Job with active pods that started less than :data:`STARTING_S` ago;
- a pod whose status still shows another image than its spec asks for (the
  kubelet has not acted on ``kubectl set image`` yet), even when that old image
  is stuck.

A container waiting for a reason in :data:`STUCK` (a failed pull, a crash loop, a
missing config) is *not* settling: it will not change by itself.

Example:
    >>> now = parse_time("2026-01-01T12:00:00Z")
    >>> settling([{"kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
    ...            "status": {"phase": "Pending"}}], now)
    ['claim data is Pending']
    >>> settling([{"kind": "Pod", "metadata": {"name": "web"}, "status": {"phase": "Pending",
    ...     "conditions": [{"type": "PodScheduled", "status": "True"}],
    ...     "containerStatuses": [{"name": "web", "ready": False,
    ...         "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}}], now)
    []
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Final

from kklab.grading.equivalence import image_reference
from kklab.grading.fetching import Fetcher
from kklab.grading.matching import Mismatch, dig

STARTING_S: Final = 30.0
"""A container (or a Job's pod) younger than this is still starting."""

UNSCHEDULABLE_GRACE_S: Final = 5.0
"""A pod the scheduler has called Unschedulable for longer than this stays so."""

STUCK: Final = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "CreateContainerError",
    }
)
"""Waiting reasons that will not change by themselves."""

STARTING: Final = frozenset({"ContainerCreating", "PodInitializing"})
"""Waiting reasons of containers on their way to running."""

KINDS: Final = (
    ("v1", "Pod"),
    ("v1", "PersistentVolumeClaim"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
)
"""What :func:`namespace_settling` reads."""

Obj = Mapping[str, Any]


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time as an aware datetime, or None.

    Example:
        >>> parse_time("2026-01-01T12:00:00Z").hour, parse_time("soon"), parse_time(None)
        (12, None, None)
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _age_s(value: Any, now: datetime) -> float | None:
    when = parse_time(value)
    return None if when is None else (now - when).total_seconds()


def _items(value: Any) -> list[Obj]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _statuses(pod: Obj) -> list[Obj]:
    return _items(dig(pod, "status", "initContainerStatuses")) + _items(
        dig(pod, "status", "containerStatuses")
    )


def _waiting(container: Obj) -> str | None:
    state = container.get("state")
    if not isinstance(state, Mapping) or "waiting" not in state:
        return None
    return str(dig(state, "waiting", "reason") or "")


def _stuck(pod: Obj) -> bool:
    return any(_waiting(container) in STUCK for container in _statuses(pod))


def behind_its_spec(pod: Obj) -> str | None:
    """The container whose status still shows another image than its spec asks for.

    Right after ``kubectl set image`` the kubelet has not acted yet: the status
    still shows the old image (and perhaps its pull failure), but it will change.

    Example:
        >>> behind_its_spec({"spec": {"containers": [{"name": "main", "image": "busybox:1.35"}]},
        ...     "status": {"containerStatuses": [{"name": "main", "image": "busybox:1.53"}]}})
        'main'
        >>> behind_its_spec({"spec": {"containers": [{"name": "main", "image": "busybox:1.35"}]},
        ...     "status": {"containerStatuses": [{"name": "main",
        ...         "image": "docker.io/library/busybox:1.35"}]}})
    """
    wanted = {
        str(c.get("name")): str(c.get("image") or "")
        for key in ("containers", "initContainers")
        for c in _items(dig(pod, "spec", key))
    }
    for key in ("containerStatuses", "initContainerStatuses"):
        for status in _items(dig(pod, "status", key)):
            name, seen = str(status.get("name")), str(status.get("image") or "")
            if not seen or seen.startswith("sha256:") or name not in wanted:
                continue  # some runtimes report an image ID: nothing to compare
            if image_reference(seen) != image_reference(wanted[name]):
                return name
    return None


STEADY_S: Final = 10.0
"""A container running this long without a restart is taken at its word: what it
prints or serves now is what it does (a wrong answer is reported, not waited on)."""

SPEC_CHANGE_S: Final = 30.0
"""A pod whose spec someone changed (``set image``, ``patch``) less than this ago may
still show the state of its old spec: the kubelet reports on the new one shortly."""


def changed_lately(pod: Obj, now: datetime | None = None) -> bool:
    """Whether anyone but the kubelet changed the pod after creating it, moments ago.

    Example:
        >>> fields = [{"manager": "kubectl-set", "operation": "Update",
        ...            "time": "2026-01-01T12:00:05Z"}]
        >>> pod = {"metadata": {"creationTimestamp": "2026-01-01T11:00:00Z",
        ...                     "managedFields": fields}}
        >>> changed_lately(pod, parse_time("2026-01-01T12:00:09Z"))
        True
        >>> changed_lately(pod, parse_time("2026-01-01T12:01:00Z"))
        False
    """
    now = now or datetime.now(timezone.utc)
    created = parse_time(dig(pod, "metadata", "creationTimestamp"))
    for entry in _items(dig(pod, "metadata", "managedFields")):
        if entry.get("manager") == "kubelet" or entry.get("subresource") == "status":
            continue
        changed = parse_time(entry.get("time"))
        if changed is None or created is None or changed <= created:
            continue
        if (now - changed).total_seconds() < SPEC_CHANGE_S:
            return True
    return False


def steady(pod: Obj, container: str, now: datetime | None = None) -> bool:
    """Whether ``container`` has run for :data:`STEADY_S` without a break (or the pod is
    at rest): its output and the ports it serves will not change by themselves.

    Example:
        >>> pod = {"status": {"phase": "Running", "containerStatuses": [{"name": "web",
        ...     "state": {"running": {"startedAt": "2026-01-01T12:00:00Z"}}}]}}
        >>> steady(pod, "web", parse_time("2026-01-01T12:00:30Z"))
        True
        >>> steady(pod, "web", parse_time("2026-01-01T12:00:03Z"))
        False
    """
    now = now or datetime.now(timezone.utc)
    if pod_at_rest(pod, now):
        return True
    if changed_lately(pod, now) or behind_its_spec(pod):
        return False
    for status in _statuses(pod):
        if status.get("name") == container:
            age = _age_s(dig(status, "state", "running", "startedAt"), now)
            return age is not None and age >= STEADY_S
    return False


def pod_at_rest(pod: Obj, now: datetime | None = None) -> bool:
    """A pod whose status will not change by itself: it ended (Succeeded or Failed),
    or a container is stuck (a failed pull, a crash loop, a missing config).

    Its status mismatches are then final too: "expected Running, found
    CrashLoopBackOff" needs no polling.

    Example:
        >>> pod_at_rest({"status": {"phase": "Succeeded"}})
        True
        >>> pod_at_rest({"status": {"phase": "Running", "containerStatuses": [
        ...     {"state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}})
        True
        >>> pod_at_rest({"status": {"phase": "Running", "containerStatuses": [
        ...     {"state": {"running": {}}}]}})
        False
    """
    if dig(pod, "metadata", "deletionTimestamp") or behind_its_spec(pod):
        return False
    if changed_lately(pod, now):  # its stuck state may be the old spec's
        return False
    return dig(pod, "status", "phase") in ("Succeeded", "Failed") or _stuck(pod)


def _condition(obj: Obj, kind: str) -> Obj:
    for condition in _items(dig(obj, "status", "conditions")):
        if condition.get("type") == kind:
            return condition
    return {}


def _pending_pod(name: str, pod: Obj, now: datetime) -> str | None:
    scheduled = _condition(pod, "PodScheduled")
    if scheduled.get("status") != "True":
        age = _age_s(scheduled.get("lastTransitionTime"), now)
        if scheduled.get("reason") == "Unschedulable" and (age or 0) > UNSCHEDULABLE_GRACE_S:
            return None
        return f"pod {name} is not scheduled yet"
    statuses = _statuses(pod)
    if not statuses:
        return f"pod {name} has no containers yet"
    for container in statuses:
        if _waiting(container) in STARTING:
            return f"pod {name}: container {container.get('name')} is being created"
    return None


def _running_pod(name: str, pod: Obj, now: datetime) -> str | None:
    for container in _items(dig(pod, "status", "containerStatuses")):
        if container.get("ready"):
            continue
        reason = _waiting(container)
        if reason is not None and reason not in STUCK:
            return f"pod {name}: container {container.get('name')} is starting again"
        age = _age_s(dig(container, "state", "running", "startedAt"), now)
        if age is not None and age < STARTING_S:
            return f"pod {name}: container {container.get('name')} started {age:.0f} s ago"
    return None


def _pod(name: str, pod: Obj, now: datetime) -> str | None:
    changing = behind_its_spec(pod)
    if changing is not None:
        return f"pod {name}: container {changing} is changing to its new image"
    if changed_lately(pod, now):
        return f"pod {name} was changed moments ago"
    if _stuck(pod):
        return None
    phase = dig(pod, "status", "phase")
    if phase in (None, "Pending"):
        return _pending_pod(name, pod, now)
    if phase == "Running":
        return _running_pod(name, pod, now)
    return None


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _workload(kind: str, name: str, obj: Obj) -> str | None:
    generation = _int(dig(obj, "metadata", "generation"))
    observed = _int(dig(obj, "status", "observedGeneration"))
    if observed < generation:
        return f"{kind} {name}: its controller has not acted on the latest change yet"
    status = obj.get("status") if isinstance(obj.get("status"), Mapping) else {}
    assert isinstance(status, Mapping)
    if kind == "DaemonSet":
        desired = _int(status.get("desiredNumberScheduled"))
        counts: tuple[str, ...] = ("currentNumberScheduled", "updatedNumberScheduled")
    else:
        desired = _int(dig(obj, "spec", "replicas"), 1)
        counts = ("replicas",) if kind == "ReplicaSet" else ("replicas", "updatedReplicas")
    for count in counts:
        if _int(status.get(count)) != desired:
            return f"{kind} {name}: {count} is {_int(status.get(count))}, not {desired} yet"
    return None


def _job(name: str, job: Obj, pods: list[Obj], now: datetime) -> str | None:
    if _int(dig(job, "status", "active")) <= 0:
        return None
    uid = dig(job, "metadata", "uid")
    owned = [
        pod
        for pod in pods
        if uid
        and any(ref.get("uid") == uid for ref in _items(dig(pod, "metadata", "ownerReferences")))
    ]
    starts = [dig(pod, "status", "startTime") for pod in owned] or [dig(job, "status", "startTime")]
    ages = [age for age in (_age_s(start, now) for start in starts) if age is not None]
    if not ages or min(ages) < STARTING_S:
        return f"Job {name} has pods that just started"
    return None


def settling(objects: Iterable[Obj], now: datetime) -> list[str]:
    """Why the namespace holding ``objects`` is still settling; empty when it is not.

    ``objects`` are plain dicts with their ``kind``; kinds other than the ones
    above are ignored (except for a ``deletionTimestamp``). ``now`` is an aware
    datetime (the cluster's clock should agree with it within a few seconds).

    Example:
        >>> now = parse_time("2026-01-01T12:00:00Z")
        >>> settling([{"kind": "Deployment", "metadata": {"name": "web", "generation": 2},
        ...            "spec": {"replicas": 2},
        ...            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2}}],
        ...          now)
        ['Deployment web: replicas is 3, not 2 yet']
        >>> settling([{"kind": "Pod", "metadata": {"name": "web"}, "status": {"phase": "Running",
        ...     "containerStatuses": [{"name": "web", "ready": False,
        ...         "state": {"running": {"startedAt": "2026-01-01T11:59:50Z"}}}]}}], now)
        ['pod web: container web started 10 s ago']
    """
    objects = [obj for obj in objects if isinstance(obj, Mapping)]
    pods = [obj for obj in objects if obj.get("kind") == "Pod"]
    reasons = []
    for obj in objects:
        kind = str(obj.get("kind"))
        name = str(dig(obj, "metadata", "name") or "?")
        reason: str | None = None
        if dig(obj, "metadata", "deletionTimestamp"):
            reason = f"{kind} {name} is being deleted"
        elif kind == "Pod":
            reason = _pod(name, obj, now)
        elif kind == "PersistentVolumeClaim" and dig(obj, "status", "phase") == "Pending":
            reason = f"claim {name} is Pending"
        elif kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
            reason = _workload(kind, name, obj)
        elif kind == "Job":
            reason = _job(name, obj, pods, now)
        if reason:
            reasons.append(reason)
    return reasons


CONTROLLER_WRITTEN: Final = frozenset({"Endpoints", "EndpointSlice", "Event", "Lease"})
"""Kinds whose content controllers write, outside ``status`` too."""


def learner_written(mismatch: Mismatch, kind: str = "") -> bool:
    """Whether a mismatch is in a field the learner writes: not ``status``, not a
    root-level expression (which may read anything); a missing object counts as written.

    Example:
        >>> learner_written(Mismatch("spec.containers[name=web].image", "a", "b", "differs"))
        True
        >>> learner_written(Mismatch("status.phase", "Bound", "Pending", "differs"))
        False
        >>> learner_written(Mismatch("", "Pod web", None, "not-found"))
        True
        >>> learner_written(Mismatch("(status.phase)", "Running", "Pending", "differs"))
        False
    """
    if kind in CONTROLLER_WRITTEN:
        return False
    if not mismatch.path:
        return mismatch.reason == "not-found"
    return top_key(mismatch.path) not in ("", "status")


def top_key(path: str) -> str:
    """The first plain key of a mismatch path, or "" when it starts with an expression.

    Example:
        >>> top_key("spec.volumes[name=data]"), top_key('metadata["a.b"]'), top_key("(x)")
        ('spec', 'metadata', '')
    """
    if path.startswith(("(", "~", "[")):
        return ""
    for separator in (".", "["):
        path = path.split(separator, 1)[0]
    return path


def namespace_settling(fetcher: Fetcher, namespace: str, now: datetime | None = None) -> list[str]:
    """:func:`settling` over the namespace's pods, claims and workloads, read this round.

    A kind that cannot be read (not served, forbidden) is itself a reason: what
    cannot be seen cannot be called settled.
    """
    objects: list[Obj] = []
    for api_version, kind in KINDS:
        try:
            objects += fetcher.list(api_version, kind, namespace)
        except Exception as error:  # forbidden, not served, unreachable: cannot tell
            return [f"{kind} objects could not be read ({type(error).__name__})"]
    return settling(objects, now or datetime.now(timezone.utc))


def final_when_quiet(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Decorate a python check whose failures read only what the learner wrote (a spec, a
    ConfigMap, labels): a failure is ``settled`` once nothing in the namespace is settling.

    The check takes a :class:`~kklab.grading.context.CheckContext` and returns an
    :class:`~kklab.grading.results.Outcome`; graders use it as ``@final_when_quiet``.
    """

    def checked(context: Any) -> Any:
        outcome = check(context)
        if outcome.passed or namespace_settling(context.fetcher, context.namespace):
            return outcome
        return dataclasses.replace(outcome, settled=True)

    checked.__name__ = check.__name__
    checked.__doc__ = check.__doc__
    return checked
