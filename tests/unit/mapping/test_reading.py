"""Reading a namespace for its map, through a fake API server made of a recorded scene."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kklab.errors import ClusterError
from kklab.grading.transport import ApiStatusError
from kklab.mapping.graph import build_graph
from kklab.mapping.reading import Snapshot, names_only, read_namespace

RECORDED = Path(__file__).parent / "recorded"

DISCOVERY = {
    "/api/v1": [
        ("Pod", "pods", True),
        ("Service", "services", True),
        ("Endpoints", "endpoints", True),
        ("PersistentVolumeClaim", "persistentvolumeclaims", True),
        ("ConfigMap", "configmaps", True),
        ("Secret", "secrets", True),
        ("ServiceAccount", "serviceaccounts", True),
        ("PersistentVolume", "persistentvolumes", False),
    ],
    "/apis/apps/v1": [
        ("Deployment", "deployments", True),
        ("ReplicaSet", "replicasets", True),
        ("StatefulSet", "statefulsets", True),
        ("DaemonSet", "daemonsets", True),
    ],
    "/apis/batch/v1": [("Job", "jobs", True)],  # 1.20: CronJob only in v1beta1
    "/apis/batch/v1beta1": [("CronJob", "cronjobs", True)],
    "/apis/networking.k8s.io/v1": [
        ("Ingress", "ingresses", True),
        ("NetworkPolicy", "networkpolicies", True),
    ],
    "/apis/rbac.authorization.k8s.io/v1": [
        ("Role", "roles", True),
        ("RoleBinding", "rolebindings", True),
    ],
    "/apis/storage.k8s.io/v1": [("StorageClass", "storageclasses", False)],
}
PLURALS = {plural: kind for items in DISCOVERY.values() for kind, plural, _ in items}


class RecordedCluster:
    """Serves discovery and lists of a recorded snapshot; some kinds may be forbidden."""

    host = "https://recorded:6443"

    def __init__(self, snapshot: Snapshot, forbidden: Sequence[str] = ()) -> None:
        self.snapshot = snapshot
        self.forbidden = set(forbidden)
        self.paths: list[str] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.paths.append(path)
        if path in DISCOVERY:
            items = DISCOVERY[path]
            return {"resources": [{"kind": k, "name": p, "namespaced": n} for k, p, n in items]}
        parts = path.strip("/").split("/")
        # /api/v1[/namespaces/NS]/PLURAL[/NAME] or /apis/GROUP/VERSION[/namespaces/NS]/...
        plural_at = (2 if parts[0] == "api" else 3) + (2 if "namespaces" in parts else 0)
        kind = PLURALS.get(parts[plural_at]) if len(parts) > plural_at else None
        if kind is None:
            raise ApiStatusError(404, "not found")
        if kind in self.forbidden:
            raise ApiStatusError(403, f"{parts[plural_at]} is forbidden")
        objects = [obj for obj in self.snapshot.objects if obj.get("kind") == kind]
        if len(parts) > plural_at + 1:
            name = parts[plural_at + 1]
            found = [obj for obj in objects if obj["metadata"]["name"] == name]
            if not found:
                raise ApiStatusError(404, "not found")
            return json.loads(json.dumps(found[0]))
        return {"items": json.loads(json.dumps(objects))}

    def exec(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a map never runs anything in a pod")


def _scene() -> Snapshot:
    return Snapshot.from_json((RECORDED / "scene.json").read_text(encoding="utf-8"))


def test_reading_gets_every_object_of_the_recorded_scene_back() -> None:
    scene = _scene()
    read = read_namespace(RecordedCluster(scene), scene.namespace)
    assert sorted(json.dumps(obj, sort_keys=True) for obj in read.objects) == sorted(
        json.dumps(obj, sort_keys=True) for obj in scene.objects
    )
    assert read.unread == () and read.notes == ()


def test_a_forbidden_kind_is_left_out_with_a_note_and_the_rest_is_mapped() -> None:
    scene = _scene()
    cluster = RecordedCluster(scene, forbidden=["Secret", "PersistentVolume"])
    read = read_namespace(cluster, scene.namespace)
    assert read.unread == ("Secret", "PersistentVolume")
    assert read.notes == (
        "Secrets are left out: you may not read them here (403)",
        "PersistentVolumes are left out: you may not read them here (403)",
    )
    graph = build_graph(read.objects, read.namespace, unread=read.unread, notes=read.notes)
    assert graph.node("Secret/db-password").state == "unread"
    volume = next(e.target for e in graph.edges if e.source == "PersistentVolumeClaim/data")
    assert graph.node(volume).state == "unread"
    assert graph.has_edge("Pod/worker", "mounts", "ConfigMap/settings")


def test_an_unreachable_cluster_is_a_cluster_error() -> None:
    class Down(RecordedCluster):
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            raise ClusterError("the Kubernetes API server did not answer", fix="kklab status")

    with pytest.raises(ClusterError):
        read_namespace(Down(_scene()), "ns")


def test_another_status_than_forbidden_is_not_hidden() -> None:
    class Broken(RecordedCluster):
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            if path.endswith("/pods"):
                raise ApiStatusError(500, "etcd is sick")
            return super().request(method, path, **kwargs)

    with pytest.raises(ApiStatusError):
        read_namespace(Broken(_scene()), "ns")


def test_secrets_and_config_maps_keep_nothing_but_names_type_and_labels() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "data": {"password": "c2VjcmV0"},
        "stringData": {"password": "secret"},
        "metadata": {
            "name": "db",
            "labels": {"app": "db"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{secret}"},
            "managedFields": [{"fieldsV1": {"f:data": {"f:password": {}}}}],
        },
    }
    assert names_only(secret) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "db", "labels": {"app": "db"}},
    }
    config_map = {"kind": "ConfigMap", "data": {"a": "b"}, "binaryData": {"c": "ZA=="}}
    config_map["metadata"] = {"name": "cfg"}
    assert names_only(config_map) == {"kind": "ConfigMap", "metadata": {"name": "cfg"}}
    pod = {"kind": "Pod", "metadata": {"name": "p", "annotations": {"team": "a"}}}
    assert names_only(pod) == pod  # other kinds keep what the map may show


def test_a_recorded_file_with_values_loses_them_when_loaded() -> None:
    text = json.dumps(
        {
            "namespace": "ns",
            "objects": [{"kind": "Secret", "data": {"k": "dg=="}, "metadata": {"name": "s"}}],
        }
    )
    assert Snapshot.from_json(text).objects == ({"kind": "Secret", "metadata": {"name": "s"}},)
