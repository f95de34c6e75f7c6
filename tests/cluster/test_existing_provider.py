"""The existing provider on the real cluster, as a learner limited to one namespace.

A ServiceAccount with a Role in one test namespace stands for a learner whose
teacher gave them that namespace only; its token (1.20 still makes a token
Secret per ServiceAccount) goes into a kubeconfig of its own.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from kklab import connect
from kklab.cluster.adapting import ManifestError, apply_manifest
from kklab.cluster.choosing import provider_in_use
from kklab.cluster.existing import (
    DEFAULT_NEEDS,
    ExistingProvider,
    Need,
    describe_missing,
    missing_permissions,
)
from kklab.errors import ClusterError
from tests.conftest import RunningCluster
from tests.helpers import busybox_pod, wait_for

pytestmark = pytest.mark.cluster

LEARNER_RULES = [
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "pods/log",
            "pods/exec",
            "services",
            "configmaps",
            "secrets",
            "persistentvolumeclaims",
            "events",
        ],
        "verbs": ["*"],
    },
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]},
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["*"]},
]


@pytest.fixture
def isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KKLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kube" / "config"))
    return tmp_path


def _learner_kubeconfig(cluster: RunningCluster, namespace: str, path: Path) -> Path:
    core = client.CoreV1Api(cluster.api_client)
    rbac = client.RbacAuthorizationV1Api(cluster.api_client)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "learner"}})
    rbac.create_namespaced_role(
        namespace, {"metadata": {"name": "learner"}, "rules": LEARNER_RULES}
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "learner"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "learner"},
            "subjects": [{"kind": "ServiceAccount", "name": "learner", "namespace": namespace}],
        },
    )
    secret_name = wait_for(
        lambda: (core.read_namespaced_service_account("learner", namespace).secrets or [None])[0],
        "the learner's token Secret",
    ).name
    token = base64.b64decode(core.read_namespaced_secret(secret_name, namespace).data["token"])
    configuration = cluster.api_client.configuration
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "teacher",
                "cluster": {
                    "server": configuration.host,
                    "certificate-authority": configuration.ssl_ca_cert,
                },
            }
        ],
        "users": [{"name": "learner", "user": {"token": token.decode()}}],
        "contexts": [
            {
                "name": "learner",
                "context": {"cluster": "teacher", "user": "learner", "namespace": namespace},
            }
        ],
        "current-context": "learner",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _outside_snapshot(cluster: RunningCluster) -> dict[str, Any]:
    """Everything outside test namespaces that a careless provider could touch."""
    core = client.CoreV1Api(cluster.api_client)
    storage = client.StorageV1Api(cluster.api_client)

    def versions(items: Any) -> dict[str, str]:
        return {item.metadata.name: item.metadata.resource_version for item in items}

    return {
        "namespaces": sorted(
            ns.metadata.name
            for ns in core.list_namespace().items
            if not ns.metadata.name.startswith(("kklab-test-", "lab-"))
        ),
        "default/configmaps": versions(core.list_namespaced_config_map("default").items),
        "default/services": versions(core.list_namespaced_service("default").items),
        "default/pods": versions(core.list_namespaced_pod("default").items),
        "storageclasses": versions(storage.list_storage_class().items),
        "persistentvolumes": sorted(pv.metadata.name for pv in core.list_persistent_volume().items),
    }


@pytest.fixture
def learner(
    cluster: RunningCluster, namespace: str, isolated_state: Path
) -> Iterator[ExistingProvider]:
    kubeconfig = _learner_kubeconfig(cluster, namespace, isolated_state / "learner.yaml")
    yield ExistingProvider(context="learner", kubeconfig_path=kubeconfig)


def test_limited_learner_gets_the_missing_permissions_and_touches_nothing_outside(
    cluster: RunningCluster,
    namespace: str,
    learner: ExistingProvider,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _outside_snapshot(cluster)
    info = learner.up()
    assert (info.provider, info.context) == ("existing", "learner")
    said = capsys.readouterr().err
    assert "✓ using context learner from" in said
    assert (
        "! you may not create namespaces; delete namespaces; get namespaces; "
        "create persistentvolumes" in said
    )

    api_client = info.api_client()
    missing = missing_permissions(api_client, namespace)
    assert missing == [
        Need("create", "namespaces", namespaced=False),
        Need("delete", "namespaces", namespaced=False),
        Need("get", "namespaces", namespaced=False),
        Need("create", "persistentvolumes", namespaced=False),
        Need("delete", "persistentvolumes", namespaced=False),
        Need("get", "persistentvolumes", namespaced=False),
        Need("list", "persistentvolumes", namespaced=False),
        Need("get", "storageclasses", "storage.k8s.io", namespaced=False),
        Need("list", "storageclasses", "storage.k8s.io", namespaced=False),
        Need("list", "nodes", namespaced=False),
    ]
    assert describe_missing(missing[:1] + missing[-1:], namespace) == (
        "you may not create namespaces; list nodes"
    )
    # In another namespace the learner may do nothing at all.
    elsewhere = missing_permissions(api_client, "default")
    assert len(elsewhere) == len(DEFAULT_NEEDS)

    # Work inside its namespace goes through; outside it is refused before any request.
    applied = apply_manifest(api_client, [busybox_pod("hello", ["sleep", "3600"])], namespace)
    assert [a.describe() for a in applied] == [f"pod/{namespace}/hello created"]
    with pytest.raises(ManifestError, match="names namespace default, outside kklab's"):
        apply_manifest(
            api_client,
            [
                {
                    **busybox_pod("stray", ["true"]),
                    "metadata": {"name": "stray", "namespace": "default"},
                }
            ],
            namespace,
        )
    with pytest.raises(ClusterError, match="cannot create namespace lab-01-pods: 403"):
        learner.create_namespace("lab-01-pods", "01-pods")

    connection = connect()
    assert connection.info.provider == "existing"
    assert connection.info.context == "learner"

    learner.down()
    assert "deleted namespaces: none" in capsys.readouterr().err
    assert learner.info() is None
    assert _outside_snapshot(cluster) == before
    assert client.CoreV1Api(cluster.api_client).read_namespace(namespace).status.phase == "Active"


def test_down_deletes_only_the_namespaces_it_created_and_still_owns(
    cluster: RunningCluster, isolated_state: Path
) -> None:
    core = client.CoreV1Api(cluster.api_client)
    suffix = uuid.uuid4().hex[:6]
    ours, foreign = f"kklab-test-{suffix}-lab", f"kklab-test-{suffix}-other"
    # Another learner's kklab namespace on the same shared cluster: same labels.
    core.create_namespace(
        {"metadata": {"name": foreign, "labels": {"app.kubernetes.io/managed-by": "kklab"}}}
    )
    try:
        provider = ExistingProvider(
            context=cluster.info.context, kubeconfig_path=cluster.kubeconfig_path
        )
        provider.up()
        assert provider_in_use() is not None
        provider.create_namespace(ours, "01-pods")
        labels = core.read_namespace(ours).metadata.labels
        assert labels["app.kubernetes.io/managed-by"] == "kklab"
        assert labels["kklab.io/lab"] == "01-pods"
        with pytest.raises(ClusterError, match="exists and is not kklab's"):
            provider.create_namespace("kube-system")
        provider.down()

        def gone_or_terminating() -> bool:
            try:
                return bool(core.read_namespace(ours).status.phase == "Terminating")
            except client.ApiException as err:
                return err.status == 404

        wait_for(gone_or_terminating, f"namespace {ours} deleted", timeout_s=30)
        assert core.read_namespace(foreign).status.phase == "Active"
        assert core.read_namespace("kube-system").status.phase == "Active"
    finally:
        core.delete_namespace(foreign, grace_period_seconds=0)


def test_up_names_the_contexts_when_the_one_asked_for_is_missing(
    cluster: RunningCluster, isolated_state: Path
) -> None:
    with pytest.raises(ClusterError) as caught:
        ExistingProvider(context="nope", kubeconfig_path=cluster.kubeconfig_path).up()
    assert str(caught.value) == (
        f"{cluster.kubeconfig_path} has no context 'nope' (it has: kklab-local): name one of "
        "its contexts with --context, or another file with --kubeconfig"
    )
    with pytest.raises(ClusterError, match="needs the kubeconfig context to use"):
        ExistingProvider().up()


def test_connect_without_a_cluster_says_to_run_up(isolated_state: Path) -> None:
    with pytest.raises(ClusterError) as caught:
        connect("01-pods")
    assert str(caught.value) == "no cluster is up: run `kklab up`"


def test_connect_gives_the_lab_namespace_and_a_working_client(cluster: RunningCluster) -> None:
    connection = connect("07-storage")
    assert connection.namespace == "lab-07-storage"
    assert connection.info.provider == "local"
    assert client.VersionApi(connection.api_client).get_code().git_version == "v1.20.2"
    assert connect().namespace == "default"
    with pytest.raises(Exception, match="is not a lab name"):
        connect("07 storage")


def test_up_status_down_through_the_cli(cluster: RunningCluster, isolated_state: Path) -> None:
    def kklab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kklab", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    context, kubeconfig = cluster.info.context, str(cluster.kubeconfig_path)
    up = kklab("up", "--context", context, "--kubeconfig", kubeconfig)
    assert up.returncode == 0, up.stderr
    assert f"cluster {context} (existing provider, context {context})" in up.stdout
    assert kklab("up").returncode == 0, "a second `up` checks the recorded context again"
    status = kklab("status")
    assert status.returncode == 0
    assert status.stdout.startswith(f"existing cluster:\n✓ context {context}")
    assert "Kubernetes v1.20.2" in status.stdout
    down = kklab("down")
    assert down.returncode == 0
    assert f"✓ forgot context {context}; deleted namespaces: none" in down.stderr
    assert kklab("status").returncode == 1
