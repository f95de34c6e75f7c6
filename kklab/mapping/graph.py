"""The map of a namespace as a graph: its objects (nodes) and how they relate (edges).

Pure: :func:`build_graph` takes the namespace's objects as plain dicts (as the
API returns them, or as recorded) and draws the relations a learner cannot see
in ``kubectl get``: owners (Deployment → ReplicaSet → Pod, StatefulSet, DaemonSet
and Job → Pod, CronJob → Job), Service → Endpoints → Pod with ports, Pod → claim →
volume → StorageClass and a local volume's node folder, Pod → ConfigMap and
Secret (names only), ServiceAccount → RoleBinding → Role, Ingress → Service and
NetworkPolicy → the pods it selects. A Service that selects no pod points (dashed)
to the pods it nearly matches, saying which labels they lack. An object named but
not there is a node too, marked ``missing`` (or ``unread`` when its kind could not be read).

Example:
    >>> pod = {"kind": "Pod", "metadata": {"name": "web"},
    ...     "spec": {"volumes": [{"name": "c", "configMap": {"name": "settings"}}]},
    ...     "status": {"phase": "Pending"}}
    >>> graph = build_graph([pod], "lab-01")
    >>> [(edge.source, edge.relation, edge.target) for edge in graph.edges]
    [('Pod/web', 'mounts', 'ConfigMap/settings')]
    >>> graph.node("ConfigMap/settings").state
    'missing'
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kklab.grading.misconceptions import near_miss, selector_selects, selects
from kklab.mapping.details import object_details
from kklab.mapping.states import pod_state

KIND_ORDER: Final = (
    "Ingress",
    "Service",
    "Endpoints",
    "CronJob",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicaSet",
    "NetworkPolicy",
    "Pod",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "Folder",
    "ServiceAccount",
    "RoleBinding",
    "Role",
    "ClusterRole",
)
"""The kinds a map draws, in the order it lists them."""

OWNER_KINDS: Final = frozenset(
    {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"}
)
"""Kinds whose ``ownerReferences`` the map follows."""

TOKEN_MOUNT: Final = "/var/run/secrets/kubernetes.io/serviceaccount"
"""Where Kubernetes mounts a pod's ServiceAccount token (left off the map: every pod has it)."""

ROOT_CA: Final = "kube-root-ca.crt"
"""The ConfigMap every namespace gets (left off the map unless a pod names it)."""

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class Node:
    """One object on the map."""

    kind: str
    """Its kind (``Pod``), or ``Folder`` for a local volume's folder on a node."""

    name: str
    """Its name (for a folder: ``node:/path``)."""

    state: str = ""
    """A pod's state (:data:`kklab.mapping.states.STATE_WORDS`), ``missing`` for an object
    that is named but not there, ``unread`` when its kind could not be read; else empty."""

    details: tuple[str, ...] = ()
    """Short lines under the name, in words (``2/2 ready``, ``ClusterIP, 80→8080/TCP``)."""

    @property
    def id(self) -> str:
        """``Kind/name``: unique on one map."""
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Edge:
    """A relation between two objects on the map."""

    source: str
    """The id of the object the arrow starts from."""

    target: str
    """The id of the object it points to."""

    relation: str
    """In words: ``owns``, ``routes to``, ``mounts``, ``reads env from``, ``claims``,
    ``bound to``, ``class``, ``stored in``, ``runs as``, ``binds``, ``grants``, ``selects``,
    ``nearly selects`` (a selector that selects no pod, to a pod it almost matches)."""

    label: str = ""
    """More on the relation (ports, a mount path, a host and path)."""

    faint: bool = False
    """A weaker relation (a not-ready endpoint, a selector's match without endpoints)."""


