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
- a PersistentVolumeClaim Pending for less than :data:`CLAIM_PENDING_S` (a
  provisioner or the volume controller may still answer it; one that waits for its
  first consumer is covered by that pod's own rules), or while a
  PersistentVolume (when ``objects`` hold them) is free for it (:func:`free_for`:
  it names the claim in its ``claimRef``, or the claim names it in ``volumeName``
  and it has no ``claimRef`` and fits): the volume controller binds the two at its
  next pass over the claim, up to 15 s later. So is a claim while any volume
  changed less than :data:`VOLUME_CHANGE_S` ago (a learner's edit to it). A pod not
  scheduled for want of such a claim is tried again once it binds;
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
missing config) is *not* settling: it will not change by itself. Nor is a pod
whose volumes the kubelet failed to mount (a ``FailedMount`` event about its UID,
when the pod is among ``objects`` with its events): its containers show
``ContainerCreating`` while the kubelet retries, but only a change the learner
makes (a folder, a ConfigMap, a fixed path) will let it start. The exception is a
kubelet whose cache of ConfigMaps or Secrets was not in sync yet
(:data:`PASSING_MOUNT_FAILURE`): it mounts at its next try.

Example:
    >>> now = parse_time("2026-01-01T12:00:00Z")
    >>> settling([{"kind": "PersistentVolumeClaim", "metadata": {"name": "data",
    ...     "creationTimestamp": "2026-01-01T11:59:58Z"}, "status": {"phase": "Pending"}}], now)
    ['claim data is Pending (made 2 s ago)']
    >>> settling([{"kind": "Pod", "metadata": {"name": "web"}, "status": {"phase": "Pending",
    ...     "conditions": [{"type": "PodScheduled", "status": "True"}],
    ...     "containerStatuses": [{"name": "web", "ready": False,
    ...         "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}}], now)
    []
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Final

from kklab.grading.equivalence import image_reference, quantity
from kklab.grading.fetching import Fetcher
from kklab.grading.matching import Mismatch, dig

STARTING_S: Final = 30.0
"""A container (or a Job's pod) younger than this is still starting."""

CLAIM_PENDING_S: Final = 15.0
"""A claim Pending for longer than this waits for something only the learner can give
(a consumer pod, a volume that fits, a class with a provisioner): its controller
binds or provisions within seconds, and re-examines unbound claims every 15 s."""

VOLUME_CHANGE_S: Final = 30.0
"""After a PersistentVolume changes, Pending claims may bind for this long: the volume
controller retries a claim it could not bind every 15 s, and binds in two writes."""

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
    ("v1", "Event"),
)
"""What :func:`namespace_settling` reads (and PersistentVolumes, when it may)."""

MOUNT_FAILURES: Final = frozenset({"FailedMount", "FailedAttachVolume"})
"""Event reasons of a pod whose volumes cannot be set up until someone acts."""

PASSING_MOUNT_FAILURE: Final = re.compile(r"failed to sync \w+ cache|\bnot registered\b")
"""A mount failure the kubelet gets past by itself: its cache of ConfigMaps or Secrets
was not in sync yet (a busy node), or had not registered the pod's objects yet (newer
kubelets, e.g. ``object "ns"/"kube-root-ca.crt" not registered``); the next try, a
few seconds later, mounts."""

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


def status_final(obj: Obj | None, now: datetime | None = None) -> bool:
    """Whether ``obj``'s status will not change by itself, so a mismatch in it is final
    when nothing else in the namespace is settling.

    True for a pod at rest (:func:`pod_at_rest`), a pod the scheduler has called
    Unschedulable for longer than :data:`UNSCHEDULABLE_GRACE_S`, and a claim Pending
    for longer than :data:`CLAIM_PENDING_S`. Other statuses (a running pod's
    restarts or readiness, a workload's counts) may still change as probes and
    controllers act, so their mismatches keep polling.

    Example:
        >>> now = parse_time("2026-01-01T12:00:30Z")
        >>> status_final({"kind": "PersistentVolumeClaim", "status": {"phase": "Pending"},
        ...     "metadata": {"creationTimestamp": "2026-01-01T12:00:00Z"}}, now)
        True
        >>> status_final({"kind": "Pod", "status": {"phase": "Pending", "conditions": [
        ...     {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        ...      "lastTransitionTime": "2026-01-01T12:00:28Z"}]}}, now)
        False
    """
    if not isinstance(obj, Mapping):
        return False
    now = now or datetime.now(timezone.utc)
    kind = obj.get("kind")
    if kind == "PersistentVolumeClaim":
        age = _age_s(dig(obj, "metadata", "creationTimestamp"), now)
        return dig(obj, "status", "phase") == "Pending" and (age or 0) >= CLAIM_PENDING_S
    if kind != "Pod" or dig(obj, "metadata", "deletionTimestamp"):
        return False
    if pod_at_rest(obj, now):
        return True
    scheduled = _condition(obj, "PodScheduled")
    age = _age_s(scheduled.get("lastTransitionTime"), now)
    return (
        scheduled.get("status") == "False"
        and scheduled.get("reason") == "Unschedulable"
        and (age or 0) > UNSCHEDULABLE_GRACE_S
    )


def _claims_waited_for(pod: Obj) -> set[str]:
    """The claims a pod not scheduled yet mounts (it is scheduled once they bind).

    Example:
        >>> claim = {"persistentVolumeClaim": {"claimName": "d"}}
        >>> _claims_waited_for({"spec": {"volumes": [claim]}, "status": {"phase": "Pending"}})
        {'d'}
    """
    if dig(pod, "status", "phase") not in (None, "Pending"):
        return set()
    if _condition(pod, "PodScheduled").get("status") == "True":
        return set()
    return {
        str(name)
        for v in _items(dig(pod, "spec", "volumes"))
        if (name := dig(v, "persistentVolumeClaim", "claimName"))
    }


def free_for(pv: Obj, claim: Obj) -> bool:
    """Whether the volume controller will bind ``pv`` to the Pending ``claim`` by itself.

    True when the volume names the claim in its ``claimRef`` (half bound: the
    controller writes the claim's side at its next pass), or when the claim names
    the volume in ``spec.volumeName`` and the volume is Available, with no
    ``claimRef``, of the same class, with the access modes and the size asked for.
    A claim that names a Released volume (its ``claimRef`` names the old claim) is
    not: only an administrator's change frees it.

    Example:
        >>> claim = {"metadata": {"name": "again", "namespace": "lab", "uid": "u2"},
        ...          "spec": {"volumeName": "disk", "storageClassName": "local",
        ...                   "accessModes": ["ReadWriteOnce"],
        ...                   "resources": {"requests": {"storage": "500Mi"}}}}
        >>> pv = {"metadata": {"name": "disk"}, "status": {"phase": "Available"},
        ...       "spec": {"storageClassName": "local", "capacity": {"storage": "1Gi"},
        ...                "accessModes": ["ReadWriteOnce"]}}
        >>> free_for(pv, claim)
        True
        >>> released = {**pv, "status": {"phase": "Released"},
        ...             "spec": {**pv["spec"], "claimRef": {"name": "old", "namespace": "lab"}}}
        >>> free_for(released, claim)
        False
        >>> free_for({**pv, "spec": {**pv["spec"], "capacity": {"storage": "100Mi"}}}, claim)
        False
    """
    ref = dig(pv, "spec", "claimRef")
    if isinstance(ref, Mapping) and ref:
        uid = ref.get("uid")
        return (
            ref.get("name") == dig(claim, "metadata", "name")
            and ref.get("namespace") == dig(claim, "metadata", "namespace")
            and (not uid or uid == dig(claim, "metadata", "uid"))
        )
    if dig(claim, "spec", "volumeName") != dig(pv, "metadata", "name"):
        return False
    if dig(pv, "status", "phase") != "Available":
        return False
    offered, asked_for = pv.get("spec") or {}, claim.get("spec") or {}
    if (offered.get("storageClassName") or "") != (asked_for.get("storageClassName") or ""):
        return False
    if not set(asked_for.get("accessModes") or ()) <= set(offered.get("accessModes") or ()):
        return False
    size = quantity(dig(pv, "spec", "capacity", "storage"))
    asked = quantity(dig(claim, "spec", "resources", "requests", "storage"))
    return size is not None and (asked is None or asked <= size)


def _changed_within(obj: Obj, now: datetime, seconds: float) -> bool:
    """Whether anyone (a learner, a controller) wrote ``obj`` less than ``seconds`` ago.

    Example:
        >>> _changed_within({"metadata": {"managedFields": [{"time": "2026-01-01T12:00:00Z"}]}},
        ...                 parse_time("2026-01-01T12:00:05Z"), 15)
        True
    """
    for entry in _items(dig(obj, "metadata", "managedFields")):
        age = _age_s(entry.get("time"), now)
        if age is not None and age < seconds:
            return True
    return False


def _condition(obj: Obj, kind: str) -> Obj:
    for condition in _items(dig(obj, "status", "conditions")):
        if condition.get("type") == kind:
            return condition
    return {}


def _pending_pod(name: str, pod: Obj, now: datetime, mount_failed: bool = False) -> str | None:
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
        if _waiting(container) in STARTING and not mount_failed:
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


def _pod(name: str, pod: Obj, now: datetime, mount_failed: bool = False) -> str | None:
    changing = behind_its_spec(pod)
    if changing is not None:
        return f"pod {name}: container {changing} is changing to its new image"
    if changed_lately(pod, now):
        return f"pod {name} was changed moments ago"
    if _stuck(pod):
        return None
    phase = dig(pod, "status", "phase")
    if phase in (None, "Pending"):
        return _pending_pod(name, pod, now, mount_failed)
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
    mount_failed = {
        dig(obj, "involvedObject", "uid")
        for obj in objects
        if obj.get("kind") == "Event"
        and obj.get("reason") in MOUNT_FAILURES
        and not PASSING_MOUNT_FAILURE.search(str(obj.get("message") or ""))
    }
    volumes = [obj for obj in objects if obj.get("kind") == "PersistentVolume"]
    volume_changed = any(_changed_within(pv, now, VOLUME_CHANGE_S) for pv in volumes)
    binding = {
        str(dig(claim, "metadata", "name")): pv
        for claim in objects
        if claim.get("kind") == "PersistentVolumeClaim"
        and dig(claim, "status", "phase") == "Pending"
        for pv in volumes
        if free_for(pv, claim)
    }
    reasons = []
    for obj in objects:
        kind = str(obj.get("kind"))
        name = str(dig(obj, "metadata", "name") or "?")
        reason: str | None = None
        if dig(obj, "metadata", "deletionTimestamp"):
            reason = f"{kind} {name} is being deleted"
        elif kind == "Pod":
            uid = dig(obj, "metadata", "uid")
            reason = _pod(name, obj, now, bool(uid) and uid in mount_failed)
            waits_for = _claims_waited_for(obj)
            if reason is None and (volume_changed or binding.keys() & waits_for) and waits_for:
                # the scheduler tries it again once its claim binds
                reason = f"pod {name} waits for a claim about to bind"
        elif kind == "PersistentVolumeClaim" and dig(obj, "status", "phase") == "Pending":
            age = _age_s(dig(obj, "metadata", "creationTimestamp"), now)
            if age is None or age < CLAIM_PENDING_S:
                made = "" if age is None else f" (made {max(age, 0):.0f} s ago)"
                reason = f"claim {name} is Pending{made}"
            elif name in binding:
                volume = dig(binding[name], "metadata", "name")
                reason = (
                    f"claim {name} is Pending and volume {volume} is free for it: the volume "
                    "controller binds them at its next pass (every 15 s)"
                )
            elif volume_changed:
                reason = f"claim {name} is Pending and a volume changed moments ago"
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
    if any(obj.get("kind") == "PersistentVolumeClaim" for obj in objects):
        # cluster-wide, which a learner confined to a namespace may not list: then
        # claims go by their age alone
        with contextlib.suppress(Exception):
            objects += fetcher.list("v1", "PersistentVolume", namespace)
    return settling(objects, now or datetime.now(timezone.utc))


def unsteady(objects: Iterable[Obj], now: datetime) -> list[str]:
    """The running containers of ``objects``' pods that have not been :func:`steady` yet.

    What a container prints, serves or writes in a file may still change while it
    is young; once it has run :data:`STEADY_S` without a break, it is what it does.

    Example:
        >>> now = parse_time("2026-01-01T12:00:30Z")
        >>> def pod(started):
        ...     return {"kind": "Pod", "metadata": {"name": "web"}, "status": {"phase": "Running",
        ...         "containerStatuses": [{"name": "web", "ready": True,
        ...             "state": {"running": {"startedAt": started}}}]}}
        >>> unsteady([pod("2026-01-01T12:00:25Z")], now)
        ['pod web: container web has run 5 s']
        >>> unsteady([pod("2026-01-01T12:00:00Z")], now)
        []
    """
    reasons = []
    for pod in objects:
        if not isinstance(pod, Mapping) or pod.get("kind") != "Pod":
            continue
        if dig(pod, "status", "phase") != "Running" or pod_at_rest(pod, now):
            continue
        for status in _items(dig(pod, "status", "containerStatuses")):
            name = str(status.get("name"))
            if steady(pod, name, now):
                continue
            age = _age_s(dig(status, "state", "running", "startedAt"), now)
            ran = "is not running" if age is None else f"has run {max(age, 0):.0f} s"
            reasons.append(f"pod {dig(pod, 'metadata', 'name')}: container {name} {ran}")
    return reasons


def namespace_unsteady(fetcher: Fetcher, namespace: str, now: datetime | None = None) -> list[str]:
    """:func:`namespace_settling`, then :func:`unsteady` over the namespace's pods."""
    now = now or datetime.now(timezone.utc)
    reasons = namespace_settling(fetcher, namespace, now)
    if reasons:
        return reasons
    return unsteady(fetcher.list("v1", "Pod", namespace), now)


def final_when_steady(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Decorate a python check whose failures read what containers do (a file they wrote,
    what they print or serve): a failure is ``settled`` once nothing in the namespace is
    settling and every running container has been :func:`steady`.

    An outcome the check already marked ``settled`` stays so. Graders use it as
    ``@final_when_steady``, like :func:`final_when_quiet`.
    """

    def checked(context: Any) -> Any:
        outcome = check(context)
        if outcome.passed or outcome.settled:
            return outcome
        if namespace_unsteady(context.fetcher, context.namespace):
            return outcome
        return dataclasses.replace(outcome, settled=True)

    checked.__name__ = check.__name__
    checked.__doc__ = check.__doc__
    return checked


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
