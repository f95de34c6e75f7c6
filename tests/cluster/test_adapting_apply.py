"""`apply_manifest` on the real 1.20 cluster: current manifests become working older objects."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kubernetes import client
from kubernetes.dynamic import DynamicClient

from kklab.cluster import adapting
from kklab.cluster.adapting import ManifestError, apply_manifest
from tests.conftest import RunningCluster
from tests.helpers import busybox_pod, wait_for

pytestmark = pytest.mark.cluster

CRONJOB = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: "* * * * *"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 0
          containers:
            - name: tick
              image: busybox:1.35
              imagePullPolicy: IfNotPresent
              command: ["sh", "-c", "echo tick"]
"""

PDB = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector: {}
"""


@pytest.fixture(autouse=True)
def fresh_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapting, "_noted", set())


def _notes(err: str, kind: str) -> int:
    return sum(
        line.startswith(f"note: this cluster does not serve {kind}") for line in err.splitlines()
    )


def test_batch_v1_cronjob_becomes_a_working_v1beta1_cronjob(
    cluster: RunningCluster, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    applied = apply_manifest(cluster.api_client, CRONJOB, namespace)
    assert [a.describe() for a in applied] == [
        f"cronjob/{namespace}/tick created (as batch/v1beta1, from batch/v1)"
    ]
    again = apply_manifest(cluster.api_client, CRONJOB, namespace)
    assert again[0].action == "unchanged"
    err = capsys.readouterr().err
    assert _notes(err, "CronJob batch/v1") == 1, err
    assert "kklab applies it as batch/v1beta1 (same fields)" in err

    dynamic = DynamicClient(cluster.api_client)
    stored = dynamic.get(
        dynamic.resources.get(api_version="batch/v1beta1", kind="CronJob"),
        name="tick",
        namespace=namespace,
    )
    assert stored.spec.schedule == "* * * * *"
    assert stored.spec.concurrencyPolicy == "Forbid"
    assert stored.spec.successfulJobsHistoryLimit == 2
    # Working: the controller starts a Job from it at the next minute, and the Job succeeds.
    batch = client.BatchV1Api(cluster.api_client)

    def succeeded_job() -> bool:
        for job in batch.list_namespaced_job(namespace).items:
            owners = job.metadata.owner_references or []
            if any(o.kind == "CronJob" and o.name == "tick" for o in owners):
                return bool(job.status.succeeded)
        return False

    wait_for(succeeded_job, "a succeeded Job started by CronJob tick", timeout_s=150)


def test_policy_v1_pdb_with_empty_selector_still_covers_every_pod(
    cluster: RunningCluster, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pods = [busybox_pod(name, ["sleep", "3600"]) for name in ("web-1", "web-2")]
    # Right after the namespace is made, 1.20 asks to retry pods until the
    # ServiceAccount token exists: apply_manifest retries as asked.
    assert [a.action for a in apply_manifest(cluster.api_client, pods, namespace)] == [
        "created",
        "created",
    ]
    applied = apply_manifest(cluster.api_client, PDB, namespace)
    assert (applied[0].api_version, applied[0].converted_from) == ("policy/v1beta1", "policy/v1")
    err = capsys.readouterr().err
    assert _notes(err, "PodDisruptionBudget policy/v1") == 1
    assert "its empty selector (every pod in v1, none in v1beta1)" in err

    dynamic = DynamicClient(cluster.api_client)
    resource = dynamic.resources.get(api_version="policy/v1beta1", kind="PodDisruptionBudget")

    def expected_pods() -> Any:
        status = dynamic.get(resource, name="web", namespace=namespace).status
        return status and status.expectedPods == 2

    # In v1beta1 a literal empty selector would expect 0 pods; v1's meaning is every pod.
    wait_for(expected_pods, "the PDB to count both pods", timeout_s=60)


def test_create_configure_unchanged_and_cluster_scoped_labels(
    cluster: RunningCluster, namespace: str
) -> None:
    pod = busybox_pod("app", ["sleep", "3600"])
    assert apply_manifest(cluster.api_client, [pod], namespace)[0].action == "created"
    assert apply_manifest(cluster.api_client, [pod], namespace)[0].action == "unchanged"
    relabelled = {**pod, "metadata": {"name": "app", "labels": {"app": "app", "tier": "web"}}}
    assert apply_manifest(cluster.api_client, [relabelled], namespace)[0].action == "configured"
    core = client.CoreV1Api(cluster.api_client)
    assert core.read_namespaced_pod("app", namespace).metadata.labels["tier"] == "web"
    kept = apply_manifest(cluster.api_client, [pod], namespace, keep_existing=True)
    assert kept[0].action == "kept"
    assert core.read_namespaced_pod("app", namespace).metadata.labels["tier"] == "web"

    volume_name = f"kklab-test-{uuid.uuid4().hex[:8]}"
    volume = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": volume_name, "namespace": "ignored"},
        "spec": {
            "capacity": {"storage": "1Mi"},
            "accessModes": ["ReadWriteOnce"],
            "hostPath": {"path": f"/tmp/{volume_name}"},
            "storageClassName": "kklab-test-none",
        },
    }
    try:
        applied = apply_manifest(cluster.api_client, [volume], namespace, lab="07-storage")
        assert applied[0].namespace is None
        labels = core.read_persistent_volume(volume_name).metadata.labels
        assert labels == {"app.kubernetes.io/managed-by": "kklab", "kklab.io/lab": "07-storage"}
    finally:
        core.delete_persistent_volume(volume_name)


def test_unknown_kind_or_foreign_namespace_applies_nothing(
    cluster: RunningCluster, namespace: str
) -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "first"}}
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with pytest.raises(ManifestError) as caught:
        apply_manifest(cluster.api_client, [config_map, unknown], namespace)
    assert str(caught.value) == (
        "this cluster does not serve Widget in example.com/v1 (w): check the kind and "
        "apiVersion spelling; `kubectl api-resources` lists what the cluster serves"
    )
    foreign = {**config_map, "metadata": {"name": "second", "namespace": "kube-system"}}
    with pytest.raises(ManifestError) as caught:
        apply_manifest(cluster.api_client, [config_map, foreign], namespace)
    assert str(caught.value) == (
        f"ConfigMap second names namespace kube-system, outside kklab's namespace {namespace}: "
        "remove metadata.namespace from the manifest"
    )
    core = client.CoreV1Api(cluster.api_client)
    names = [c.metadata.name for c in core.list_namespaced_config_map(namespace).items]
    assert "first" not in names and "second" not in names


def test_the_server_refusing_an_object_is_a_clear_error(
    cluster: RunningCluster, namespace: str
) -> None:
    broken = busybox_pod("Bad_Name", ["true"])
    with pytest.raises(ManifestError) as caught:
        apply_manifest(cluster.api_client, [broken], namespace)
    message = str(caught.value)
    assert message.startswith("the server refused Pod Bad_Name: ")
    assert "a lowercase RFC 1123 subdomain" in message
    assert message.endswith(": correct the manifest and apply it again")


def test_numbers_written_as_quantities_are_applied_as_kubectl_applies_them(
    cluster: RunningCluster, namespace: str
) -> None:
    """`storage: 1073741824` and `cpu: 0.5` are what `kubectl apply` accepts; so does %%apply."""
    manifest = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: sized}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1073741824}}
---
apiVersion: v1
kind: Pod
metadata: {name: limited}
spec:
  containers:
    - name: main
      image: busybox:1.35
      command: ["sleep", "3600"]
      resources: {limits: {cpu: 0.5, memory: 67108864}}
"""
    applied = apply_manifest(cluster.api_client, manifest, namespace)
    assert [a.action for a in applied] == ["created", "created"]
    core = client.CoreV1Api(cluster.api_client)
    claim = core.read_namespaced_persistent_volume_claim("sized", namespace)
    assert claim.spec.resources.requests["storage"] == "1073741824"
    limits = core.read_namespaced_pod("limited", namespace).spec.containers[0].resources.limits
    assert (limits["cpu"], limits["memory"]) == ("500m", "67108864")
