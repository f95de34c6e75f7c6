"""Bad situations give one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kklab import cli
from kklab.cluster import docker
from tests.conftest import RunningCluster
from tests.helpers import run_kklab


def kklab(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_kklab(*args, env=env, timeout_s=120)


def _one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.cluster
def test_port_in_use_names_the_owner(cluster: RunningCluster, tmp_path: Path) -> None:
    # A second cluster (own state folder) cannot start while the first holds the ports.
    line = _one_clear_line(kklab("up", KKLAB_HOME=str(tmp_path)))
    assert line.startswith("kklab: port 2379, which etcd needs, is in use by etcd (PID ")
    assert "stop that program" in line


def test_missing_binary_says_how_to_get_it(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the binary check comes after the root check")
    empty = tmp_path / "bin"
    empty.mkdir()
    line = _one_clear_line(kklab("up", KKLAB_HOME=str(tmp_path), KKLAB_K8S_BIN=str(empty)))
    assert line == (
        f"kklab: kube-apiserver is missing from {empty}: run `kklab toolchain install` "
        "(as root), or point KKLAB_K8S_BIN at a folder of Kubernetes server binaries"
    )


def test_not_root_is_refused_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("KKLAB_HOME", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert cli.main(["up", "--provider", "local"]) == cli.EXIT_TROUBLE
    error = capsys.readouterr().err
    assert error.startswith("kklab: the local provider runs kubelet and changes iptables")
    assert "--provider kind" in error
    assert not any(tmp_path.iterdir()), "nothing was written"


def test_no_docker_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(docker.shutil, "which", lambda _name: None)
    with pytest.raises(docker.ClusterError) as caught:
        docker.start_daemon(tmp_path / "dockerd.log")
    assert str(caught.value) == (
        "Docker is not running and dockerd is not installed: run `kklab toolchain install` "
        "as root, or start Docker yourself"
    )


def test_stale_state_with_dead_processes_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "local"
    root.mkdir()
    log = root / "logs" / "kubelet.log"
    log.parent.mkdir()
    log.write_text("I started\nF0101 failed to run Kubelet: something broke\n")
    (root / "cluster.json").write_text(
        '{"processes": [{"name": "kubelet", "pid": 999999999, "start_ticks": 1, '
        f'"log_path": "{log}"}}]}}'
    )
    monkeypatch.setenv("KKLAB_HOME", str(tmp_path))
    assert cli.main(["status"]) == 1
    out = capsys.readouterr().out
    assert "✗ kubelet                  not running (PID 999999999 is gone); its log is " in out
    assert f"{log}: F0101 failed to run Kubelet: something broke; `kklab up` restarts" in out
    assert "unhealthy" in out


def test_status_without_a_cluster(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KKLAB_HOME", str(tmp_path))
    assert cli.main(["status"]) == 1
    assert "start one with `kklab up`" in capsys.readouterr().out
