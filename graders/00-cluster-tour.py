"""Custom checks of lab 00-cluster-tour: the learner records facts about the cluster
in ConfigMaps, and each check compares them with the live cluster (its nodes, its
Services and Endpoints, the API's discovery, events, the kubelet's configuration).

A failure names the key and where the fact is found, never the fact itself, so that
feedback does not hand out the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from kklab.checks import (
    ApiStatusError,
    CheckContext,
    Outcome,
    dig,
    events_about,
    final_when_quiet,
    quantity,
)

Obj = Mapping[str, Any]


def _no_why(_value: str) -> str | None:
    return None


class Answer(NamedTuple):
    """One key of a learner's ConfigMap and where its fact is found."""

    key: str
    where: str
    """Where to look, in words (shown when the answer is missing or wrong)."""
    accepts: Callable[[str], bool]
    """Whether a written value (stripped) is right."""
    why: Callable[[str], str | None] = _no_why
    """A specific explanation for a known wrong value, else None."""


def normal_version(text: str) -> str:
    """A version without a leading ``v`` and surrounding blanks.

    Example:
        >>> normal_version(" v1.31.0 "), normal_version("1.31.0")
        ('1.31.0', '1.31.0')
    """
    text = text.strip()
    return text[1:] if text[:1] in ("v", "V") else text


def names_in(text: str) -> set[str]:
    """The names of a list written with commas or blanks; ``none`` is the empty list.

    Example:
        >>> sorted(names_in("etcd-a, kube-apiserver-a kube-scheduler-a"))
        ['etcd-a', 'kube-apiserver-a', 'kube-scheduler-a']
        >>> names_in(" none "), names_in("")
        (set(), set())
    """
    words = {word for word in re.split(r"[\s,]+", text.strip()) if word}
    return set() if words in ({"none"}, {"None"}, {"NONE"}) else words


def compare(context: CheckContext, config_map: str, answers: Iterable[Answer]) -> Outcome:
    """The learner's ConfigMap ``config_map`` against ``answers``; each wrong or missing
    key is named with where to look (a failure only reads what the learner wrote)."""
    subject = f"v1 ConfigMap {context.namespace}/{config_map}"
    found = context.get("v1", "ConfigMap", config_map)
    answers = list(answers)
    keys = ", ".join(answer.key for answer in answers)
    if found is None:
        return Outcome(
            False,
            f"There is no ConfigMap {config_map} yet: create it with the keys {keys}.",
            subject,
            settled=True,
        )
    data = found.get("data") or {}
    problems: list[str] = []
    whys: list[str] = []
    for answer in answers:
        value = data.get(answer.key)
        if value is None or not str(value).strip():
            problems.append(f"the key {answer.key} is missing (it is {answer.where})")
            continue
        value = str(value).strip()
        if not answer.accepts(value):
            problems.append(f'{answer.key} "{value}" is not right: it is {answer.where}')
            why = answer.why(value)
            if why:
                whys.append(why)
    if problems:
        return Outcome(
            False,
            f"In ConfigMap {config_map}, " + "; ".join(problems) + ".",
            subject,
            why=" ".join(whys) or None,
            subject_object=found,
            settled=True,
        )
    return Outcome(True, f"Every key of {keys} matches the cluster.", subject)


def the_node(context: CheckContext) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The node the learner's ``node-facts`` name (else the first node), and all nodes."""
    nodes = context.list("v1", "Node")
    named = str(dig(context.get("v1", "ConfigMap", "node-facts"), "data", "name") or "").strip()
    for node in nodes:
        if dig(node, "metadata", "name") == named:
            return node, nodes
    return (nodes[0] if nodes else None), nodes


def node_address(node: Obj | None, kind: str) -> str | None:
    """The node's address of a type (``InternalIP``, ``Hostname``...), or None.

    Example:
        >>> node_address({"status": {"addresses": [{"type": "InternalIP", "address": "1.2.3.4"}]}},
        ...              "InternalIP")
        '1.2.3.4'
    """
    for address in dig(node, "status", "addresses") or []:
        if address.get("type") == kind:
            return str(address.get("address"))
    return None


def same_quantity(written: str, actual: Any) -> bool:
    """Whether a written quantity is the same amount as the node's (any unit).

    Example:
        >>> same_quantity("2048Mi", "2Gi"), same_quantity("2048M", "2Gi")
        (True, False)
    """
    mine, theirs = quantity(written), quantity(actual)
    return mine is not None and theirs is not None and mine == theirs


