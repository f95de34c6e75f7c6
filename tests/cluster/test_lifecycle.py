"""`kklab up`, `status` and `down` on the real local cluster, including a crash.

These tests stop and start the cluster, so they carry the ``lifecycle`` marker
and run after everything else (`make test` runs them in a second pytest call).
They leave the cluster stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from kklab.cluster import processes
from kklab.cluster.local import LocalProvider, host
from kklab.cluster.local.config import Layout
from kklab.cluster.local.provider import NAME
from kklab.paths import state_dir
from tests.conftest import RunningCluster
from tests.helpers import run_kklab

pytestmark = [pytest.mark.cluster, pytest.mark.lifecycle]
LEAVES_CLUSTER_DOWN = True  # after tests/cluster/test_sick_cluster.py (see tests/conftest.py)


def kklab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_kklab(*args, env=env)


def _docker_pod_containers() -> list[str]:
    result = subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=io.kubernetes.pod.name"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.split()


def _assert_nothing_left(records: list[processes.ProcessRecord], root: Path) -> None:
    assert [r.name for r in records if processes.is_running(r)] == []
    if _docker_pod_containers():
        pytest.fail(f"pod containers left: {_docker_pod_containers()}")
    assert host.own_chains_left() == []
    assert not Path("/sys/class/net/cni0").exists()
    mounts = Path("/proc/mounts").read_text()
    assert str(root / "kubelet") not in mounts
    assert not (root / "cluster.json").exists()
    assert (root / "logs" / "kube-apiserver.log").exists(), "logs are kept after down"
    kubeconfig = Path.home() / ".kube" / "config"
    if kubeconfig.exists():
        contexts = yaml.safe_load(kubeconfig.read_text()).get("contexts") or []
        assert NAME not in [c.get("name") for c in contexts]


def _records(provider: LocalProvider) -> list[processes.ProcessRecord]:
    state = provider._state()
    assert state is not None
    return provider._records(state)


def test_status_names_a_dead_component_and_up_recovers_from_a_crash(
    cluster: RunningCluster,
) -> None:
    provider = LocalProvider()
    records = _records(provider)
    scheduler = next(r for r in records if r.name == "kube-scheduler")
    os.kill(scheduler.pid, signal.SIGKILL)
    processes.stop(scheduler)  # waits until it is really gone
    status = kklab("status")
    assert status.returncode == 1
    assert "✗ kube-scheduler" in status.stdout
    assert scheduler.log_path in status.stdout
    # Now crash everything, as a machine reboot or `kill -9` would.
    for record in records:
        if processes.is_running(record):
            os.kill(record.pid, signal.SIGKILL)
    for record in records:
        processes.stop(record)
    recovered = kklab("up", "--provider", "local")
    assert recovered.returncode == 0, recovered.stderr
    assert "restarting it on its existing data" in recovered.stderr
    assert "your work kept" in recovered.stderr
    assert kklab("status").returncode == 0


def test_down_leaves_nothing_behind_and_up_down_works_twice() -> None:
    provider = LocalProvider()
    root = state_dir() / "local"
    for _round in range(2):
        if provider.info() is None:
            started = kklab("up", "--provider", "local")
            assert started.returncode == 0, started.stderr
        assert kklab("status").returncode == 0
        records = _records(provider)
        stopped = kklab("down", "--provider", "local")
        assert stopped.returncode == 0, stopped.stderr
        _assert_nothing_left(records, root)
    # A second down is harmless and says so.
    again = kklab("down")
    assert again.returncode == 0 and "no kklab-local cluster" in again.stderr
    assert kklab("status").returncode == 1
    layout = Layout.at(root, node_name="", node_ip="")
    assert not layout.state_file.exists()
