"""The local provider's cluster does what the labs need, seen through the Python client."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from kklab.cluster import toolchain
from kklab.cluster.local import host
from tests.conftest import RunningCluster
from tests.helpers import busybox_pod, create_pod, exec_in_pod, pod_phase, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture
def core(cluster: RunningCluster) -> client.CoreV1Api:
    return client.CoreV1Api(cluster.api_client)


def _create_pod(core: Any, namespace: str, manifest: dict[str, Any]) -> str:
    create_pod(core, namespace, manifest)
    name = str(manifest["metadata"]["name"])
    wait_for(lambda: pod_phase(core, namespace, name) == "Running", f"pod {name} Running")
    return name


def test_busybox_pod_runs_and_its_log_is_read(core: Any, namespace: str) -> None:
    create_pod(
        core,
        namespace,
        busybox_pod("hello", ["sh", "-c", "echo hello from $(hostname)"], restartPolicy="Never"),
    )
    wait_for(lambda: pod_phase(core, namespace, "hello") == "Succeeded", "pod hello Succeeded")
    assert core.read_namespaced_pod_log("hello", namespace).strip() == "hello from hello"


def test_exec_runs_a_command_in_the_container(core: Any, namespace: str) -> None:
    _create_pod(core, namespace, busybox_pod("shell", ["sleep", "3600"]))
    code, output = exec_in_pod(core, namespace, "shell", ["sh", "-c", "echo $((6*7)); exit 3"])
    assert (code, output.strip()) == (3, "42")


def _web_server(name: str, text: str, **spec: Any) -> dict[str, Any]:
    script = f"mkdir -p /www && echo {text} > /www/index.html && httpd -f -p 8080 -h /www"
    manifest = busybox_pod(name, ["sh", "-c", script], **spec)
    manifest["metadata"]["labels"] = {"app": "web"}
    manifest["spec"]["containers"][0]["ports"] = [{"name": "http", "containerPort": 8080}]
    return manifest


def _fetch(core: Any, namespace: str, url: str) -> str:
    # busybox 1.35's `wget -T` crashes: bound the wait with `timeout` instead.
    code, output = exec_in_pod(
        core, namespace, "client", ["sh", "-c", f"timeout 5 wget -qO- {url}"]
    )
    return output.strip() if code == 0 else ""


def test_services_are_reached_by_dns_name(core: Any, namespace: str) -> None:
    _create_pod(
        core,
        namespace,
        _web_server("web-0", "pod-zero", hostname="web-0", subdomain="web-headless"),
    )
    _create_pod(core, namespace, busybox_pod("client", ["sleep", "3600"]))
    ports = [{"name": "http", "port": 80, "targetPort": "http"}]
    core.create_namespaced_service(
        namespace,
        {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": ports}},
    )
    core.create_namespaced_service(
        namespace,
        {
            "metadata": {"name": "web-headless"},
            "spec": {
                "clusterIP": "None",
                "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 8080}],
            },
        },
    )
    fqdn = f"web.{namespace}.svc.cluster.local"
    assert wait_for(lambda: _fetch(core, namespace, f"http://{fqdn}/"), fqdn) == "pod-zero"
    # The pod's search path makes the short name work from the same namespace.
    assert wait_for(lambda: _fetch(core, namespace, "http://web/"), "web") == "pod-zero"
    headless = f"web-headless.{namespace}.svc.cluster.local"
    assert (
        wait_for(lambda: _fetch(core, namespace, f"http://{headless}:8080/"), headless)
        == "pod-zero"
    )
    # A pod with hostname + subdomain gets its own name, as StatefulSet pods do.
    pod_name = f"web-0.{headless}"
    assert (
        wait_for(lambda: _fetch(core, namespace, f"http://{pod_name}:8080/"), pod_name)
        == "pod-zero"
    )


def _claim(name: str, storage_class: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": storage_class,
            "resources": {"requests": {"storage": "100Mi"}},
        },
    }


def _pod_with_claim(name: str, claim: str, script: str) -> dict[str, Any]:
    manifest = busybox_pod(
        name,
        ["sh", "-c", script],
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        restartPolicy="Never",
    )
    manifest["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    return manifest


def _claim_phase(core: Any, namespace: str, name: str) -> str:
    return str(core.read_namespaced_persistent_volume_claim(name, namespace).status.phase)


def test_standard_claim_binds_and_data_survives_the_pod(core: Any, namespace: str) -> None:
    core.create_namespaced_persistent_volume_claim(namespace, _claim("data", "standard"))
    create_pod(core, namespace, _pod_with_claim("writer", "data", "echo kept > /data/note"))
    wait_for(lambda: pod_phase(core, namespace, "writer") == "Succeeded", "writer done")
    assert _claim_phase(core, namespace, "data") == "Bound"
    core.delete_namespaced_pod("writer", namespace, grace_period_seconds=0)
    create_pod(core, namespace, _pod_with_claim("reader", "data", "cat /data/note"))
    wait_for(lambda: pod_phase(core, namespace, "reader") == "Succeeded", "reader done")
    assert core.read_namespaced_pod_log("reader", namespace).strip() == "kept"


def test_local_volume_claim_waits_for_its_first_consumer(
    cluster: RunningCluster, core: Any, namespace: str, tmp_path: Path
) -> None:
    """A class without provisioner that binds WaitForFirstConsumer, made as lab 07 makes its own."""
    folder = tmp_path / "disk"
    folder.mkdir()
    volume_name = f"{namespace}-local"
    storage = client.StorageV1Api(cluster.api_client)
    storage.create_storage_class(
        {
            "metadata": {"name": volume_name, "labels": {"kklab.io/test": "true"}},
            "provisioner": "kubernetes.io/no-provisioner",
            "volumeBindingMode": "WaitForFirstConsumer",
        }
    )
    node = core.list_node().items[0].metadata.name
    core.create_persistent_volume(
        {
            "metadata": {"name": volume_name, "labels": {"kklab.io/test": "true"}},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": volume_name,
                "local": {"path": str(folder)},
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "kubernetes.io/hostname",
                                        "operator": "In",
                                        "values": [node],
                                    }
                                ]
                            }
                        ]
                    }
                },
            },
        }
    )
    try:
        core.create_namespaced_persistent_volume_claim(namespace, _claim("fast", volume_name))
        events = wait_for(
            lambda: [
                e
                for e in core.list_namespaced_event(namespace).items
                if e.reason == "WaitForFirstConsumer"
            ],
            "the WaitForFirstConsumer event",
        )
        assert events and _claim_phase(core, namespace, "fast") == "Pending"
        create_pod(core, namespace, _pod_with_claim("user", "fast", "echo local > /data/f"))
        wait_for(lambda: pod_phase(core, namespace, "user") == "Succeeded", "pod user done")
        assert _claim_phase(core, namespace, "fast") == "Bound"
        assert (folder / "f").read_text() == "local\n"
    finally:
        core.delete_namespaced_pod("user", namespace, grace_period_seconds=0)
        core.delete_namespaced_persistent_volume_claim("fast", namespace)
        core.delete_persistent_volume(volume_name)
        storage.delete_storage_class(volume_name)


def _access(cluster: RunningCluster, namespace: str, verb: str, resource: str) -> bool:
    review = client.AuthorizationV1Api(cluster.api_client).create_subject_access_review(
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": f"system:serviceaccount:{namespace}:reader",
                "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"],
                "resourceAttributes": {"namespace": namespace, "verb": verb, "resource": resource},
            },
        }
    )
    return bool(review.status.allowed)


def test_service_account_gets_only_what_it_was_granted(
    cluster: RunningCluster, core: Any, namespace: str
) -> None:
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "reader"}})
    assert not _access(cluster, namespace, "list", "pods")
    rbac = client.RbacAuthorizationV1Api(cluster.api_client)
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "pod-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "reader-reads-pods"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "pod-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        },
    )
    wait_for(lambda: _access(cluster, namespace, "list", "pods"), "the grant to apply")
    assert not _access(cluster, namespace, "delete", "pods")
    assert not _access(cluster, namespace, "list", "secrets")


def _helm(cluster: RunningCluster, namespace: str, *args: str) -> str:
    result = subprocess.run(
        [
            str(toolchain.helm_path()),
            "--kubeconfig",
            str(cluster.kubeconfig_path),
            "--namespace",
            namespace,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_helm_installs_upgrades_and_rolls_back(
    cluster: RunningCluster, core: Any, namespace: str, tmp_path: Path
) -> None:
    chart = tmp_path / "greeting"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: greeting\nversion: 0.1.0\nappVersion: '1.0'\n"
    )
    (chart / "values.yaml").write_text("message: hello\n")
    (chart / "templates" / "configmap.yaml").write_text(
        textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-greeting
        data:
          message: {{ .Values.message | quote }}
        """)
    )

    def message() -> str:
        return str(core.read_namespaced_config_map("hi-greeting", namespace).data["message"])

    _helm(cluster, namespace, "install", "hi", str(chart), "--wait")
    assert message() == "hello"
    _helm(cluster, namespace, "upgrade", "hi", str(chart), "--set", "message=bonjour")
    assert message() == "bonjour"
    _helm(cluster, namespace, "rollback", "hi", "1")
    assert message() == "hello"
    history = _helm(cluster, namespace, "history", "hi", "--output", "json")
    assert history.count('"revision"') == 3
    _helm(cluster, namespace, "uninstall", "hi")