@final_when_quiet
def node_identity(context: CheckContext) -> Outcome:
    """Exercise 1: the node's name and its kubelet's version."""
    node, nodes = the_node(context)
    names = {str(dig(n, "metadata", "name")) for n in nodes}
    version = normal_version(str(dig(node, "status", "nodeInfo", "kubeletVersion") or ""))
    return compare(
        context,
        "node-facts",
        [
            Answer("name", "the NAME column of `kubectl get nodes`", lambda v: v in names),
            Answer(
                "kubelet-version",
                "the VERSION column of `kubectl get nodes` (the node's kubelet)",
                lambda v: normal_version(v) == version,
                lambda _v: (
                    "`kubectl version` shows your kubectl (the client) and the API server; "
                    "each node's kubelet reports its own version in the node's status, and "
                    "a cluster being upgraded has nodes of several versions."
                ),
            ),
        ],
    )


@final_when_quiet
def node_address_fact(context: CheckContext) -> Outcome:
    """Exercise 1: the node's InternalIP."""
    node, _nodes = the_node(context)
    internal = node_address(node, "InternalIP")
    others = {str(a.get("address")) for a in dig(node, "status", "addresses") or []}

    def why(value: str) -> str | None:
        if value in others:
            return (
                "a node reports several addresses; the InternalIP is the one pods and the "
                "control plane use to reach its kubelet."
            )
        if value.startswith("10.") or "/" in value:
            return (
                "that looks like a pod or Service address: those come from the cluster's own "
                "ranges, while a node's InternalIP is its address on the machines' network."
            )
        return None

    return compare(
        context,
        "node-facts",
        [
            Answer(
                "internal-ip",
                "the INTERNAL-IP column of `kubectl get nodes -o wide`",
                lambda v: v == internal,
                why,
            )
        ],
    )


@final_when_quiet
def node_allocatable(context: CheckContext) -> Outcome:
    """Exercise 1: what the scheduler may place on the node (allocatable, not capacity)."""
    node, _nodes = the_node(context)
    allocatable = dig(node, "status", "allocatable") or {}
    capacity = dig(node, "status", "capacity") or {}

    def memory_why(value: str) -> str | None:
        if same_quantity(value, capacity.get("memory")):
            return (
                "capacity is all the memory of the machine; allocatable is what is left for "
                "pods once the kubelet keeps some for the system and for eviction, and it is "
                "what the scheduler counts."
            )
        return None

    return compare(
        context,
        "node-facts",
        [
            Answer(
                "allocatable-memory",
                "under Allocatable in `kubectl describe node` (any unit: Ki, Mi, Gi)",
                lambda v: same_quantity(v, allocatable.get("memory")),
                memory_why,
            ),
            Answer(
                "max-pods",
                "the number of pods under Allocatable in `kubectl describe node`",
                lambda v: same_quantity(v, allocatable.get("pods")),
            ),
        ],
    )


def endpoint_addresses(endpoints: Obj | None) -> set[str]:
    """``ip:port`` of every ready address of an Endpoints object.

    Example:
        >>> sorted(endpoint_addresses({"subsets": [{"addresses": [{"ip": "172.18.0.2"}],
        ...                                         "ports": [{"port": 6443}]}]}))
        ['172.18.0.2:6443']
    """
    found = set()
    for subset in dig(endpoints, "subsets") or []:
        for address in subset.get("addresses") or []:
            for port in subset.get("ports") or []:
                found.add(f"{address.get('ip')}:{port.get('port')}")
    return found


def without_scheme(value: str) -> str:
    """``https://1.2.3.4:6443/`` as ``1.2.3.4:6443``.

    Example:
        >>> without_scheme("https://1.2.3.4:6443/"), without_scheme("1.2.3.4:6443")
        ('1.2.3.4:6443', '1.2.3.4:6443')
    """
    return re.sub(r"^[a-z]+://", "", value.strip()).rstrip("/")