@dataclass(frozen=True)
class Graph:
    """The map of one namespace."""

    namespace: str
    """The namespace drawn."""

    nodes: tuple[Node, ...]
    """Every object, in :data:`KIND_ORDER` then by name."""

    edges: tuple[Edge, ...]
    """Every relation, sorted."""

    notes: tuple[str, ...] = ()
    """What the map could not show and why (a kind it may not read)."""

    def node(self, node_id: str) -> Node:
        """The node with this id (``KeyError`` when there is none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def has_edge(self, source: str, relation: str, target: str) -> bool:
        """Whether the map has this relation.

        Example:
            >>> Graph("ns", (), (Edge("Pod/a", "ConfigMap/b", "mounts"),)).has_edge(
            ...     "Pod/a", "mounts", "ConfigMap/b")
            True
        """
        return any(
            (edge.source, edge.relation, edge.target) == (source, relation, target)
            for edge in self.edges
        )


def _map(value: Any) -> Obj:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Obj]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _name(obj: Obj) -> str:
    return str(_map(obj.get("metadata")).get("name") or "?")


def _labels(obj: Obj) -> Obj:
    return _map(_map(obj.get("metadata")).get("labels"))


@dataclass
class _Builder:
    namespace: str
    unread: Collection[str]
    by_id: dict[str, Obj] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)
    claim_nodes: dict[str, str] = field(default_factory=dict)
    """The node a pod mounting each claim runs on (where a hostPath volume's folder is)."""

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def target(self, kind: str, name: str) -> str:
        """The node of a named object: the object read, else a ``missing``/``unread`` one."""
        node_id = f"{kind}/{name}"
        if node_id in self.nodes:
            return node_id
        found = self.by_id.get(node_id)
        if found is not None:
            self.nodes[node_id] = Node(kind, name, "", object_details(found))
        else:
            state = "unread" if kind in self.unread else "missing"
            self.nodes[node_id] = Node(kind, name, state)
        return node_id

    def link(
        self, source: str, target: str, relation: str, label: str = "", *, faint: bool = False
    ) -> None:
        self.edges.add(Edge(source, target, relation, label, faint))


def _is_token_secret(builder: _Builder, name: str, service_account: str) -> bool:
    found = builder.by_id.get(f"Secret/{name}")
    if found is not None:
        return found.get("type") == "kubernetes.io/service-account-token"
    return name.startswith(f"{service_account}-token-")


def _pod_relations(builder: _Builder, pod: Obj) -> None:
    """Pod → claim, ConfigMap, Secret (volumes, env, image pull) and ServiceAccount."""
    pod_id = f"Pod/{_name(pod)}"
    spec = _map(pod.get("spec"))
    account = str(spec.get("serviceAccountName") or "default")
    containers = _list(spec.get("containers")) + _list(spec.get("initContainers"))
    mounts: dict[str, str] = {}
    for container in containers:
        for mount in _list(container.get("volumeMounts")):
            mounts.setdefault(str(mount.get("name")), str(mount.get("mountPath", "")))
    for volume in _list(spec.get("volumes")):
        where = mounts.get(str(volume.get("name")), "")
        if where == TOKEN_MOUNT or str(volume.get("name", "")).startswith("kube-api-access-"):
            continue  # the ServiceAccount token every pod gets
        claim = _map(volume.get("persistentVolumeClaim")).get("claimName")
        if claim:
            builder.link(
                pod_id, builder.target("PersistentVolumeClaim", str(claim)), "mounts", where
            )
        config_map = _map(volume.get("configMap")).get("name")
        if config_map:
            builder.link(pod_id, builder.target("ConfigMap", str(config_map)), "mounts", where)
        secret = _map(volume.get("secret")).get("secretName")
        if secret and not _is_token_secret(builder, str(secret), account):
            builder.link(pod_id, builder.target("Secret", str(secret)), "mounts", where)
        for source in _list(_map(volume.get("projected")).get("sources")):
            for kind, key in (("ConfigMap", "configMap"), ("Secret", "secret")):
                named = _map(source.get(key)).get("name")
                if named:
                    builder.link(pod_id, builder.target(kind, str(named)), "mounts", where)
    for container in containers:
        for env in _list(container.get("env")):
            reference = _map(env.get("valueFrom"))
            for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                named = _map(reference.get(key)).get("name")
                if named:
                    builder.link(pod_id, builder.target(kind, str(named)), "reads env from")
        for env_from in _list(container.get("envFrom")):
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                named = _map(env_from.get(key)).get("name")
                if named:
                    builder.link(pod_id, builder.target(kind, str(named)), "reads env from")
    for pull in _list(spec.get("imagePullSecrets")):
        if pull.get("name"):
            builder.link(pod_id, builder.target("Secret", str(pull["name"])), "pulls images with")
    if account != "default" or f"ServiceAccount/{account}" in builder.nodes:
        builder.link(pod_id, builder.target("ServiceAccount", account), "runs as")


def _storage_relations(builder: _Builder, obj: Obj) -> None:
    """Claim → volume → StorageClass, and a local or hostPath volume → its node folder."""
    kind, spec = obj.get("kind"), _map(obj.get("spec"))
    own_id = f"{kind}/{_name(obj)}"
    class_name = spec.get("storageClassName")
    if kind == "PersistentVolumeClaim":
        if spec.get("volumeName"):
            builder.link(
                own_id, builder.target("PersistentVolume", str(spec["volumeName"])), "bound to"
            )
        elif class_name:
            builder.link(own_id, builder.target("StorageClass", str(class_name)), "class")
    if kind == "PersistentVolume":
        if class_name:
            builder.link(own_id, builder.target("StorageClass", str(class_name)), "class")
        local = _map(spec.get("local")).get("path")
        host = _map(spec.get("hostPath")).get("path")
        if local or host:
            claim = str(_map(spec.get("claimRef")).get("name") or "")
            node_name = _volume_node(spec) or builder.claim_nodes.get(claim) or "the pod's node"
            what = "local volume" if local else "hostPath folder"
            folder = Node("Folder", str(local or host), "", (f"{what} on {node_name}",))
            builder.link(own_id, builder.add(folder), "stored in")


def _volume_node(spec: Obj) -> str:
    """The node a volume's ``nodeAffinity`` pins it to (empty without one)."""
    required = _map(_map(spec.get("nodeAffinity")).get("required"))
    for term in _list(required.get("nodeSelectorTerms")):
        for expression in _list(term.get("matchExpressions")):
            values = expression.get("values") or []
            if expression.get("operator") == "In" and values:
                return f"node {values[0]}"
    return ""


def _near_misses(builder: _Builder, service_id: str, selector: Obj, pods: Sequence[Obj]) -> None:
    """Dashed arrows to the pods a selector that selects none nearly matches."""
    if any(selects(selector, _labels(pod)) for pod in pods):
        return
    for pod in pods:
        words = near_miss(selector, _labels(pod))
        if words:
            builder.link(service_id, f"Pod/{_name(pod)}", "nearly selects", words, faint=True)


def _service_relations(builder: _Builder, service: Obj, pods: Sequence[Obj]) -> None:
    """Service → Endpoints → Pods (ports on the arrows); by selector when no Endpoints.
    A selector that selects no pod gets dashed arrows to the pods it nearly matches."""
    name = _name(service)
    service_id = f"Service/{name}"
    endpoints = builder.by_id.get(f"Endpoints/{name}")
    selector = _map(_map(service.get("spec")).get("selector"))
    _near_misses(builder, service_id, selector, pods)
    if endpoints is None:
        if "Endpoints" in builder.unread:
            for pod in pods:
                if selects(selector, _labels(pod)):
                    builder.link(service_id, f"Pod/{_name(pod)}", "selects", faint=True)
        return
    endpoints_id = f"Endpoints/{name}"
    builder.link(service_id, endpoints_id, "routes to")
    ready = not_ready = 0
    for subset in _list(endpoints.get("subsets")):
        ports = ", ".join(
            f"{port.get('port')}/{port.get('protocol') or 'TCP'}"
            for port in _list(subset.get("ports"))
        )
        for key, faint in (("addresses", False), ("notReadyAddresses", True)):
            for address in _list(subset.get(key)):
                reference = _map(address.get("targetRef"))
                target = (
                    builder.target("Pod", str(reference["name"]))
                    if reference.get("kind") == "Pod" and reference.get("name")
                    else builder.add(Node("Address", str(address.get("ip", "?"))))
                )
                label = f":{ports}" if ports else ""
                builder.link(
                    endpoints_id,
                    target,
                    "routes to",
                    label + (" (not ready)" if faint else ""),
                    faint=faint,
                )
                not_ready, ready = (not_ready + 1, ready) if faint else (not_ready, ready + 1)
    words = f"{ready} ready" + (f", {not_ready} not ready" if not_ready else "")
    if ready == 0 and not not_ready:
        words = "no pods: the selector matches none" if selector else "no addresses"
    node = builder.nodes[endpoints_id]
    builder.nodes[endpoints_id] = Node(node.kind, node.name, node.state, (words,))


def _ingress_relations(builder: _Builder, ingress: Obj) -> None:
    ingress_id = f"Ingress/{_name(ingress)}"
    spec = _map(ingress.get("spec"))
    backends: list[tuple[Obj, str]] = []
    default = _map(spec.get("defaultBackend") or spec.get("backend"))
    if default:
        backends.append((default, "default"))
    for rule in _list(spec.get("rules")):
        host = str(rule.get("host") or "*")
        for path in _list(_map(rule.get("http")).get("paths")):
            backends.append((_map(path.get("backend")), f"{host}{path.get('path') or '/'}"))
    for backend, where in backends:
        service = _map(backend.get("service"))
        name = service.get("name") or backend.get("serviceName")
        port = _map(service.get("port"))
        number = port.get("number") or port.get("name") or backend.get("servicePort") or ""
        if name:
            label = f"{where} → :{number}" if number else where
            builder.link(ingress_id, builder.target("Service", str(name)), "routes to", label)


def _rbac_relations(builder: _Builder, binding: Obj) -> None:
    binding_id = f"RoleBinding/{_name(binding)}"
    role = _map(binding.get("roleRef"))
    if role.get("kind") == "ClusterRole":
        target = builder.add(Node("ClusterRole", str(role.get("name")), "", ("cluster-wide role",)))
    else:
        target = builder.target("Role", str(role.get("name")))
    builder.link(binding_id, target, "grants")
    for subject in _list(binding.get("subjects")):
        if subject.get("kind") != "ServiceAccount":
            continue
        if (subject.get("namespace") or builder.namespace) != builder.namespace:
            continue
        builder.link(
            builder.target("ServiceAccount", str(subject.get("name"))), binding_id, "bound by"
        )


def _policy_relations(builder: _Builder, policy: Obj, pods: Sequence[Obj]) -> None:
    policy_id = f"NetworkPolicy/{_name(policy)}"
    selector = _map(_map(policy.get("spec")).get("podSelector"))
    for pod in pods:
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            chosen = True  # an empty podSelector selects every pod
        else:
            chosen = selector_selects(selector, _labels(pod))
        if chosen:
            builder.link(policy_id, f"Pod/{_name(pod)}", "selects")


def _shown(builder: _Builder, obj: Obj, referenced: set[str]) -> bool:
    """Whether an object nothing refers to is worth a node (not the namespace's defaults)."""
    kind, name = obj.get("kind"), _name(obj)
    node_id = f"{kind}/{name}"
    if node_id in referenced:
        return True
    if kind == "ConfigMap" and name == ROOT_CA:
        return False
    if kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
        return False
    return not (kind == "ServiceAccount" and name == "default")


def build_graph(
    objects: Iterable[Obj],
    namespace: str,
    *,
    unread: Collection[str] = (),
    notes: Sequence[str] = (),
) -> Graph:
    """The map of ``namespace`` from its objects (plain dicts with ``kind`` and ``metadata``).

    ``unread`` names the kinds that could not be read: an object of such a kind that
    another one names is drawn as ``unread`` instead of ``missing``. ``notes`` are
    kept on the graph for the reader.

    Example:
        >>> deployment = {"kind": "Deployment", "metadata": {"name": "web", "uid": "d1"},
        ...     "spec": {"replicas": 1}, "status": {"readyReplicas": 1}}
        >>> replica_set = {"kind": "ReplicaSet", "metadata": {"name": "web-5d", "uid": "r1",
        ...     "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "d1"}]}}
        >>> graph = build_graph([deployment, replica_set], "lab-01")
        >>> graph.has_edge("Deployment/web", "owns", "ReplicaSet/web-5d")
        True
        >>> graph.node("Deployment/web").details
        ('1/1 ready',)
    """
    builder = _Builder(namespace, frozenset(unread))
    kept = [obj for obj in objects if str(obj.get("kind")) in KIND_ORDER]
    for obj in kept:
        builder.by_id[f"{obj.get('kind')}/{_name(obj)}"] = obj
    pods = [obj for obj in kept if obj.get("kind") == "Pod"]
    for pod in pods:
        spec = _map(pod.get("spec"))
        for volume in _list(spec.get("volumes")):
            claim = _map(volume.get("persistentVolumeClaim")).get("claimName")
            if claim and spec.get("nodeName"):
                builder.claim_nodes[str(claim)] = f"node {spec['nodeName']}"
    for obj in kept:
        kind = str(obj.get("kind"))
        if kind == "Pod":
            state = pod_state(obj)
            builder.add(Node(kind, _name(obj), state.state, (state.detail,)))
        elif kind in ("ConfigMap", "Secret", "ServiceAccount"):
            continue  # added when something refers to them (or at the end)
        else:
            builder.add(Node(kind, _name(obj), "", object_details(obj)))
    for obj in kept:
        kind = str(obj.get("kind"))
        if kind == "RoleBinding":
            _rbac_relations(builder, obj)
    for obj in kept:
        kind = str(obj.get("kind"))
        for owner in _list(_map(obj.get("metadata")).get("ownerReferences")):
            if owner.get("kind") in OWNER_KINDS and owner.get("name"):
                builder.link(
                    builder.target(str(owner["kind"]), str(owner["name"])),
                    f"{kind}/{_name(obj)}",
                    "owns",
                )
        if kind == "Pod":
            _pod_relations(builder, obj)
        elif kind in ("PersistentVolumeClaim", "PersistentVolume"):
            _storage_relations(builder, obj)
        elif kind == "Service":
            _service_relations(builder, obj, pods)
        elif kind == "Ingress":
            _ingress_relations(builder, obj)
        elif kind == "NetworkPolicy":
            _policy_relations(builder, obj, pods)
    referenced = {edge.target for edge in builder.edges} | {edge.source for edge in builder.edges}
    for obj in kept:
        kind = str(obj.get("kind"))
        node_id = f"{kind}/{_name(obj)}"
        if kind in ("ConfigMap", "Secret", "ServiceAccount") and _shown(builder, obj, referenced):
            builder.nodes[node_id] = Node(kind, _name(obj), "", object_details(obj))
    for node_id, node in list(builder.nodes.items()):
        if node.kind == "Endpoints" and not any(edge.target == node_id for edge in builder.edges):
            del builder.nodes[node_id]  # Endpoints without their Service (being deleted)
    rank = {kind: index for index, kind in enumerate(KIND_ORDER)}
    nodes = sorted(
        builder.nodes.values(), key=lambda node: (rank.get(node.kind, len(rank)), node.name)
    )
    known = {node.id for node in nodes}
    edges = sorted(
        (edge for edge in builder.edges if edge.source in known and edge.target in known),
        key=lambda edge: (edge.source, edge.target, edge.relation, edge.label),
    )
    return Graph(namespace, tuple(nodes), tuple(edges), tuple(notes))
