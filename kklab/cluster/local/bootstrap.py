"""The objects a fresh local cluster needs, and the wait until it is really ready.

"Ready" means what a lab needs, not merely that the API answers: the node is
Ready, the default ServiceAccount exists, the StorageClass ``standard`` exists, and a pod
resolves a Service name through cluster DNS.

Example:
    >>> storage_classes()[0]["metadata"]["name"]
    'standard'
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kklab.cluster import processes, toolchain
from kklab.cluster.local import config as cfg
from kklab.errors import ClusterError
from kklab.shell import say

DNS_PROBE_POD = "kklab-dns-probe"
HOSTPATH_ROOT = "/tmp/hostpath_pv/"


def storage_classes() -> list[dict[str, Any]]:
    """``standard``: default, dynamic, WaitForFirstConsumer, Delete, like kind's and nothing more.

    A lab that needs another class (e.g. for local PersistentVolumes) creates it
    itself, so it works the same on kind and on an existing cluster.
    """
    return [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": "standard",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                "labels": {"app.kubernetes.io/managed-by": "kklab"},
            },
            # The in-tree hostPath provisioner (enabled on the controller manager)
            # creates a folder under /tmp/hostpath_pv per claim: single node only.
            "provisioner": "kubernetes.io/host-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
        },
    ]


def dns_objects(node_ip: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Service ``kube-system/kube-dns`` and its hand-written Endpoints (dnsmasq on the node)."""
    ports = [("dns", "UDP"), ("dns-tcp", "TCP")]
    labels = {"k8s-app": "kube-dns", "app.kubernetes.io/managed-by": "kklab"}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
        "spec": {
            "clusterIP": cfg.DNS_SERVICE_IP,
            "ports": [{"name": n, "protocol": p, "port": 53, "targetPort": 53} for n, p in ports],
        },
    }
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
        "subsets": [
            {
                "addresses": [{"ip": node_ip}],
                "ports": [{"name": n, "protocol": p, "port": 53} for n, p in ports],
            }
        ],
    }
    return service, endpoints


def _retry(action: Callable[[], Any], what: str, timeout_s: float = 30) -> Any:
    from kubernetes.client import ApiException

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return action()
        except ApiException as err:
            if err.status == 409:
                return None
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"cannot create {what}: {err.reason}", fix="see the kube-apiserver log"
                ) from err
            time.sleep(0.3)


def _ensure(read: Callable[[], Any], create: Callable[[], Any], what: str) -> None:
    """Create an object unless it is there already (a cluster restarted on its data has it).

    Read first: a Service whose fixed clusterIP is already taken is refused with
    422 before the API server would say it exists (409).
    """
    from kubernetes.client import ApiException

    def missing() -> bool:
        try:
            read()
        except ApiException as err:
            if err.status == 404:
                return True
            raise
        return False

    if _retry(missing, what):
        _retry(create, what)


def create_objects(api_client: Any, layout: cfg.Layout) -> None:
    """Create the DNS Service and Endpoints and the StorageClass (those missing)."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    storage = client.StorageV1Api(api_client)
    service, endpoints = dns_objects(layout.node_ip)
    _ensure(
        lambda: core.read_namespaced_service("kube-dns", "kube-system"),
        lambda: core.create_namespaced_service("kube-system", service),
        "Service kube-dns",
    )
    _ensure(
        lambda: core.read_namespaced_endpoints("kube-dns", "kube-system"),
        lambda: core.create_namespaced_endpoints("kube-system", endpoints),
        "Endpoints kube-dns",
    )
    for storage_class in storage_classes():
        name = storage_class["metadata"]["name"]
        _ensure(
            lambda name=name: storage.read_storage_class(name),  # type: ignore[misc]
            lambda sc=storage_class: storage.create_storage_class(sc),  # type: ignore[misc]
            f"StorageClass {name}",
        )


def _node_ready(core: Any) -> bool:
    for node in core.list_node(_request_timeout=5).items:
        for condition in node.status.conditions or []:
            if condition.type == "Ready" and condition.status == "True":
                return True
    return False


def _service_accounts(core: Any) -> bool:
    """The default ServiceAccounts exist and (on 1.20) have their token, so pods can start."""
    from kubernetes.client import ApiException

    try:
        for namespace in ("default", "kube-system"):
            account = core.read_namespaced_service_account("default", namespace, _request_timeout=5)
            if not account.secrets:
                return False
    except ApiException:
        return False
    return True


def _storage_classes(storage: Any) -> bool:
    names = {item.metadata.name for item in storage.list_storage_class(_request_timeout=5).items}
    return "standard" in names


# The labels kind's node has beyond the kubelet's own (kubeadm sets them).
KIND_NODE_LABELS = {
    "node-role.kubernetes.io/control-plane": "",
    "node-role.kubernetes.io/master": "",
}


def _labelled_like_kind(core: Any) -> bool:
    """Give the node kind's role labels (the kubelet may not set node-role labels itself)."""
    for node in core.list_node(_request_timeout=5).items:
        labels = node.metadata.labels or {}
        if any(labels.get(k) != v for k, v in KIND_NODE_LABELS.items()):
            core.patch_node(node.metadata.name, {"metadata": {"labels": KIND_NODE_LABELS}})
    return True