@final_when_quiet
def api_addresses(context: CheckContext) -> Outcome:
    """Exercise 2: the ``kubernetes`` Service's ClusterIP and the API server's endpoint."""
    service_ip = str(
        dig(context.get("v1", "Service", "kubernetes", "default"), "spec", "clusterIP")
    )
    endpoints = endpoint_addresses(context.get("v1", "Endpoints", "kubernetes", "default"))
    endpoint_ips = {address.rsplit(":", 1)[0] for address in endpoints}

    def service_why(value: str) -> str | None:
        if without_scheme(value) in endpoints or value in endpoint_ips:
            return (
                "that is where the API server really listens (the Service's endpoint); the "
                "Service's ClusterIP is the stable virtual address in front of it."
            )
        return None

    def endpoint_why(value: str) -> str | None:
        plain = without_scheme(value)
        if plain.split(":")[0] == service_ip:
            return (
                "the Service's ClusterIP is a virtual address that kube-proxy translates; "
                "the Endpoints object `kubernetes` lists the real address and port."
            )
        if plain.startswith(("127.0.0.1", "localhost")):
            return (
                "your kubeconfig reaches the API server from your machine (kind maps a local "
                "port to it); pods reach it at the address the Endpoints object lists."
            )
        if plain in endpoint_ips:
            return "write the port too, as ADDRESS:PORT."
        return None

    return compare(
        context,
        "addresses",
        [
            Answer(
                "api-service",
                "the CLUSTER-IP of the Service `kubernetes` in the namespace default",
                lambda v: v == service_ip or without_scheme(v) == f"{service_ip}:443",
                service_why,
            ),
            Answer(
                "api-server",
                "ADDRESS:PORT from the Endpoints `kubernetes` in the namespace default",
                lambda v: without_scheme(v) in endpoints,
                endpoint_why,
            ),
        ],
    )


@final_when_quiet
def dns_address(context: CheckContext) -> Outcome:
    """Exercise 2: the cluster DNS Service's address (the nameserver of every pod)."""
    dns = context.get("v1", "Service", "kube-dns", "kube-system")
    dns_ip = str(dig(dns, "spec", "clusterIP"))

    def why(value: str) -> str | None:
        if value in {str(dig(p, "status", "podIP")) for p in context.list("v1", "Pod")}:
            return (
                "that is a pod's own address; the nameserver pods ask is the DNS Service's "
                "ClusterIP, the same for every pod."
            )
        return None

    return compare(
        context,
        "addresses",
        [
            Answer(
                "dns-service",
                "the CLUSTER-IP of the Service kube-dns in kube-system, and the nameserver "
                "line of a pod's /etc/resolv.conf",
                lambda v: v == dns_ip,
                why,
            )
        ],
    )


def served_versions(context: CheckContext, group: str, resource: str) -> set[str]:
    """Every ``group/version`` in which the cluster serves ``resource`` (discovery)."""
    try:
        described = context.fetcher.get_json(f"/apis/{group}") or {}  # 404: not served
    except ApiStatusError:
        return set()
    served = set()
    for version in described.get("versions") or []:
        group_version = str(version.get("groupVersion"))
        try:
            listed = context.fetcher.get_json(f"/apis/{group_version}") or {}
        except ApiStatusError:
            continue
        if any(r.get("name") == resource for r in listed.get("resources") or []):
            served.add(group_version)
    return served


def lower_in(served: set[str]) -> Callable[[str], bool]:
    """Whether a written value, in lower case, is one of ``served``.

    Example:
        >>> lower_in({"batch/v1"})("Batch/v1")
        True
    """
    return lambda value: value.lower() in served


GROUPS = {"cronjobs": "batch", "poddisruptionbudgets": "policy", "ingresses": "networking.k8s.io"}


def api_groups_why(value: str) -> str | None:
    """The why of a wrong group/version.

    Example:
        >>> api_groups_why("v1")
        'write the group and the version, as GROUP/VERSION (e.g. apps/v1).'
    """
    if value.lower().startswith("extensions/"):
        return (
            "extensions/v1beta1 was the first home of Ingress (and of Deployments, "
            "DaemonSets...); Kubernetes stopped serving them there (Ingress in 1.22). Old "
            "manifests and blog posts still show it: discovery tells what your cluster "
            "serves and what it prefers."
        )
    if "/" not in value:
        return "write the group and the version, as GROUP/VERSION (e.g. apps/v1)."
    return None


@final_when_quiet
def api_groups(context: CheckContext) -> Outcome:
    """Exercise 3: a group/version the cluster serves cronjobs, PDBs and ingresses in
    (``extensions``, which served Ingress until 1.22, is never accepted)."""
    answers = []
    for key, group in GROUPS.items():
        served = served_versions(context, group, key)
        answers.append(
            Answer(
                key,
                f"a GROUP/VERSION this cluster serves {key} in (`kubectl api-resources`, "
                f"`kubectl explain {key}`)",
                lower_in(served),
                api_groups_why,
            )
        )
    return compare(context, "api-facts", answers)


