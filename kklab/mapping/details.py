"""The few words a map writes under an object that is not a pod, from its dict.

Pure. Replicas ready out of wanted for workloads, type and ports for a Service,
phase and size for claims and volumes, provisioner and binding mode for a
StorageClass, rules for a Role; never a value of a Secret or a ConfigMap.

Example:
    >>> object_details({"kind": "Service", "spec": {"type": "NodePort",
    ...     "ports": [{"port": 80, "targetPort": 8080}]}})
    ('NodePort, 80→8080/TCP',)
    >>> object_details({"kind": "Secret", "type": "kubernetes.io/tls", "data": {"k": "dg=="}})
    ('type kubernetes.io/tls',)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Obj = Mapping[str, Any]


def _map(value: Any) -> Obj:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Obj]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _ports(ports: Iterable[Obj]) -> str:
    """``80→8080/TCP, 443/TCP`` from a Service's ports."""
    shown = []
    for port in ports:
        text = str(port.get("port", "?"))
        target = port.get("targetPort")
        if target is not None and str(target) != text:
            text += f"→{target}"
        shown.append(f"{text}/{port.get('protocol') or 'TCP'}")
    return ", ".join(shown)


def _ready(wanted: Any, ready: Any) -> str:
    return f"{int(ready or 0)}/{int(wanted if wanted is not None else 1)} ready"


def object_details(obj: Obj) -> tuple[str, ...]:
    """A few words on an object that is not a pod."""
    kind = str(obj.get("kind"))
    spec, status = _map(obj.get("spec")), _map(obj.get("status"))
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        wanted = spec.get("replicas", 1)
        if kind == "ReplicaSet" and wanted == 0:
            return ("old: 0 replicas",)
        return (_ready(wanted, status.get("readyReplicas")),)
    if kind == "DaemonSet":
        return (_ready(status.get("desiredNumberScheduled", 0), status.get("numberReady")),)
    if kind == "Job":
        return (f"{int(status.get('succeeded') or 0)}/{spec.get('completions', 1)} succeeded",)
    if kind == "CronJob":
        return (f"schedule {spec.get('schedule', '?')}",)
    if kind == "Service":
        kind_of = str(spec.get("type") or "ClusterIP")
        ports = _ports(_list(spec.get("ports")))
        return (f"{kind_of}, {ports}" if ports else kind_of,)
    if kind == "PersistentVolumeClaim":
        size = _map(_map(spec.get("resources")).get("requests")).get("storage", "?")
        return (f"{status.get('phase', 'Pending')}, {size}",)
    if kind == "PersistentVolume":
        size = _map(spec.get("capacity")).get("storage", "?")
        reclaim = spec.get("persistentVolumeReclaimPolicy", "Delete")
        return (f"{status.get('phase', '?')}, {size}, {reclaim}",)
    if kind == "StorageClass":
        mode = obj.get("volumeBindingMode") or "Immediate"
        return (f"{obj.get('provisioner', '?')}", f"binds: {mode}")
    if kind == "Secret":
        return (f"type {obj.get('type') or 'Opaque'}",)
    if kind == "Role":
        return _rules(_list(obj.get("rules")))
    if kind == "NetworkPolicy":
        types = spec.get("policyTypes") or ["Ingress"]
        return ("limits " + ", ".join(str(item) for item in types),)
    return ()


def _rules(rules: Sequence[Obj]) -> tuple[str, ...]:
    """``pods: get, list`` per rule (the first three)."""
    lines = []
    for rule in rules[:3]:
        resources = ", ".join(str(item) for item in rule.get("resources") or ["*"])
        verbs = ", ".join(str(item) for item in rule.get("verbs") or [])
        lines.append(f"{resources}: {verbs}")
    if len(rules) > 3:
        lines.append(f"and {len(rules) - 3} more rule(s)")
    return tuple(lines)