def dns_probe_pod() -> dict[str, Any]:
    """A one-shot pod that resolves a Service name through cluster DNS."""
    script = (
        "nslookup kubernetes.default.svc.cluster.local && "
        "nslookup kube-dns.kube-system.svc.cluster.local"
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": DNS_PROBE_POD,
            "namespace": "kube-system",
            "labels": {"app.kubernetes.io/managed-by": "kklab"},
        },
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "probe",
                    "image": toolchain.BUSYBOX_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", script],
                }
            ],
        },
    }


class _DnsProbe:
    """Runs the probe pod again until it succeeds once."""

    def __init__(self, core: Any) -> None:
        self.core = core
        self.created = False
        self.last_output = ""

    def __call__(self) -> bool:
        from kubernetes.client import ApiException

        if not self.created:
            try:
                self.core.create_namespaced_pod("kube-system", dns_probe_pod())
            except ApiException as err:
                if err.status != 409:
                    return False
            self.created = True
            return False
        try:
            pod = self.core.read_namespaced_pod(DNS_PROBE_POD, "kube-system", _request_timeout=5)
        except ApiException:
            self.created = False
            return False
        phase = pod.status.phase
        if phase in ("Succeeded", "Failed"):
            with contextlib.suppress(ApiException):
                self.last_output = self.core.read_namespaced_pod_log(
                    DNS_PROBE_POD, "kube-system", _request_timeout=5
                )
            self._delete()
            return bool(phase == "Succeeded")
        return False

    def _delete(self) -> None:
        from kubernetes.client import ApiException

        with contextlib.suppress(ApiException):
            self.core.delete_namespaced_pod(DNS_PROBE_POD, "kube-system", grace_period_seconds=0)
        # Wait for it to go, so a retry can create it again under the same name.
        for _ in range(50):
            try:
                self.core.read_namespaced_pod(DNS_PROBE_POD, "kube-system", _request_timeout=5)
            except ApiException:
                break
            time.sleep(0.1)
        self.created = False


def wait_until_ready(
    api_client: Any,
    layout: cfg.Layout,
    *,
    started: float,
    alive: Callable[[], processes.ProcessRecord | None],
    timeout_s: float,
) -> None:
    """Wait for each readiness condition in turn, printing each as it is met."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    storage = client.StorageV1Api(api_client)
    probe = _DnsProbe(core)
    steps: list[tuple[str, Callable[[], bool]]] = [
        ("node Ready", lambda: _node_ready(core)),
        ("default ServiceAccounts exist", lambda: _service_accounts(core)),
        ("StorageClass standard exists", lambda: _storage_classes(storage)),
        ("cluster DNS answers from a pod", probe),
    ]
    if layout.like == "kind":
        steps.insert(1, ("node labelled as kind labels it", lambda: _labelled_like_kind(core)))
    deadline = time.monotonic() + timeout_s
    for what, ready in steps:
        while True:
            try:
                if ready():
                    break
            except Exception:  # the API may still be settling; try again shortly
                pass
            dead = alive()
            if dead is not None:
                raise ClusterError(
                    f"{dead.name} stopped while the cluster was starting",
                    fix=f"read its log {dead.log_path}, fix the cause, run `kklab up` again",
                )
            if time.monotonic() > deadline:
                detail = (
                    f" (last probe output: {probe.last_output.strip()[-200:]})"
                    if (probe.last_output)
                    else ""
                )
                raise ClusterError(
                    f"the cluster was not ready after {timeout_s:.0f} s: waiting for {what}"
                    + detail,
                    fix="run `kklab status` and read the logs it names",
                )
            time.sleep(0.25)
        say(f"✓ {what} ({time.monotonic() - started:.1f} s)")


def provisioned_paths(layout: cfg.Layout) -> list[Path]:
    """Folders the hostPath provisioner made for this cluster's volumes."""
    from kubernetes import client

    from kklab.cluster.talking import new_api_client

    try:
        api_client = new_api_client(layout.learner_kubeconfig)
        volumes = client.CoreV1Api(api_client).list_persistent_volume(_request_timeout=3).items
    except Exception:
        return []
    paths = []
    for volume in volumes:
        host_path = volume.spec.host_path
        if host_path and host_path.path.startswith(HOSTPATH_ROOT):
            paths.append(Path(host_path.path))
    return paths