@final_when_quiet
def server_version(context: CheckContext) -> Outcome:
    """Exercise 3: the API server's version, read from ``/version``."""
    git_version = normal_version(str(context.fetcher.get_json("/version").get("gitVersion")))
    return compare(
        context,
        "api-facts",
        [
            Answer(
                "server-version",
                "gitVersion in `kubectl get --raw /version`",
                lambda v: normal_version(v) == git_version,
            )
        ],
    )


def component(event: Obj) -> str:
    """Who wrote an event: ``source.component``, else ``reportingComponent`` (newer
    components write events through events.k8s.io and fill only the latter).

    Example:
        >>> component({"source": {}, "reportingComponent": "default-scheduler"})
        'default-scheduler'
    """
    return str(dig(event, "source", "component") or event.get("reportingComponent") or "")


def scheduler_name_why(value: str) -> str | None:
    """The why of naming the scheduler's program where its events say who wrote them.

    Example:
        >>> scheduler_name_why("kube-scheduler") is not None, scheduler_name_why("kubelet")
        (True, None)
    """
    if "kube-scheduler" in value:
        return (
            "kube-scheduler is the program; in events it signs with the name of its "
            "scheduler profile."
        )
    return None


def visitor_events(context: CheckContext) -> Outcome:
    """Exercise 4: the UID of the learner's pod and who wrote two of its events."""
    name = str(context.params.get("visitor", "visitor"))
    subject = f"v1 Pod {context.namespace}/{name}"
    pod = context.get("v1", "Pod", name)
    if pod is None:
        return Outcome(False, f"There is no pod {name} yet.", subject, settled=True)
    uid = str(dig(pod, "metadata", "uid"))
    events = events_about(pod, context.list("v1", "Event"))
    writers = {str(e.get("reason")): component(e) for e in events}
    if "Scheduled" not in writers or "Started" not in writers:
        # Events arrive a moment after the pod; after an hour Kubernetes drops them.
        return Outcome(
            False,
            f"The events Scheduled and Started of pod {name} are not there (yet). Kubernetes "
            "keeps events about an hour: if the pod is older, delete it, create it again "
            "and read its new UID and events.",
            subject,
        )
    return compare(
        context,
        "visitor-facts",
        [
            Answer(
                "uid",
                f"metadata.uid of pod {name} (`kubectl get pod {name} -o yaml`)",
                lambda v: v == uid,
                lambda v: (
                    "resourceVersion changes with every write to the object; the UID names "
                    "this object for its whole life."
                    if v == str(dig(pod, "metadata", "resourceVersion"))
                    else "a pod made again under the same name is a new object with a new UID."
                ),
            ),
            Answer(
                "scheduled-by",
                "the FROM column of the Scheduled event (`kubectl describe pod`, or "
                "`kubectl get events`)",
                lambda v: v == writers["Scheduled"],
                scheduler_name_why,
            ),
            Answer(
                "started-by",
                "the FROM column of the Started event",
                lambda v: (
                    v == writers["Started"] or (v == "kubelet" and "kubelet" in writers["Started"])
                ),
            ),
        ],
    )


def greeter_diagnosis(context: CheckContext) -> Outcome:
    """Exercise 5: why the scheduler left greeter Pending, from its events."""
    zone = str(context.params.get("zone", "ssd"))
    wanted = f"kklab.dev/zone={zone}"

    def label_why(value: str) -> str | None:
        if "=" not in value and ":" not in value:
            return "write the label as KEY=VALUE."
        if value.startswith("kklab.dev/zone"):
            return (
                f"the key is right, the value is not: this greeter asks for {wanted} "
                "(another learner's greeter may ask for another zone)."
            )
        return None

    return compare(
        context,
        "diagnosis",
        [
            Answer(
                "reason",
                "the REASON of the Warning event about greeter",
                lambda v: v == "FailedScheduling",
                lambda v: (
                    "Pending is the pod's phase, not the reason: the event that says why is "
                    "a Warning written by the scheduler."
                    if v.lower() == "pending"
                    else None
                ),
            ),
            Answer(
                "reported-by",
                "the FROM column of that event",
                lambda v: v == "default-scheduler",
                scheduler_name_why,
            ),
            Answer(
                "wants",
                "the node label greeter's nodeSelector asks for, as KEY=VALUE",
                lambda v: re.sub(r"\s*[:=]\s*", "=", v, count=1) == wanted,
                label_why,
            ),
        ],
    )


