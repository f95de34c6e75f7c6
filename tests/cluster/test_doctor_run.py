"""`kklab doctor` run for real on this machine: every check prints, the exit code agrees."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kklab.cluster import toolchain
from tests.conftest import RunningCluster

CHECKS = (
    "docker",
    "kind",
    "kubectl",
    "version skew",
    "helm",
    "cpu",
    "memory",
    "disk",
    "inotify",
    "root",
    "provider",
)


def doctor(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kklab", "doctor"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def test_every_check_prints_one_line_and_the_exit_code_agrees() -> None:
    result = doctor()
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    for name in CHECKS:
        assert any(line[2:].startswith(f"{name} ") for line in lines), (name, result.stdout)
    failed = [line for line in lines if line.startswith("✗ ")]
    assert result.returncode == (1 if failed else 0), result.stdout
    assert all(": " in line for line in failed), "each failing line says how to fix it"
    last = lines[-1]
    assert last.startswith("all checks passed" if not failed else f"{len(failed)} check")


@pytest.mark.cluster
def test_the_matching_kubectl_first_on_path_passes_the_skew_check(
    cluster: RunningCluster,
) -> None:
    folder = toolchain.kubectl().parent
    result = doctor(PATH=f"{folder}{os.pathsep}{os.environ['PATH']}")
    skew = next(line for line in result.stdout.splitlines() if "version skew" in line)
    assert skew.startswith("✓ version skew     kubectl v1.20"), result.stdout
    assert "works with the server v1.20.2" in skew
    assert "✓ provider         local is up" in result.stdout
