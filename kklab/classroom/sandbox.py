"""A submission's sandbox: its own namespace, ServiceAccount, quota and kubeconfig.

When a class's notebooks are autograded, each submission re-creates its state
on the teacher's cluster. It does so as a ServiceAccount that RBAC confines
to one namespace made for that submission alone, under a ResourceQuota and a
LimitRange, so a submission that floods objects, deletes things or reaches
for other namespaces is refused by the API server and harms nobody else.

The pure part (names, the objects to create, the kubeconfig) is separate from
the part that talks to the cluster.

Example:
    >>> sandbox_name("01-pods", "Ada Lovelace")
    'kklab-01-pods-ada-lovelace-767402'
    >>> [o["kind"] for o in sandbox_objects("kklab-01-pods-ada", "01-pods", "Ada")]
    ['ServiceAccount', 'RoleBinding', 'ResourceQuota', 'LimitRange', 'ClusterRoleBinding']
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kklab.errors import ClusterError
from kklab.labs import LAB_LABEL, MANAGED_BY

SUBMISSION_LABEL = "kklab.io/submission"
"""Marks everything made for one submission; only such objects are ever deleted."""
LEARNER = "learner"
"""The ServiceAccount a submission's notebook runs as."""
NODE_READER = "kklab-classroom-node-reader"
"""A ClusterRole that lets a submission list nodes and StorageClasses, nothing else."""
TOKEN_SECONDS = 2 * 3600
"""How long a submission's token lives: longer than any autograde run."""

QUOTA: dict[str, str] = {
    "pods": "30",
    "services": "15",
    "configmaps": "40",
    "secrets": "40",
    "persistentvolumeclaims": "10",
    "replicationcontrollers": "5",
    "count/deployments.apps": "15",
    "count/replicasets.apps": "40",
    "count/statefulsets.apps": "10",
    "count/jobs.batch": "20",
    "count/cronjobs.batch": "10",
    "requests.cpu": "2",
    "requests.memory": "2Gi",
    "limits.memory": "4Gi",
}
"""What one submission may hold at once: ample for a lab, small enough to protect the node."""
CONTAINER_DEFAULTS = {
    "defaultRequest": {"cpu": "10m", "memory": "16Mi"},
    "default": {"memory": "128Mi"},
}
"""Requests and limits a container without its own gets (the quota needs them)."""

_UNSAFE = re.compile(r"[^a-z0-9]+")


def sandbox_name(lab_id: str, student: str) -> str:
    """The namespace of one student's submission of a lab: readable, unique, ≤ 63 chars.

    Example:
        >>> sandbox_name("01-pods", "bob")
        'kklab-01-pods-bob-81b637'
        >>> len(sandbox_name("01-pods", "x" * 200))
        63
    """
    digest = hashlib.sha256(student.encode()).hexdigest()[:6]
    slug = _UNSAFE.sub("-", student.lower()).strip("-") or "student"
    prefix = f"kklab-{lab_id}-"
    room = 63 - len(prefix) - len(digest) - 1
    return f"{prefix}{slug[:room].rstrip('-')}-{digest}"


def sandbox_labels(lab_id: str, namespace: str) -> dict[str, str]:
    """The labels on everything made for a submission."""
    return {**MANAGED_BY, LAB_LABEL: lab_id, SUBMISSION_LABEL: namespace}


def sandbox_objects(namespace: str, lab_id: str, student: str) -> list[dict[str, Any]]:
    """What confines a submission, besides its namespace (pure)."""
    labels = sandbox_labels(lab_id, namespace)
    meta = {"namespace": namespace, "labels": labels}
    account = {"kind": "ServiceAccount", "name": LEARNER, "namespace": namespace}
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": LEARNER, **meta, "annotations": {"kklab.io/student": student}},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": f"{LEARNER}-admin", **meta},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "admin",
            },
            "subjects": [account],
        },
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "submission", **meta},
            "spec": {"hard": dict(QUOTA)},
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "submission", **meta},
            "spec": {"limits": [{"type": "Container", **CONTAINER_DEFAULTS}]},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{namespace}-node-reader", "labels": labels},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": NODE_READER,
            },
            "subjects": [account],
        },
    ]


def node_reader_role() -> dict[str, Any]:
    """Read-only access to nodes and StorageClasses, so ``kubectl get nodes`` works."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": NODE_READER, "labels": dict(MANAGED_BY)},
        "rules": [
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
            {
                "apiGroups": ["storage.k8s.io"],
                "resources": ["storageclasses"],
                "verbs": ["get", "list", "watch"],
            },
        ],
    }


def kubeconfig(server: str, ca_pem: bytes | None, token: str, namespace: str) -> dict[str, Any]:
    """A kubeconfig for the submission's ServiceAccount, its namespace preselected (pure).

    Example:
        >>> config = kubeconfig("https://192.0.2.2:6443", b"PEM", "t0k", "kklab-01-pods-bob")
        >>> config["current-context"], config["contexts"][0]["context"]["namespace"]
        ('submission', 'kklab-01-pods-bob')
    """
    cluster: dict[str, Any] = {"server": server}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    else:
        cluster["insecure-skip-tls-verify"] = True
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "classroom", "cluster": cluster}],
        "users": [{"name": LEARNER, "user": {"token": token}}],
        "contexts": [
            {
                "name": "submission",
                "context": {"cluster": "classroom", "user": LEARNER, "namespace": namespace},
            }
        ],
        "current-context": "submission",
    }


@dataclass(frozen=True)
class Sandbox:
    """A submission's namespace and the kubeconfig that reaches only it."""

    lab: str
    """The lab id."""
    student: str
    """The nbgrader student id."""
    namespace: str
    """Where the submission's objects live."""
    kubeconfig_path: Path
    """The ServiceAccount's kubeconfig (mode 0600)."""

    def kernel_environment(self) -> dict[str, str]:
        """What the submission's kernel needs to use its sandbox (see ``kklab.connect``)."""
        return {
            "KKLAB_KUBECONFIG": str(self.kubeconfig_path),
            "KKLAB_NAMESPACE": self.namespace,
            "KUBECONFIG": str(self.kubeconfig_path),
        }


