"""The Docker engine that the local cluster's kubelet runs pods on.

kklab starts ``dockerd`` only when none answers, and then remembers that it
did, so that stopping the cluster leaves Docker as it found it.

Example (with a Docker engine running)::

    image_present("no-such-image:never")   # False
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

from kklab.cluster import processes
from kklab.errors import ClusterError, NotRootError
from kklab.shell import CommandError, run, say

SOCKET = Path("/var/run/docker.sock")


def _docker() -> str:
    # Debian's client matches Debian's daemon; any other client on PATH negotiates.
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and Path(candidate).exists():
            return candidate
    raise ClusterError(
        "the docker command is missing",
        fix="install Docker (as root: `kklab toolchain install` installs Debian's docker.io)",
    )


def daemon_answers() -> bool:
    """True when a Docker daemon answers on the default socket."""
    if not SOCKET.exists():
        return False
    try:
        result = subprocess.run(
            [_docker(), "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (subprocess.TimeoutExpired, ClusterError):
        return False
    return result.returncode == 0


def start_daemon(log_path: Path, *, timeout_s: float = 60) -> processes.ProcessRecord:
    """Start ``dockerd`` and wait until it answers; returns its process record."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise ClusterError(
            "Docker is not running and dockerd is not installed",
            fix="run `kklab toolchain install` as root, or start Docker yourself",
        )
    if os.geteuid() != 0:
        raise NotRootError(
            "Docker is not running and only root can start it",
            fix="start Docker (e.g. `sudo systemctl start docker`), then try again",
        )
    say("  starting dockerd")
    record = processes.start("dockerd", [dockerd, "--log-level=warn"], log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if daemon_answers():
            return record
        if not processes.is_running(record):
            break
        time.sleep(0.3)
    processes.stop(record)
    raise ClusterError(
        f"dockerd did not come up; see {log_path}",
        fix="read the log's last lines, fix the cause, then try again",
    )


def image_present(reference: str) -> bool:
    """True when the image ``reference`` is in the local Docker store."""
    result = subprocess.run(
        [_docker(), "image", "inspect", reference], capture_output=True, check=False
    )
    return result.returncode == 0


def import_rootfs(rootfs: Path, tags: list[str], *, changes: list[str]) -> None:
    """Turn a directory into an image (``docker import``) and tag it."""
    archive = rootfs.with_suffix(".tar")
    with tarfile.open(archive, "w") as tar:
        tar.add(rootfs, arcname=".")
    command = [_docker(), "import"]
    for change in changes:
        command += ["--change", change]
    command += [str(archive), tags[0]]
    run(command)
    for tag in tags[1:]:
        run([_docker(), "tag", tags[0], tag])
    archive.unlink()


def remove_pod_containers() -> int:
    """Remove every container the kubelet made (label ``io.kubernetes.pod.name``)."""
    try:
        listed = run(
            [_docker(), "ps", "-aq", "--filter", "label=io.kubernetes.pod.name"], timeout_s=30
        ).stdout.split()
        if listed:
            run([_docker(), "rm", "-f", "-v", *listed], timeout_s=120)
    except CommandError:
        return 0
    return len(listed)
