"""`kklab status` tells the truth about each process: gone, stopped, silent or healthy.

The processes are harmless ``sleep``s recorded under component names in a
state folder in ``tmp_path``; none is named etcd or kubelet, whose health is
asked on fixed ports (where the real cluster may answer).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from kklab import cli
from kklab.cluster import processes
from kklab.cluster.local import LocalProvider
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def sleepers(tmp_path: Path) -> Iterator[dict[str, processes.ProcessRecord]]:
    logs = tmp_path / "local" / "logs"
    started = {
        name: processes.start(name, ["sleep", "60"], logs / f"{name}.log")
        for name in ("kube-scheduler", "kube-controller-manager", "kube-apiserver", "kube-proxy")
    }
    yield started
    for record in started.values():
        processes.stop(record, grace_s=0.5)


def _freeze(record: processes.ProcessRecord) -> None:
    """SIGSTOP, then wait (bounded) until the kernel shows it stopped."""
    os.kill(record.pid, signal.SIGSTOP)
    wait_for(lambda: processes.state(record) == "stopped", "the process to stop", timeout_s=5)


def _write_state(root: Path, records: list[processes.ProcessRecord]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cluster.json").write_text(
        json.dumps({"processes": [record.to_json() for record in records]})
    )


def test_state_of_running_stopped_and_gone(
    sleepers: dict[str, processes.ProcessRecord],
) -> None:
    record = sleepers["kube-proxy"]
    assert processes.state(record) == "running"
    _freeze(record)
    assert processes.is_running(record), "a stopped process still exists (and is stopped so)"
    processes.stop(record, grace_s=0.5)  # SIGTERM reaches it: it is continued first
    assert processes.state(record) == "gone"


def test_status_names_dead_frozen_and_silent_components(
    tmp_path: Path,
    sleepers: dict[str, processes.ProcessRecord],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "local"
    dead = sleepers["kube-scheduler"]
    Path(dead.log_path).write_text("I0101 started\nE0101 the scheduler gave up\n")
    processes.stop(dead, grace_s=0.5)
    frozen = sleepers["kube-controller-manager"]
    _freeze(frozen)
    _write_state(root, list(sleepers.values()))

    status = LocalProvider(root).status()
    lines = {component.name: component for component in status.components}
    assert not status.healthy
    assert not lines["kube-scheduler"].healthy
    assert "is gone" in lines["kube-scheduler"].detail
    assert lines["kube-scheduler"].detail.endswith(
        "E0101 the scheduler gave up; `kklab up` restarts the cluster with your work"
    )
    assert not lines["kube-controller-manager"].healthy
    assert f"kill -CONT {frozen.pid}" in lines["kube-controller-manager"].detail
    # A live kube-apiserver process that does not answer is not healthy.
    assert not lines["kube-apiserver"].healthy
    assert "runs but gives no healthy answer" in lines["kube-apiserver"].detail
    assert lines["kube-proxy"].healthy
    assert not lines["api"].healthy

    monkeypatch.setenv("KKLAB_HOME", str(tmp_path))
    assert cli.main(["status"]) == cli.EXIT_FAILED
    out = capsys.readouterr().out
    assert "✗ kube-scheduler" in out and "✗ kube-apiserver" in out and "✓ kube-proxy" in out