def _create(api_client: Any, body: dict[str, Any]) -> None:
    from kubernetes import utils

    utils.create_from_dict(api_client, body)


def _is_ours(labels: dict[str, str] | None) -> bool:
    return bool(labels) and SUBMISSION_LABEL in (labels or {})


def _ensure_node_reader(api_client: Any) -> None:
    from kubernetes import client
    from kubernetes.client import ApiException

    rbac = client.RbacAuthorizationV1Api(api_client)
    try:
        rbac.read_cluster_role(NODE_READER)
    except ApiException as err:
        if err.status != 404:
            raise
        try:
            rbac.create_cluster_role(node_reader_role())
        except ApiException as race:  # another job made it first
            if race.status != 409:
                raise


def provision(api_client: Any, lab_id: str, student: str, folder: Path) -> Sandbox:
    """Make a fresh sandbox for ``student``'s submission of ``lab_id``.

    A sandbox left behind by an interrupted run is removed first. The
    kubeconfig is written into ``folder``.
    """
    from kubernetes import client

    namespace = sandbox_name(lab_id, student)
    remove(api_client, namespace)
    labels = sandbox_labels(lab_id, namespace)
    client.CoreV1Api(api_client).create_namespace(
        {"metadata": {"name": namespace, "labels": labels}}
    )
    _ensure_node_reader(api_client)
    for body in sandbox_objects(namespace, lab_id, student):
        _create(api_client, body)
    token = _token(api_client, namespace)
    config = api_client.configuration
    ca_pem = Path(config.ssl_ca_cert).read_bytes() if config.ssl_ca_cert else None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{namespace}.kubeconfig"
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(kubeconfig(config.host, ca_pem, token, namespace)))
    return Sandbox(lab_id, student, namespace, path)


def _token(api_client: Any, namespace: str) -> str:
    """A bounded-lifetime token for the submission's ServiceAccount (TokenRequest API)."""
    from kubernetes import client
    from kubernetes.client import ApiException

    core = client.CoreV1Api(api_client)
    request = {"spec": {"audiences": [], "expirationSeconds": TOKEN_SECONDS}}
    deadline = time.monotonic() + 20
    while True:
        try:
            answer = core.create_namespaced_service_account_token(LEARNER, namespace, request)
            return str(answer.status.token)
        except ApiException as err:
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"the cluster gave no token for {namespace}'s ServiceAccount: {err.reason}",
                    fix="the API server needs --service-account-issuer (Kubernetes ≥ 1.20 has it)",
                ) from err
            time.sleep(0.2)


def remove(api_client: Any, namespace: str, *, wait_s: float = 120) -> bool:
    """Delete a sandbox kklab made (never anything else); True once it is gone.

    Waits up to ``wait_s`` seconds for the namespace controller to finish.
    """
    from kubernetes import client
    from kubernetes.client import ApiException

    core = client.CoreV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
    try:
        binding = rbac.read_cluster_role_binding(f"{namespace}-node-reader")
        if _is_ours(binding.metadata.labels):
            rbac.delete_cluster_role_binding(binding.metadata.name)
    except ApiException as err:
        if err.status != 404:
            raise
    try:
        found = core.read_namespace(namespace)
    except ApiException as err:
        if err.status == 404:
            return True
        raise
    if not _is_ours(found.metadata.labels):
        raise ClusterError(
            f"namespace {namespace} exists but kklab's classroom did not make it",
            fix="rename or delete it yourself; kklab only deletes its own sandboxes",
        )
    if found.metadata.deletion_timestamp is None:
        # Pods first, at once: the namespace would otherwise wait out their grace periods.
        core.delete_collection_namespaced_pod(namespace, grace_period_seconds=0)
        core.delete_namespace(namespace, propagation_policy="Background")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            core.read_namespace(namespace)
        except ApiException as err:
            if err.status == 404:
                return True
            raise
        time.sleep(0.5)
    return False


def leftovers(api_client: Any, lab_id: str | None = None) -> list[str]:
    """Sandbox namespaces still on the cluster (of one lab, or all)."""
    from kubernetes import client

    selector = SUBMISSION_LABEL if lab_id is None else f"{SUBMISSION_LABEL},{LAB_LABEL}={lab_id}"
    found = client.CoreV1Api(api_client).list_namespace(label_selector=selector)
    return sorted(item.metadata.name for item in found.items)
