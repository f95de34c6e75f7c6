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
    (pods here: web-1 app=web).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kklab.grading.matching import dig

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


def _items(value: Any) -> list[Obj]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _name(obj: Obj) -> str:
    return str(dig(obj, "metadata", "name") or "?")


def selects(selector: Any, labels: Any) -> bool:
    """Whether an equality selector (a mapping) selects these labels.

    Example:
        >>> selects({"app": "web"}, {"app": "web", "tier": "front"}), selects({"app": "x"}, {})
        (True, False)
    """
    if not isinstance(selector, Mapping) or not selector:
        return False
    labels = labels if isinstance(labels, Mapping) else {}
    return all(labels.get(key) == value for key, value in selector.items())


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


def _selected_pods(service: Obj, related: Related) -> list[Obj]:
    selector = dig(service, "spec", "selector")
    return [pod for pod in related.pods if selects(selector, dig(pod, "metadata", "labels"))]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pairs(labels: Any) -> str:
    if not isinstance(labels, Mapping) or not labels:
        return "no labels"
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def service_selector_matches_no_pod(service: Obj, related: Related) -> str | None:
    """A Service whose selector selects no pod has no endpoints."""
    selector = dig(service, "spec", "selector")
    if not isinstance(selector, Mapping) or not selector or _selected_pods(service, related):
        return None
    shown = "; ".join(
        f"{_name(pod)} {_pairs(dig(pod, 'metadata', 'labels'))}" for pod in related.pods[:3]
    )
    others = f" (pods here: {shown})" if shown else " (there are no pods in the namespace)"
    return (
        f"the Service selects pods labelled {_pairs(selector)}, but no pod has those labels"
        f"{others}."
    )


def _container_ports(pod: Obj) -> list[Obj]:
    containers = _items(dig(pod, "spec", "containers"))
    return [port for container in containers for port in _items(container.get("ports"))]


def target_port_not_container_port(service: Obj, related: Related) -> str | None:
    """A Service port whose targetPort is not a port of the pods it selects."""
    pods = _selected_pods(service, related)
    declared = [port for pod in pods for port in _container_ports(pod)]
    if not declared:
        return None
    numbers = sorted({int(p["containerPort"]) for p in declared if _is_int(p.get("containerPort"))})
    names = sorted({str(p["name"]) for p in declared if isinstance(p.get("name"), str)})
    for port in _items(dig(service, "spec", "ports")):
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, int) and target not in numbers:
            listed = ", ".join(map(str, numbers))
            return (
                f"Service port {port.get('port')} forwards to targetPort {target}, but the pods it"
                f" selects declare containerPort {listed}."
            )
        if isinstance(target, str) and target not in names:
            listed = ", ".join(f'"{name}"' for name in names) or "none"
            return (
                f'Service port {port.get("port")} forwards to targetPort "{target}", which names no'
                f" port of the pods it selects (named ports: {listed})."
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
    return (
        f'the claim uses storageClassName "{_name(storage_class)}", which waits for the first pod'
        f' that mounts it (WaitForFirstConsumer). No pod mounts "{_name(claim)}" yet.'
    )


def _containers(pod: Obj) -> list[Obj]:
    spec = dig(pod, "spec")
    return _items(dig(spec, "initContainers")) + _items(dig(spec, "containers"))


def probe_on_wrong_port_or_path(pod: Obj, related: Related) -> str | None:
    """A probe on a port the container does not declare, or a path it answers 4xx/5xx on."""
    for container in _containers(pod):
        ports = _items(container.get("ports"))
        numbers = {p.get("containerPort") for p in ports}
        names = {p.get("name") for p in ports if p.get("name")}
        for probe_name in PROBES:
            probe = container.get(probe_name)
            target = dig(probe, "httpGet", "port") or dig(probe, "tcpSocket", "port")
            if target is None or not ports:
                continue
            if (isinstance(target, int) and target not in numbers) or (
                isinstance(target, str) and target not in names
            ):
                declared = ", ".join(sorted(str(p.get("containerPort")) for p in ports))
                return (
                    f'the {probe_name} of container "{container.get("name")}" checks port'
                    f" {target}, but the container declares port {declared}."
                )
    return _probe_failure_from_events(pod, related)


def _probe_failure_from_events(pod: Obj, related: Related) -> str | None:
    for event in related.events:
        if not is_about(event, pod):
            continue
        message = str(event.get("message") or "")
        if "probe failed" in message and "statuscode: 4" in message:
            return (
                f"a probe of pod {_name(pod)} gets an HTTP error from the container"
                f" ({message.strip()}): the probe's path is not one the application serves."
            )
        if "probe failed" in message and "connection refused" in message:
            return (
                f"a probe of pod {_name(pod)} finds nothing listening ({message.strip()}):"
                " the probe's port is not the one the application listens on."
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
        found = [obj for obj in stores[kind] if _name(obj) == name]
        if not found:
            return f'{where} reads key "{key}" of {kind} "{name}", but there is no {kind} "{name}".'
        keys = _keys(found[0])
        if key not in keys:
            listed = ", ".join(f'"{k}"' for k in sorted(keys)) or "none"
            return f'{where} reads key "{key}" of {kind} "{name}", which has keys: {listed}.'
    return None


def image_cannot_be_pulled(pod: Obj, related: Related) -> str | None:
    """A container waiting on an image pull, worse with imagePullPolicy Always."""
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
            untagged = ":" not in image.rsplit("/", 1)[-1]
            policy = "Always" if untagged or image.endswith(":latest") else "IfNotPresent"
        if policy == "Always":
            return (
                f'the node cannot pull image "{image}" ({reason}) and imagePullPolicy Always makes'
                " it try on every start, even when the image is already on the node: use a"
                " pinned tag with imagePullPolicy IfNotPresent, or check the image name."
            )
        return f'the node cannot pull image "{image}" ({reason}): check the name and the tag.'
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
        selector = dig(obj, "spec", "selector", "matchLabels")
        pods = [p for p in related.pods if selects(selector, dig(p, "metadata", "labels"))]
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
