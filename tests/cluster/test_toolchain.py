"""The toolchain is idempotent and accepts ready-made binaries."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kklab.cluster import toolchain
from tests.conftest import RunningCluster
from tests.helpers import run_kklab

pytestmark = pytest.mark.cluster


def kklab(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_kklab(*args, env=env, timeout_s=120)


def test_a_second_install_only_confirms_what_is_present(cluster: RunningCluster) -> None:
    result = kklab("toolchain", "install")
    assert result.returncode == 0, result.stderr
    assert "building" not in result.stderr and "installing" not in result.stderr
    assert "✓ kubernetes v1.20.2 binaries: cached in" in result.stderr
    assert "✓ image busybox:1.35: present" in result.stderr
    status = kklab("toolchain", "status")
    assert status.returncode == 0, status.stdout
    assert "✗" not in status.stdout


def test_ready_made_binaries_are_used_without_building(
    cluster: RunningCluster, tmp_path: Path
) -> None:
    ready = tmp_path / "official"
    ready.mkdir()
    for name in toolchain.BINARIES:
        (ready / name).symlink_to(toolchain.kubernetes_bin_dir() / name)
    try:
        result = kklab("toolchain", "install", KKLAB_K8S_BIN=str(ready))
        assert result.returncode == 0, result.stderr
        assert f"✓ kubernetes binaries: using KKLAB_K8S_BIN={ready}" in result.stderr
        (ready / "kubelet").unlink()
        missing = kklab("toolchain", "install", KKLAB_K8S_BIN=str(ready))
        assert missing.returncode == 2  # kklab could not do it
        assert f"kklab: kubelet is missing from {ready}" in missing.stderr
    finally:
        # The first install linked the virtualenv's kubectl to the temporary folder.
        kklab("toolchain", "install")
