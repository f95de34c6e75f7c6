"""A catalogue of frequent wrong states and the specific "why" behind each.

Each entry is a pure function over fetched objects (plain dicts) returning a
sentence for the learner, or None when it does not apply. :func:`explain`
picks the entries that fit the kind of the object and returns the first answer.
Only key names and ports are ever quoted, never Secret values.

Example:
    >>> service = {"kind": "Service", "metadata": {"name": "web"},
    ...     "spec": {"selector": {"app": "wbe"}, "ports": [{"port": 80}]}}
    >>> pod = {"kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}}}
    >>> print(explain(service, Related(pods=(pod,))))  # doctest: +NORMALIZE_WHITESPACE
    the Service selects pods labelled app=wbe, but no pod has those labels
    (pods here: web-1 app=web). Closest: pod web-1 needs app=wbe (has app=web).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kklab.grading.functions import PureFunctions
from kklab.grading.matching import dig, match
from kklab.grading.spec import Why
from kklab.grading.suggesting import near_misses

Obj = Mapping[str, Any]
PROBES: Final = ("readinessProbe", "livenessProbe", "startupProbe")
WORKLOADS: Final = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
DEFAULT_CLASS: Final = "storageclass.kubernetes.io/is-default-class"
PULL_FAILURES: Final = frozenset({"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull"})


@dataclass(frozen=True)
class Related:
    """Objects around the one being explained, fetched by the engine."""

    pods: tuple[Obj, ...] = ()
    """Pods of the namespace (throw-away probe pods excluded)."""

    secrets: tuple[Obj, ...] = ()
    """Secrets of the namespace (only key names are used)."""

    config_maps: tuple[Obj, ...] = ()
    """ConfigMaps of the namespace."""

    storage_classes: tuple[Obj, ...] = ()
    """StorageClasses of the cluster."""

    events: tuple[Obj, ...] = ()
    """Events of the namespace."""

    unreadable: frozenset[str] = frozenset()
    """Kinds that could not be read (e.g. ``Secret`` when forbidden): an entry never
    concludes from their absence that an object does not exist."""


def _items(value: Any) -> list[Obj]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _name(obj: Obj) -> str:
    return str(dig(obj, "metadata", "name") or "?")


def selects(selector: Any, labels: Any) -> bool:
    """Whether an equality selector (a mapping, as a Service's) selects these labels.

    Example:
        >>> selects({"app": "web"}, {"app": "web", "tier": "front"}), selects({"app": "x"}, {})
        (True, False)
    """
    if not isinstance(selector, Mapping) or not selector:
        return False
    labels = labels if isinstance(labels, Mapping) else {}
    return all(labels.get(key) == value for key, value in selector.items())


def _requirement_holds(requirement: Any, labels: Mapping[str, Any]) -> bool:
    if not isinstance(requirement, Mapping):
        return False
    key, operator = str(requirement.get("key")), requirement.get("operator")
    raw_values = requirement.get("values")
    values: list[Any] = raw_values if isinstance(raw_values, list) else []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False  # an operator Kubernetes does not know selects nothing


def selector_selects(selector: Any, labels: Any) -> bool:
    """Whether a LabelSelector (``matchLabels`` and ``matchExpressions``, as a
    Deployment's) selects these labels; one without either selects nothing here.

    Example:
        >>> selector = {"matchLabels": {"app": "web"}, "matchExpressions": [
        ...     {"key": "tier", "operator": "In", "values": ["front", "edge"]},
        ...     {"key": "canary", "operator": "DoesNotExist"}]}
        >>> selector_selects(selector, {"app": "web", "tier": "edge"})
        True
        >>> selector_selects(selector, {"app": "web", "tier": "edge", "canary": "yes"})
        False
    """
    if not isinstance(selector, Mapping):
        return False
    match_labels = selector.get("matchLabels")
    expressions = selector.get("matchExpressions")
    match_labels = match_labels if isinstance(match_labels, Mapping) else {}
    expressions = expressions if isinstance(expressions, list) else []
    if not match_labels and not expressions:
        return False
    labels = labels if isinstance(labels, Mapping) else {}
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    return all(_requirement_holds(requirement, labels) for requirement in expressions)


def is_about(event: Mapping[str, Any], obj: Mapping[str, Any]) -> bool:
    """Whether an event is about this very object: the same UID, so an earlier object of
    the same name (a deleted first attempt) does not count. Without a UID on either
    side (a pod template), the kind and name must agree.

    Example:
        >>> pod = {"kind": "Pod", "metadata": {"name": "web", "uid": "new"}}
        >>> old = {"involvedObject": {"kind": "Pod", "name": "web", "uid": "old"}}
        >>> is_about(old, pod), is_about({"involvedObject": {"kind": "Pod", "uid": "new"}}, pod)
        (False, True)
    """
    involved = event.get("involvedObject")
    if not isinstance(involved, Mapping):
        return False
    uid = dig(obj, "metadata", "uid")
    if uid and involved.get("uid"):
        return bool(involved.get("uid") == uid)
    kinds = {involved.get("kind"), obj.get("kind")} - {None}
    return involved.get("name") == _name(obj) and len(kinds) <= 1


def selected_by(workload: Obj, pods: Iterable[Obj]) -> list[Obj]:
    """The pods a workload's LabelSelector selects."""
    selector = dig(workload, "spec", "selector")
    return [pod for pod in pods if selector_selects(selector, dig(pod, "metadata", "labels"))]


def _selected_pods(service: Obj, related: Related) -> list[Obj]:
    selector = dig(service, "spec", "selector")
    return [pod for pod in related.pods if selects(selector, dig(pod, "metadata", "labels"))]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pairs(labels: Any) -> str:
    if not isinstance(labels, Mapping) or not labels:
        return "no labels"
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def _alike(found: str, wanted: str) -> bool:
    """A value a slip of the keyboard away (``wbe`` for ``web``, ``Web``, ``web-v2``)."""
    ratio = difflib.SequenceMatcher(None, found.lower(), wanted.lower()).ratio()
    return ratio >= NEAR_RATIO


NEAR_RATIO: Final = 0.6
"""How alike two label values must be (difflib's ratio) to call one a slip for the other:
``wbe``/``web`` 0.67 are, ``cart``/``catalog`` 0.55 and ``db``/``web`` 0.4 are not."""


def near_miss(selector: Obj, labels: Obj) -> str:
    """What a pod's labels lack for a Service's ``selector``, in words, when they nearly
    match it (a pair of the selector is there, or its value under another key, or its key
    with a value a slip away); empty when they match or are nowhere near.

    Example:
        >>> near_miss({"app": "web"}, {"app": "wbe"})
        'needs app=web (has app=wbe)'
        >>> near_miss({"app": "web", "tier": "front"}, {"app": "web"})
        'needs tier=front (has none)'
        >>> near_miss({"app": "web"}, {"ap": "web"})
        'needs app=web (has ap=web)'
        >>> near_miss({"app": "web"}, {"app": "web", "x": "y"}), near_miss({"app": "web"}, {})
        ('', '')
        >>> near_miss({"app": "catalog"}, {"app": "cart"})  # another app, not a slip
        ''

    """
    if not selector or selects(selector, labels):
        return ""
    values = {str(value): str(key) for key, value in labels.items()}
    if not any(
        str(value) in values or (key in labels and _alike(str(labels[key]), str(value)))
        for key, value in selector.items()
    ):
        return ""
    lacking = []
    for key, value in sorted(selector.items()):
        if key in labels and labels[key] == value:
            continue
        if key in labels:
            has = f"{key}={labels[key]}"
        elif str(value) in values:
            has = f"{values[str(value)]}={value}"
        else:
            has = "none"
        lacking.append(f"{key}={value} (has {has})")
    return "needs " + ", ".join(lacking)


def service_selector_matches_no_pod(service: Obj, related: Related) -> str | None:
    """A Service whose selector selects no pod has no endpoints."""
    selector = dig(service, "spec", "selector")
    if not isinstance(selector, Mapping) or not selector or _selected_pods(service, related):
        return None
    shown = "; ".join(
        f"{_name(pod)} {_pairs(dig(pod, 'metadata', 'labels'))}" for pod in related.pods[:3]
    )
    others = f" (pods here: {shown})" if shown else " (there are no pods in the namespace)"
    near = [
        f"pod {_name(pod)} {words}"
        for pod in related.pods
        if (words := near_miss(selector, dig(pod, "metadata", "labels") or {}))
    ]
    closest = f" Closest: {'; '.join(near[:2])}." if near else ""
    return (
        f"the Service selects pods labelled {_pairs(selector)}, but no pod has those labels"
        f"{others}.{closest}"
    )


def _container_ports(pod: Obj) -> list[Obj]:
    containers = _items(dig(pod, "spec", "containers"))
    return [port for container in containers for port in _items(container.get("ports"))]


def _numbers(ports: Iterable[Obj]) -> list[int]:
    return sorted({int(p["containerPort"]) for p in ports if _is_int(p.get("containerPort"))})


def _declared(numbers: list[int]) -> str:
    listed = ", ".join(map(str, numbers))
    return f"containerPort {listed}" if len(numbers) == 1 else f"containerPorts {listed}"


def target_port_not_container_port(service: Obj, related: Related) -> str | None:
    """A Service port whose targetPort is neither a declared port name nor number.

    A named targetPort must name a port the pods declare: a pod without that name
    gets no endpoint. A numeric targetPort is used whether declared or not
    (declaring containerPort is informational): the sentence then says so and asks
    which port the application listens on, the one thing that matters.
    """
    pods = _selected_pods(service, related)
    if not pods:
        return None
    for port in _items(dig(service, "spec", "ports")):
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str):
            unnamed = [
                pod
                for pod in pods
                if target not in {p.get("name") for p in _container_ports(pod) if p.get("name")}
            ]
            if unnamed:
                names = sorted(
                    {str(p["name"]) for pod in pods for p in _container_ports(pod) if p.get("name")}
                )
                listed = ", ".join(f'"{name}"' for name in names) or "none"
                return (
                    f'Service port {port.get("port")} forwards to targetPort "{target}", which'
                    f" names no port of pod {_name(unnamed[0])} (named ports: {listed}), so that"
                    " pod gets no traffic from the Service: name the container's port"
                    f' "{target}" or use the port number.'
                )
        numbers = _numbers(p for pod in pods for p in _container_ports(pod))
        if _is_int(target) and numbers and target not in numbers:
            return (
                f"Service port {port.get('port')} forwards to port {target} of the pods it"
                f" selects, which declare {_declared(numbers)}. A declaration routes nothing:"
                f" traffic goes to port {target} either way, so what matters is the port the"
                f" application listens on; if it is {' or '.join(map(str, numbers))}, make that"
                " the targetPort."
            )
    return None


def _claim_users(claim_name: str, pods: Iterable[Obj]) -> list[Obj]:
    return [
        pod
        for pod in pods
        if any(
            dig(volume, "persistentVolumeClaim", "claimName") == claim_name
            for volume in _items(dig(pod, "spec", "volumes"))
        )
    ]


def pvc_waits_for_first_consumer(claim: Obj, related: Related) -> str | None:
    """A Pending claim of a WaitForFirstConsumer class that no pod mounts yet."""
    if dig(claim, "status", "phase") != "Pending":
        return None
    class_name = dig(claim, "spec", "storageClassName")
    classes = {_name(sc): sc for sc in related.storage_classes}
    if class_name is None:
        defaults = [
            sc
            for sc in related.storage_classes
            if dig(sc, "metadata", "annotations", DEFAULT_CLASS) == "true"
        ]
        storage_class = defaults[0] if defaults else None
    else:
        storage_class = classes.get(str(class_name))
    if storage_class is None or storage_class.get("volumeBindingMode") != "WaitForFirstConsumer":
        return None
    if _claim_users(_name(claim), related.pods):
        return None
    why = (
        f'the claim uses storageClassName "{_name(storage_class)}", which waits for the first pod'
        f' that mounts it (WaitForFirstConsumer). No pod mounts "{_name(claim)}" yet.'
    )
    for pod, claim_name in _near_miss_claims(_name(claim), related.pods):
        why += f' Pod {_name(pod)} mounts a claim "{claim_name}": did you mean "{_name(claim)}"?'
        break
    return why


def _near_miss_claims(name: str, pods: Iterable[Obj]) -> list[tuple[Obj, str]]:
    """Pods that mount a claim whose name looks like a mistyping of ``name``."""
    found = []
    for pod in pods:
        for volume in _items(dig(pod, "spec", "volumes")):
            claimed = dig(volume, "persistentVolumeClaim", "claimName")
            if isinstance(claimed, str) and near_misses(name, [claimed]):
                found.append((pod, claimed))
    return found


def _containers(pod: Obj) -> list[Obj]:
    spec = dig(pod, "spec")
    return _items(dig(spec, "initContainers")) + _items(dig(spec, "containers"))


def probe_on_wrong_port_or_path(pod: Obj, related: Related) -> str | None:
    """A probe on a port name the container does not declare, or one that found nothing
    listening or an HTTP error (from the pod's events).

    A named probe port must name a declared port (the kubelet cannot resolve it
    otherwise). A numeric probe port is probed whether declared or not, so a
    declaration alone proves nothing: then only the kubelet's own report (an event
    about this very pod) says what is wrong.
    """
    for container in _containers(pod):
        names = {str(p["name"]) for p in _items(container.get("ports")) if p.get("name")}
        for probe_name in PROBES:
            probe = container.get(probe_name)
            target = dig(probe, "httpGet", "port") or dig(probe, "tcpSocket", "port")
            if isinstance(target, str) and target not in names:
                listed = ", ".join(f'"{name}"' for name in sorted(names)) or "none"
                return (
                    f'the {probe_name} of container "{container.get("name")}" checks the port'
                    f' named "{target}", but the container declares no port of that name'
                    f" (named ports: {listed}), so the probe cannot run: name the port"
                    f' "{target}" in the container\'s ports or use the number.'
                )
    return _probe_failure_from_events(pod, related)


_HTTP_STATUS = re.compile(r"statuscode: ([0-9]{3})")


def _probe_failure_from_events(pod: Obj, related: Related) -> str | None:
    for event in related.events:
        if not is_about(event, pod):
            continue
        message = str(event.get("message") or "").strip()
        if "probe failed" not in message:
            continue
        status = _HTTP_STATUS.search(message)
        if status and status.group(1) == "404":
            return (
                f"a probe of pod {_name(pod)} gets HTTP 404 ({message}): the application"
                " serves nothing at the probe's path."
            )
        if status and status.group(1)[0] in "45":
            return (
                f"a probe of pod {_name(pod)} gets HTTP {status.group(1)} ({message}): a probe"
                " passes only on a status from 200 to 399."
            )
        if "connection refused" in message:
            return (
                f"a probe of pod {_name(pod)} found nothing listening on its port ({message}):"
                " the application listens on another port, or had not started listening yet."
            )
    return None


def _keys(obj: Obj) -> set[str]:
    keys: set[str] = set()
    for field in ("data", "stringData", "binaryData"):
        values = obj.get(field)
        if isinstance(values, Mapping):
            keys.update(str(key) for key in values)
    return keys


def _references(pod: Obj) -> Iterable[tuple[str, str, str, str]]:
    """(where, kind, object name, key) for every key reference of a pod."""
    for container in _containers(pod):
        where = f'container "{container.get("name")}"'
        for env in _items(container.get("env")):
            for ref_name, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                ref = dig(env, "valueFrom", ref_name)
                if isinstance(ref, Mapping) and not ref.get("optional"):
                    yield where, kind, str(ref.get("name")), str(ref.get("key"))
    for volume in _items(dig(pod, "spec", "volumes")):
        where = f'volume "{volume.get("name")}"'
        for source_name, kind, name_field in (
            ("secret", "Secret", "secretName"),
            ("configMap", "ConfigMap", "name"),
        ):
            source = volume.get(source_name)
            if isinstance(source, Mapping) and not source.get("optional"):
                for item in _items(source.get("items")):
                    yield where, kind, str(source.get(name_field)), str(item.get("key"))


def key_reference_mismatch(pod: Obj, related: Related) -> str | None:
    """An env or volume reference to a Secret/ConfigMap key that does not exist."""
    stores = {"Secret": related.secrets, "ConfigMap": related.config_maps}
    for where, kind, name, key in _references(pod):
        if kind in related.unreadable:
            continue
        found = [obj for obj in stores[kind] if _name(obj) == name]
        if not found:
            return f'{where} reads key "{key}" of {kind} "{name}", but there is no {kind} "{name}".'
        keys = _keys(found[0])
        if key not in keys:
            listed = ", ".join(f'"{k}"' for k in sorted(keys)) or "none"
            return f'{where} reads key "{key}" of {kind} "{name}", which has keys: {listed}.'
    return None


def image_cannot_be_pulled(pod: Obj, related: Related) -> str | None:
    """A container waiting on an image: the policy says whether the node tried to pull."""
    specs = {c.get("name"): c for c in _containers(pod)}
    statuses = _items(dig(pod, "status", "containerStatuses"))
    statuses += _items(dig(pod, "status", "initContainerStatuses"))
    for status in statuses:
        reason = dig(status, "state", "waiting", "reason")
        if reason not in PULL_FAILURES:
            continue
        container = specs.get(status.get("name"), {})
        image = str(container.get("image") or status.get("image") or "?")
        policy = container.get("imagePullPolicy")
        if policy is None:
            untagged = "@" not in image and ":" not in image.rsplit("/", 1)[-1]
            policy = "Always" if untagged or image.endswith(":latest") else "IfNotPresent"
        if reason == "ErrImageNeverPull" or policy == "Never":
            return (
                f'image "{image}" is not on the node and imagePullPolicy Never forbids pulling'
                f" it ({reason}): put the image on the node, or let the node pull it"
                " (imagePullPolicy IfNotPresent)."
            )
        causes = (
            "the name or the tag is wrong, the registry cannot be reached from the node, or it"
            " is private and the pod has no imagePullSecrets for it"
        )
        if policy == "Always":
            return (
                f'the node cannot pull image "{image}" ({reason}): {causes}. With imagePullPolicy'
                " Always it pulls on every start, even when the image is already on the node."
            )
        return f'the node cannot pull image "{image}" ({reason}): {causes}.'
    return None


PodExplainer = Callable[[Obj, Related], str | None]
POD_EXPLAINERS: Final[tuple[PodExplainer, ...]] = (
    image_cannot_be_pulled,
    key_reference_mismatch,
    probe_on_wrong_port_or_path,
)
CATALOGUE: Final[Mapping[str, tuple[PodExplainer, ...]]] = {
    "Service": (service_selector_matches_no_pod, target_port_not_container_port),
    "PersistentVolumeClaim": (pvc_waits_for_first_consumer,),
    "Pod": POD_EXPLAINERS,
}


def explain(obj: Obj, related: Related) -> str | None:
    """The first "why" of the catalogue that applies to ``obj``, or None.

    Workloads (Deployment, StatefulSet...) are explained through their pod template
    and the pods they select.
    """
    kind = obj.get("kind")
    if kind in WORKLOADS:
        template = {"metadata": {"name": _name(obj)}, "spec": dig(obj, "spec", "template", "spec")}
        pods = [
            pod
            for pod in selected_by(obj, related.pods)
            if not dig(pod, "metadata", "deletionTimestamp")  # going away: not its state
        ]
        candidates = [*pods, template]
        explainers: tuple[PodExplainer, ...] = POD_EXPLAINERS
    else:
        candidates = [obj]
        explainers = CATALOGUE.get(str(kind), ())
    for candidate in candidates:
        for explainer in explainers:
            why = explainer(candidate, related)
            if why:
                return why
    return None


def grader_why(whys: Iterable[Why], obj: Obj, functions: PureFunctions | None = None) -> str | None:
    """The first of a check's own "why"s whose ``when`` matches ``obj`` (the object the
    failure is about), or None. A ``when`` that cannot be evaluated does not apply.

    Example:
        >>> whys = [Why("an empty class means no class", {"spec": {"storageClassName": ""}}),
        ...         Why("leave the class out")]
        >>> grader_why(whys, {"spec": {"storageClassName": ""}})
        'an empty class means no class'
        >>> grader_why(whys, {"spec": {"storageClassName": "fast"}})
        'leave the class out'
    """
    for why in whys:
        if not why.when or not match(why.when, obj, functions=functions):
            return why.why
    return None
