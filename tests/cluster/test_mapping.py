"""The map of a real namespace: the relations a learner cannot see in `kubectl get`.

One small scene in its own namespace (``kklab-map-test-*``, deleted afterwards):
a Deployment behind a Service, a pod mounting a ConfigMap, a Secret and a claim,
a ServiceAccount bound to a Role, an Ingress and a NetworkPolicy. The map read
through kklab's read path must show each relation, and never the Secret's value.
"""

from __future__ import annotations

import base64
import functools
import html
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kklab.mapping import map_namespace
from kklab.mapping.reading import read_namespace
from kklab.mapping.rendering import find_dot
from tests.cluster.grading_helpers import Objects, container, pod, scratch_namespace, service
from tests.helpers import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

SECRET_VALUE = "m4p-s3cr3t-Va1ue"
HTTPD = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"


def _scene() -> list[dict[str, Any]]:
    web_pod = pod("template", {"app": "web"}, container("httpd", ["sh", "-c", HTTPD]))
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": web_pod["spec"]},
        },
    }
    worker = pod(
        "worker",
        {"app": "worker"},
        container(
            "main",
            ["sleep", "3600"],
            volumeMounts=[
                {"name": "settings", "mountPath": "/etc/settings"},
                {"name": "password", "mountPath": "/etc/password"},
                {"name": "data", "mountPath": "/data"},
            ],
        ),
        serviceAccountName="reporter",
        volumes=[
            {"name": "settings", "configMap": {"name": "settings"}},
            {"name": "password", "secret": {"secretName": "db-password"}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        ],
    )
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"mode": "fast"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db-password"},
            "stringData": {"password": SECRET_VALUE},
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "10Mi"}},
            },
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reporter"}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "pod-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "reporter-reads-pods"},
            "subjects": [{"kind": "ServiceAccount", "name": "reporter"}],
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "pod-reader",
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web"},
            "spec": {
                "rules": [
                    {
                        "host": "web.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "web-only-from-worker"},
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]},
        },
        deployment,
        service("web", {"app": "web"}, 80, 8080),
        worker,
    ]


@pytest.fixture(scope="module")
def scene(cluster: Any) -> Iterator[tuple[Any, str]]:
    with scratch_namespace(cluster.api_client, prefix="kklab-map-test") as namespace:
        objects = Objects(cluster.api_client, namespace)
        objects.create(*_scene())
        objects.wait_ready("worker")

        def served(name: str) -> bool:
            endpoints = objects.get("v1", "Endpoints", name) or {}
            return any(subset.get("addresses") for subset in endpoints.get("subsets") or [])

        wait_for(functools.partial(served, "web"), "the web Service's endpoint", timeout_s=90)
        yield cluster.api_client, namespace


def test_the_map_shows_each_relation_of_the_scene(scene: tuple[Any, str]) -> None:
    api_client, namespace = scene
    drawn = map_namespace(api_client, namespace, draw=False)
    graph = drawn.graph
    replica_sets = [node.id for node in graph.nodes if node.kind == "ReplicaSet"]
    web_pods = [
        node.id for node in graph.nodes if node.kind == "Pod" and node.name.startswith("web-")
    ]
    assert len(replica_sets) == 1 and len(web_pods) == 1, graph.nodes
    assert graph.has_edge("Deployment/web", "owns", replica_sets[0])
    assert graph.has_edge(replica_sets[0], "owns", web_pods[0])
    assert graph.has_edge("Service/web", "routes to", "Endpoints/web")
    assert graph.has_edge("Endpoints/web", "routes to", web_pods[0])
    assert any("8080" in edge.label for edge in graph.edges if edge.target == web_pods[0])
    assert graph.has_edge("Pod/worker", "mounts", "ConfigMap/settings")
    assert graph.has_edge("Pod/worker", "mounts", "Secret/db-password")
    assert graph.has_edge("Pod/worker", "mounts", "PersistentVolumeClaim/data")
    volume = next(
        edge.target for edge in graph.edges if edge.source == "PersistentVolumeClaim/data"
    )
    assert volume.startswith("PersistentVolume/pvc-")
    assert graph.has_edge(volume, "class", "StorageClass/standard")
    assert any(edge.relation == "stored in" for edge in graph.edges if edge.source == volume)
    assert graph.has_edge("Pod/worker", "runs as", "ServiceAccount/reporter")
    assert graph.has_edge("ServiceAccount/reporter", "bound by", "RoleBinding/reporter-reads-pods")
    assert graph.has_edge("RoleBinding/reporter-reads-pods", "grants", "Role/pod-reader")
    assert graph.has_edge("Ingress/web", "routes to", "Service/web")
    assert graph.has_edge("NetworkPolicy/web-only-from-worker", "selects", web_pods[0])
    assert not graph.has_edge("NetworkPolicy/web-only-from-worker", "selects", "Pod/worker")
    assert graph.node("Pod/worker").state == "ready"
    assert not graph.notes  # an admin reads every kind


