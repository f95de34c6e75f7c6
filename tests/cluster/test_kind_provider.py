"""The kind provider, driven through a stand-in `kind` executable.

kind cannot run on the machines these tests run on (no GitHub, no Docker
Hub). The stand-in (``tests/fixtures/kind_standin.py``) records its
arguments and, for ``create cluster``, writes a kubeconfig for the real local
cluster. So these tests prove kklab's use of kind's command line and that
everything after creation (the readiness waits, image loading, the kubeconfig
context, status, down) works against a real API server. They prove nothing
about kind itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kklab import connect
from kklab.cluster import kind
from kklab.cluster.choosing import provider_in_use
from kklab.cluster.kind import KindProvider
from kklab.errors import ClusterError
from tests.conftest import RunningCluster

STANDIN = Path(__file__).resolve().parents[1] / "fixtures" / "kind_standin.py"


@dataclass
class Machine:
    """A learner's machine with the stand-in kind on PATH and its own kklab state."""

    home: Path
    kubeconfig: Path
    log: Path
    clusters: Path
    env: dict[str, str]

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: RunningCluster
) -> Iterator[Machine]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "kind"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STANDIN}" "$@"\n')
    wrapper.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "KKLAB_HOME": str(tmp_path / "home"),
        "KKLAB_CACHE": str(tmp_path / "cache"),
        "KUBECONFIG": str(tmp_path / "kube" / "config"),
        "KIND_STANDIN_LOG": str(tmp_path / "kind-calls.jsonl"),
        "KIND_STANDIN_CLUSTERS": str(tmp_path / "kind-clusters"),
        "KIND_STANDIN_KUBECONFIG": str(cluster.kubeconfig_path),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield Machine(
        home=tmp_path / "home",
        kubeconfig=tmp_path / "kube" / "config",
        log=tmp_path / "kind-calls.jsonl",
        clusters=tmp_path / "kind-clusters",
        env={**os.environ, **env},
    )


def kklab(machine: Machine, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kklab", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=machine.env,
    )


def test_config_shipped_in_the_package_has_mounts_and_the_node_port(tmp_path: Path) -> None:
    config = kind.render_config(kind.config_template(), tmp_path)
    node = config["nodes"][0]
    assert [m["containerPath"] for m in node["extraMounts"]] == ["/var/local/kklab"]
    assert kind.host_folders(config) == [tmp_path / "volumes" / "node"]
    provider = kind.KindProvider(tmp_path)
    assert provider.host_folder("/var/local/kklab/07-storage/disk-1") == (
        tmp_path / "volumes" / "node" / "07-storage" / "disk-1"
    )
    assert node["extraPortMappings"][0]["containerPort"] == 30080
    assert node["extraPortMappings"][0]["hostPort"] == 30080
    assert kind.config_template()["nodes"][0]["extraMounts"][0]["hostPath"] == "volumes/node"