@final_when_quiet
def node_left_unchanged(context: CheckContext) -> Outcome:
    """Exercise 5: greeter no longer asks for the zone label, and no node got it for it."""
    zone = str(context.params.get("zone", "ssd"))
    greeter = context.get("v1", "Pod", "greeter")
    subject = f"v1 Pod {context.namespace}/greeter"
    if greeter is None:
        return Outcome(False, "There is no pod greeter: make it again, fixed.", subject)
    labelled = [
        str(dig(node, "metadata", "name"))
        for node in context.list("v1", "Node")
        if (dig(node, "metadata", "labels") or {}).get("kklab.dev/zone") == zone
    ]
    if labelled:
        return Outcome(
            False,
            f"Node {', '.join(labelled)} carries the label kklab.dev/zone={zone}.",
            f"v1 Node {labelled[0]}",
            why=(
                f"greeter runs only because a node was given the label kklab.dev/zone={zone} "
                "it asks for. The node is shared: other teams' pods may select or avoid that "
                "label, and nothing records why it is there. Remove it (`kubectl label node "
                "NAME kklab.dev/zone-`) and fix the pod instead."
            ),
        )
    # Read from the spec, not the status: greeter-runs grades that it runs.
    if (dig(greeter, "spec", "nodeSelector") or {}).get("kklab.dev/zone") == zone:
        return Outcome(
            False, f"greeter still asks for a node labelled kklab.dev/zone={zone}.", subject
        )
    return Outcome(True, "greeter was fixed, and no node was changed for it.", subject)


def kubelet_config(context: CheckContext, node: str) -> Obj:
    """The running configuration of a node's kubelet (``/configz`` through the API's
    node proxy); ``{}`` when it cannot be read."""
    try:
        found = context.fetcher.get_json(f"/api/v1/nodes/{node}/proxy/configz")
    except ApiStatusError:
        return {}
    return dig(found, "kubeletconfig") or {}


@final_when_quiet
def static_pod_path(context: CheckContext) -> Outcome:
    """Exercise 6: the folder the kubelet runs static pods from."""
    paths = {
        str(kubelet_config(context, str(dig(n, "metadata", "name"))).get("staticPodPath") or "")
        for n in context.list("v1", "Node")
    }
    paths = {p.rstrip("/") for p in paths if p}
    return compare(
        context,
        "control-plane",
        [
            Answer(
                "static-pod-path",
                "staticPodPath in the kubelet's configuration "
                "(`kubectl get --raw /api/v1/nodes/NODE/proxy/configz`)",
                lambda v: v.rstrip("/") in paths,
            )
        ],
    )


def mirror_pods(pods: Iterable[Obj]) -> set[str]:
    """The names of the mirror pods among ``pods``: the API's copies of static pods.

    Example:
        >>> mirror = {"metadata": {"name": "etcd-n1",
        ...           "annotations": {"kubernetes.io/config.mirror": "abc"}}}
        >>> mirror_pods([mirror, {"metadata": {"name": "coredns-1"}}])
        {'etcd-n1'}
    """
    return {
        str(dig(pod, "metadata", "name"))
        for pod in pods
        if "kubernetes.io/config.mirror" in (dig(pod, "metadata", "annotations") or {})
    }


@final_when_quiet
def mirror_pod_names(context: CheckContext) -> Outcome:
    """Exercise 6: which pods of kube-system are static pods (their mirror pods)."""
    pods = context.list("v1", "Pod", namespace="kube-system")
    mirrors = mirror_pods(pods)
    others = {str(dig(p, "metadata", "name")) for p in pods} - mirrors

    def why(value: str) -> str | None:
        named = names_in(value)
        if named & others:
            return (
                f"{', '.join(sorted(named & others))} is made by a controller (a Deployment or "
                "DaemonSet), not by a kubelet from a file: a mirror pod carries the annotation "
                "kubernetes.io/config.mirror and is owned by its Node."
            )
        if not mirrors and named:
            return (
                "on this cluster the control plane runs as programs on the host, not as pods: "
                "nothing in kube-system is a static pod. Write none."
            )
        return None

    return compare(
        context,
        "control-plane",
        [
            Answer(
                "mirror-pods",
                "the pods of kube-system that a kubelet runs from its folder, separated by "
                "commas (or none)",
                lambda v: names_in(v) == mirrors and (bool(mirrors) or v.lower() == "none"),
                why,
            )
        ],
    )