def test_the_map_never_holds_the_secret_value(scene: tuple[Any, str]) -> None:
    api_client, namespace = scene
    from kklab.grading.transport import ApiClientTransport

    snapshot = read_namespace(ApiClientTransport(api_client), namespace)
    drawn = map_namespace(api_client, namespace, draw=find_dot() is not None)
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    for text in (snapshot.to_json(), drawn.dot, drawn.text(), drawn.rendering.svg):
        assert SECRET_VALUE not in text and encoded not in text
    if find_dot() is not None:
        # Graphviz writes "-" as "&#45;" in SVG text.
        svg = html.unescape(drawn.rendering.svg)
        assert svg.startswith("<svg") and "db-password" in svg and "Pod states" in svg
    record = os.environ.get("KKLAB_RECORD_MAP")  # refresh tests/unit/mapping/recorded/scene.json
    if record:
        Path(record).write_text(snapshot.to_json(), encoding="utf-8")


def test_the_magic_in_a_real_kernel_and_the_command_draw_the_namespace(
    scene: tuple[Any, str], cluster: Any, tmp_path: Path
) -> None:
    """``%kklab map`` run by a Jupyter kernel, and ``kklab map --svg``, both confined to the
    scene's namespace as a classroom sandbox is (``KKLAB_KUBECONFIG``, ``KKLAB_NAMESPACE``)."""
    import subprocess
    import sys

    import nbformat
    from nbclient import NotebookClient

    _, namespace = scene
    confined = {
        "KKLAB_KUBECONFIG": str(cluster.kubeconfig_path),
        "KKLAB_NAMESPACE": namespace,
        "KKLAB_WIDGETS": "0",
    }
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext kklab.notebook"),
            nbformat.v4.new_code_cell("%kklab map"),
        ]
    )
    saved = {key: os.environ.get(key) for key in confined}
    os.environ.update(confined)  # the kernel inherits them
    try:
        NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    outputs = notebook.cells[1].outputs
    shown = "".join(str(output.get("data", {}).get("text/html", "")) for output in outputs)
    printed = "".join(str(output.get("text", "")) for output in outputs)
    assert all(output.get("output_type") != "error" for output in outputs), outputs
    if find_dot() is not None:
        assert "<svg" in shown and "db&#45;password" in shown, printed or shown[:300]
        assert f"{namespace}: " in shown  # the summary line under the drawing
    else:
        assert "Pod worker" in printed and "apt install graphviz" in printed
    assert SECRET_VALUE not in shown + printed

    target = tmp_path / "map.svg"
    command = [sys.executable, "-m", "kklab", "map", "--svg", str(target)]
    done = subprocess.run(
        command, env={**os.environ, **confined}, capture_output=True, text=True, timeout=120
    )
    if find_dot() is not None:
        assert done.returncode == 0, done.stderr
        drawn = html.unescape(target.read_text(encoding="utf-8"))
        assert drawn.startswith("<svg") and "worker" in drawn and SECRET_VALUE not in drawn
    else:
        assert done.returncode == 2 and "apt install graphviz" in done.stderr