def test_node_ip_is_the_cluster_nodes_internal_ip(core: Any) -> None:
    addresses = core.list_node().items[0].status.addresses
    internal = [a.address for a in addresses if a.type == "InternalIP"]
    assert internal == [host.node_ip()]


def _http_get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=3) as response:
        return str(response.read().decode().strip())


def test_port_forward_and_node_port_reach_a_pod_from_the_host(
    cluster: RunningCluster, core: Any, namespace: str
) -> None:
    _create_pod(core, namespace, _web_server("web-0", "from-the-host"))
    forward = subprocess.Popen(
        [
            str(toolchain.kubectl()),
            "--kubeconfig",
            str(cluster.kubeconfig_path),
            "-n",
            namespace,
            "port-forward",
            "pod/web-0",
            "18080:8080",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for(lambda: _http_get("http://127.0.0.1:18080/"), "port-forward") == (
            "from-the-host"
        )
    finally:
        forward.terminate()
        forward.wait(timeout=10)
    service = core.create_namespaced_service(
        namespace,
        {
            "metadata": {"name": "web-nodeport"},
            "spec": {
                "type": "NodePort",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080}],
            },
        },
    )
    node_port = service.spec.ports[0].node_port
    url = f"http://{host.node_ip()}:{node_port}/"
    assert wait_for(lambda: _http_get(url), "the NodePort") == "from-the-host"


def test_etcd_answers_only_clients_with_its_own_certificates() -> None:
    """No plain HTTP, no client without a certificate, none from the Kubernetes CA (issue 18)."""
    import ssl
    import urllib.request

    from kklab.cluster.local import config as cfg
    from kklab.paths import state_dir

    pki = state_dir() / "local" / "pki"
    url = f"127.0.0.1:{cfg.ETCD_CLIENT_PORT}/health"

    def ask(scheme: str, cert: str | None) -> str:
        context = ssl.create_default_context(cafile=str(pki / "etcd-ca.crt"))
        if cert:
            context.load_cert_chain(str(pki / f"{cert}.crt"), str(pki / f"{cert}.key"))
        try:
            with urllib.request.urlopen(f"{scheme}://{url}", timeout=3, context=context) as answer:
                return str(answer.read().decode())
        except Exception as err:  # what a refused client meets
            return f"refused: {type(err).__name__}"

    assert ask("http", None).startswith("refused")
    assert ask("https", None).startswith("refused")
    assert ask("https", "admin").startswith("refused")  # cluster-admin of the API, not of etcd
    assert '"health":"true"' in ask("https", "etcd-healthcheck-client")
