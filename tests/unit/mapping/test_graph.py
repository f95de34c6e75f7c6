"""The map's graph from recorded states (read from a real cluster) and from small fakes.

``recorded/*.json`` are :class:`~kklab.mapping.reading.Snapshot` files: ``scene.json``
from ``tests/cluster/test_mapping.py`` (``KKLAB_RECORD_MAP=...`` refreshes it),
``lab-03-probes.json`` and ``lab-07-storage.json`` from those labs mid-way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kklab.mapping.graph import Graph, build_graph
from kklab.mapping.reading import Snapshot

RECORDED = Path(__file__).parent / "recorded"


def _recorded(name: str) -> Graph:
    snapshot = Snapshot.from_json((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    return build_graph(snapshot.objects, snapshot.namespace, unread=snapshot.unread)


def _ids(graph: Graph, kind: str, prefix: str = "") -> list[str]:
    return [node.id for node in graph.nodes if node.kind == kind and node.name.startswith(prefix)]


def _meta(kind: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name}, **fields}


def _owned(kind: str, name: str, owner_kind: str, owner: str, **fields: Any) -> dict[str, Any]:
    obj = _meta(kind, name, **fields)
    obj["metadata"]["ownerReferences"] = [{"kind": owner_kind, "name": owner, "uid": "u"}]
    return obj


RUNNING = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}


def test_the_recorded_scene_has_every_relation_the_cluster_test_asserts() -> None:
    graph = _recorded("scene")
    (replica_set,) = _ids(graph, "ReplicaSet")
    (web,) = _ids(graph, "Pod", "web-")
    assert graph.has_edge("Deployment/web", "owns", replica_set)
    assert graph.has_edge(replica_set, "owns", web)
    assert graph.has_edge("Service/web", "routes to", "Endpoints/web")
    assert graph.has_edge("Endpoints/web", "routes to", web)
    for target in ("ConfigMap/settings", "Secret/db-password", "PersistentVolumeClaim/data"):
        assert graph.has_edge("Pod/worker", "mounts", target)
    assert graph.has_edge("ServiceAccount/reporter", "bound by", "RoleBinding/reporter-reads-pods")
    assert graph.has_edge("RoleBinding/reporter-reads-pods", "grants", "Role/pod-reader")
    assert graph.node("Role/pod-reader").details == ("pods: get, list",)
    assert graph.has_edge("Ingress/web", "routes to", "Service/web")
    assert graph.has_edge("NetworkPolicy/web-only-from-worker", "selects", web)


def test_the_namespace_defaults_stay_off_the_map() -> None:
    graph = _recorded("scene")
    names = {node.id for node in graph.nodes}
    assert "ServiceAccount/default" not in names
    assert "ConfigMap/kube-root-ca.crt" not in names
    assert not [name for name in names if "-token-" in name]  # every pod's token Secret
    assert not [node for node in graph.nodes if node.state == "missing"]


def test_the_recorded_probes_lab_shows_crash_looping_and_not_ready_pods() -> None:
    graph = _recorded("lab-03-probes")
    states = {node.name.split("-")[0]: node.state for node in graph.nodes if node.kind == "Pod"}
    assert states == {"cart": "crash-looping", "pricing": "not-ready"}
    (pricing,) = _ids(graph, "Pod", "pricing-")
    faint = [edge for edge in graph.edges if edge.target == pricing and edge.faint]
    assert [edge.source for edge in faint] == ["Endpoints/pricing"]  # a not-ready address
    assert graph.node("Endpoints/catalog").details == ("no pods: the selector matches none",)


def test_the_recorded_storage_lab_follows_claims_to_volumes_classes_and_folders() -> None:
    graph = _recorded("lab-07-storage")
    assert graph.has_edge("Pod/reader", "mounts", "PersistentVolumeClaim/data")
    assert graph.has_edge(
        "PersistentVolumeClaim/data", "bound to", "PersistentVolume/lab07-local-1"
    )
    assert graph.has_edge("PersistentVolume/lab07-local-1", "class", "StorageClass/lab07-local")
    folder = "Folder//var/local/kklab/07-storage/disk-1"
    assert graph.has_edge("PersistentVolume/lab07-local-1", "stored in", folder)
    assert graph.node(folder).details == ("local volume on node kklab-control-plane",)
    (dynamic,) = [node for node in graph.nodes if node.name.startswith("pvc-")]
    hostpath = [
        edge for edge in graph.edges if edge.source == dynamic.id and edge.relation == "stored in"
    ]
    assert graph.node(hostpath[0].target).details == (
        "hostPath folder on node kklab-control-plane",
    )


def test_owner_chains_of_every_workload_kind() -> None:
    objects = [
        _meta("CronJob", "nightly", spec={"schedule": "0 3 * * *"}),
        _owned("Job", "nightly-1", "CronJob", "nightly", status={"succeeded": 1}),
        _owned("Pod", "nightly-1-x", "Job", "nightly", status={"phase": "Succeeded"}),
        _meta("StatefulSet", "db", spec={"replicas": 2}, status={"readyReplicas": 1}),
        _owned("Pod", "db-0", "StatefulSet", "db", status=RUNNING),
        _meta("DaemonSet", "agent", status={"desiredNumberScheduled": 1, "numberReady": 1}),
        _owned("Pod", "agent-x", "DaemonSet", "agent", status={"phase": "Pending"}),
    ]
    graph = build_graph(objects, "ns")
    assert graph.has_edge("CronJob/nightly", "owns", "Job/nightly-1")
    assert graph.has_edge("Job/nightly", "owns", "Pod/nightly-1-x")  # the owner is named, not read
    assert graph.node("Job/nightly").state == "missing"
    assert graph.has_edge("StatefulSet/db", "owns", "Pod/db-0")
    assert graph.has_edge("DaemonSet/agent", "owns", "Pod/agent-x")
    assert graph.node("StatefulSet/db").details == ("1/2 ready",)
    assert graph.node("CronJob/nightly").details == ("schedule 0 3 * * *",)
    states = {node.name: node.state for node in graph.nodes if node.kind == "Pod"}
    assert states == {"agent-x": "pending", "db-0": "ready", "nightly-1-x": "completed"}


def test_a_named_object_that_is_not_there_is_missing_unless_its_kind_was_unread() -> None:
    pod = _meta(
        "Pod",
        "app",
        spec={
            "containers": [
                {
                    "name": "c",
                    "env": [
                        {"name": "A", "valueFrom": {"secretKeyRef": {"name": "api", "key": "k"}}}
                    ],
                    "envFrom": [{"configMapRef": {"name": "env"}}],
                }
            ],
            "imagePullSecrets": [{"name": "registry"}],
            "volumes": [
                {
                    "name": "both",
                    "projected": {
                        "sources": [{"configMap": {"name": "proj"}}, {"secret": {"name": "cert"}}]
                    },
                }
            ],
        },
        status=RUNNING,
    )
    graph = build_graph([pod, _meta("ConfigMap", "env")], "ns", unread=["Secret"])
    assert graph.has_edge("Pod/app", "reads env from", "Secret/api")
    assert graph.has_edge("Pod/app", "reads env from", "ConfigMap/env")
    assert graph.has_edge("Pod/app", "pulls images with", "Secret/registry")
    assert graph.has_edge("Pod/app", "mounts", "ConfigMap/proj")
    assert graph.has_edge("Pod/app", "mounts", "Secret/cert")
    assert graph.node("ConfigMap/env").state == ""
    assert graph.node("ConfigMap/proj").state == "missing"
    assert graph.node("Secret/api").state == "unread"


def test_the_service_account_token_volume_is_left_out() -> None:
    pod = _meta(
        "Pod",
        "app",
        spec={
            "serviceAccountName": "default",
            "containers": [
                {
                    "name": "c",
                    "volumeMounts": [
                        {
                            "name": "default-token-abcde",
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        }
                    ],
                }
            ],
            "volumes": [
                {"name": "default-token-abcde", "secret": {"secretName": "default-token-abcde"}}
            ],
        },
        status=RUNNING,
    )
    graph = build_graph([pod, _meta("ServiceAccount", "default")], "ns")
    assert graph.edges == ()
    assert [node.id for node in graph.nodes] == ["Pod/app"]


def test_services_without_readable_endpoints_fall_back_to_their_selector() -> None:
    service = _meta("Service", "web", spec={"selector": {"app": "web"}, "ports": [{"port": 80}]})
    pods = [
        _meta("Pod", "a", status=RUNNING),
        _meta("Pod", "b", status=RUNNING),
    ]
    pods[0]["metadata"]["labels"] = {"app": "web"}
    graph = build_graph([service, *pods], "ns", unread=["Endpoints"])
    assert [(edge.source, edge.relation, edge.target, edge.faint) for edge in graph.edges] == [
        ("Service/web", "selects", "Pod/a", True)
    ]
    assert graph.node("Service/web").details == ("ClusterIP, 80/TCP",)


def test_ingress_backends_old_and_new_and_network_policies_with_an_empty_selector() -> None:
    new = _meta(
        "Ingress",
        "new",
        spec={
            "defaultBackend": {"service": {"name": "fallback", "port": {"name": "http"}}},
            "rules": [
                {
                    "host": "shop.example",
                    "http": {
                        "paths": [
                            {
                                "path": "/cart",
                                "backend": {"service": {"name": "cart", "port": {"number": 8080}}},
                            }
                        ]
                    },
                }
            ],
        },
    )
    old = _meta("Ingress", "old", spec={"backend": {"serviceName": "legacy", "servicePort": 80}})
    deny_all = _meta(
        "NetworkPolicy", "deny-all", spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    )
    graph = build_graph([new, old, deny_all, _meta("Pod", "p", status=RUNNING)], "ns")
    labels = {(edge.source, edge.target): edge.label for edge in graph.edges}
    assert labels[("Ingress/new", "Service/cart")] == "shop.example/cart → :8080"
    assert labels[("Ingress/new", "Service/fallback")] == "default → :http"
    assert labels[("Ingress/old", "Service/legacy")] == "default → :80"
    assert graph.has_edge("NetworkPolicy/deny-all", "selects", "Pod/p")
    assert graph.node("NetworkPolicy/deny-all").details == ("limits Ingress, Egress",)


def test_a_binding_to_a_cluster_role_and_to_the_default_account() -> None:
    binding = _meta(
        "RoleBinding",
        "view",
        subjects=[
            {"kind": "ServiceAccount", "name": "default"},
            {"kind": "ServiceAccount", "name": "other", "namespace": "elsewhere"},
            {"kind": "User", "name": "jane"},
        ],
        roleRef={"kind": "ClusterRole", "name": "view"},
    )
    pod = _meta("Pod", "p", spec={"serviceAccountName": "default"}, status=RUNNING)
    graph = build_graph([binding, _meta("ServiceAccount", "default"), pod], "ns")
    assert graph.has_edge("RoleBinding/view", "grants", "ClusterRole/view")
    assert graph.has_edge("ServiceAccount/default", "bound by", "RoleBinding/view")
    assert graph.has_edge("Pod/p", "runs as", "ServiceAccount/default")  # bound, so shown
    assert graph.node("ClusterRole/view").details == ("cluster-wide role",)
    assert len(graph.edges) == 3


def test_the_order_is_stable_whatever_order_the_objects_come_in() -> None:
    snapshot = Snapshot.from_json((RECORDED / "scene.json").read_text(encoding="utf-8"))
    forward = build_graph(snapshot.objects, "ns")
    backward = build_graph(list(reversed(snapshot.objects)), "ns")
    assert forward == backward


def test_an_old_replica_set_says_it_is_old() -> None:
    old = _owned("ReplicaSet", "web-1", "Deployment", "web", spec={"replicas": 0})
    graph = build_graph([_meta("Deployment", "web", spec={"replicas": 1}), old], "ns")
    assert graph.node("ReplicaSet/web-1").details == ("old: 0 replicas",)


def test_a_service_that_selects_no_pod_points_to_the_pods_it_nearly_matches() -> None:
    service = _meta(
        "Service",
        "web",
        spec={"selector": {"app": "web", "tier": "front"}, "ports": [{"port": 80}]},
    )
    endpoints = _meta("Endpoints", "web", subsets=[])
    labelled = {
        "typo": {"app": "wbe", "tier": "front"},
        "half": {"app": "web"},
        "other": {"app": "db"},
        "moved": {"role": "web"},
        "bare": {},
    }
    pods = []
    for name, labels in labelled.items():
        pod = _meta("Pod", name, status=RUNNING)
        pod["metadata"]["labels"] = labels
        pods.append(pod)
    graph = build_graph([service, endpoints, *pods], "ns")
    near = {edge.target: edge.label for edge in graph.edges if edge.relation == "nearly selects"}
    assert near == {
        "Pod/typo": "needs app=web (has app=wbe)",
        "Pod/half": "needs tier=front (has none)",
        "Pod/moved": "needs app=web (has role=web), tier=front (has none)",
    }  # app=db is another app, not a slip
    assert all(edge.faint for edge in graph.edges if edge.relation == "nearly selects")
    assert graph.node("Endpoints/web").details == ("no pods: the selector matches none",)
    # Once one pod matches, the others are not near misses: the Service works.
    pods[1]["metadata"]["labels"] = {"app": "web", "tier": "front"}
    graph = build_graph([service, endpoints, *pods], "ns")
    assert not [edge for edge in graph.edges if edge.relation == "nearly selects"]


def test_a_marked_service_marks_the_pods_it_nearly_selects() -> None:
    from kklab.mapping import map_snapshot
    from kklab.mapping.reading import Snapshot

    service = _meta("Service", "web", spec={"selector": {"app": "web"}, "ports": [{"port": 80}]})
    pod = _meta("Pod", "a", status=RUNNING)
    pod["metadata"]["labels"] = {"app": "wbe"}
    drawn = map_snapshot(Snapshot("ns", (service, pod)), marked=["Service/web"], draw=False)
    assert drawn.marked == ("Pod/a", "Service/web")
    assert "» Pod a" in drawn.text()
    assert "nearly selects Pod a [Ready] (needs app=web (has app=wbe))" in drawn.text()