@pytest.mark.cluster
def test_up_status_down_through_the_cli(machine: Machine, cluster: RunningCluster) -> None:
    up = kklab(machine, "up", "--provider", "kind")
    assert up.returncode == 0, up.stderr
    calls = machine.calls()
    kubeconfig = machine.home / "kind" / "kubeconfig"
    config_path = machine.home / "kind" / "kind-config.yaml"
    assert calls == [
        ["get", "clusters"],
        ["get", "clusters"],
        [
            "create",
            "cluster",
            "--name=kklab",
            f"--kubeconfig={kubeconfig}",
            "--config",
            str(config_path),
        ],
        ["load", "docker-image", "--name", "kklab", "busybox:1.35"],
    ]
    used = yaml.safe_load(machine.log.with_name("kind-config.used.yaml").read_text())
    mounts = used["nodes"][0]["extraMounts"]
    assert [Path(m["hostPath"]) for m in mounts] == [machine.home / "kind" / "volumes" / "node"]
    assert all(Path(m["hostPath"]).is_dir() for m in mounts)
    # Progress with elapsed time, each readiness condition in turn.
    for step in (
        "kind cluster kklab created",
        "node Ready",
        "default ServiceAccount exists",
        "cluster DNS Ready (kube-dns has a ready endpoint)",
        "a default StorageClass exists",
        "image busybox:1.35 loaded into the node",
    ):
        assert any(
            line.startswith(f"✓ {step} (") and line.endswith(" s)")
            for line in up.stderr.splitlines()
        ), (step, up.stderr)
    assert "cluster kklab (kind provider, context kind-kklab)" in up.stdout
    contexts = yaml.safe_load(machine.kubeconfig.read_text())["contexts"]
    assert [c["name"] for c in contexts] == ["kind-kklab"]

    status = kklab(machine, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.startswith("kind cluster:\n✓ kind cluster kklab")
    assert "✓ node" in status.stdout

    again = kklab(machine, "up", "--provider", "kind")
    assert again.returncode == 0 and "already up" in again.stderr
    assert len(machine.calls()) == len(calls) + 2, "only `get clusters` (status) the second time"

    other = kklab(machine, "up", "--provider", "existing", "--context", "x")
    assert other.returncode == 2  # kklab could not do it
    assert other.stderr.strip() == (
        "kklab: a kind cluster is already up: run `kklab down` first, or keep using it "
        "(`kklab status`)"
    )

    down = kklab(machine, "down")
    assert down.returncode == 0, down.stderr
    assert machine.calls()[-1] == [
        "delete",
        "cluster",
        "--name=kklab",
        f"--kubeconfig={kubeconfig}",
    ]
    assert "✓ kind cluster kklab deleted" in down.stderr
    assert not (machine.home / "kind" / "cluster.json").exists()
    assert not (machine.home / "kind" / "volumes").exists()
    assert yaml.safe_load(machine.kubeconfig.read_text())["contexts"] == []
    # The real cluster behind the stand-in is untouched.
    assert cluster.info.kubeconfig_path.exists()
    from kubernetes import client

    assert client.CoreV1Api(cluster.api_client).list_namespace(_request_timeout=5).items


@pytest.mark.cluster
def test_connect_finds_the_kind_cluster(machine: Machine) -> None:
    provider = KindProvider()
    provider.up()
    try:
        found = provider_in_use()
        assert found is not None and found.name == "kind"
        connection = connect("01-pods")
        assert connection.info.context == "kind-kklab"
        assert connection.namespace == "lab-01-pods"
        from kubernetes import client

        assert client.VersionApi(connection.api_client).get_code().git_version
    finally:
        provider.down()
    assert provider_in_use() is None


@pytest.mark.cluster
def test_a_kind_cluster_kklab_did_not_create_is_left_alone(machine: Machine) -> None:
    machine.clusters.write_text("kklab\n")  # someone else's cluster named kklab
    provider = KindProvider()
    with pytest.raises(ClusterError) as caught:
        provider.up()
    assert str(caught.value) == (
        "a kind cluster named kklab exists, but kklab did not create it: if it is yours to "
        "delete, run `kind delete cluster --name kklab`, then `kklab up` again"
    )
    provider.down()
    assert not any(call[:2] == ["delete", "cluster"] for call in machine.calls())
    assert machine.clusters.read_text() == "kklab\n"


@pytest.mark.cluster
def test_a_failed_create_forgets_the_cluster(machine: Machine, tmp_path: Path) -> None:
    failing = tmp_path / "bin" / "kind"
    failing.write_text(
        f'#!/bin/sh\ncase "$1" in create) echo "ERROR: no space left" >&2; exit 1;; esac\n'
        f'exec "{sys.executable}" "{STANDIN}" "$@"\n'
    )
    provider = KindProvider()
    with pytest.raises(ClusterError) as caught:
        provider.up()
    message = str(caught.value)
    assert message.startswith("creating the kind cluster failed: `")
    assert "create cluster --name=kklab" in message
    assert "`kklab doctor` checks Docker, memory and inotify limits" in message
    assert provider.marker() is None
    assert provider_in_use() is None


def test_kind_missing_and_offline_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KKLAB_OFFLINE", "1")
    monkeypatch.setenv("KKLAB_CACHE", str(tmp_path))
    monkeypatch.setattr(kind, "which", lambda _name: None)
    monkeypatch.setattr(kind.docker, "daemon_answers", lambda: True)
    with pytest.raises(ClusterError) as caught:
        KindProvider(root=tmp_path / "kind").up()
    assert str(caught.value) == (
        "kind is not on PATH and cannot be downloaded from here (KKLAB_OFFLINE is set): "
        "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), "
        "or use `--provider local`"
    )
