"""Small helpers for tests that talk to the real cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str, *, timeout_s: float = 60) -> T:
    """Call ``condition`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as err:  # the object may not exist yet
            last_error = err
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what} ({last_error})")


def busybox_pod(name: str, command: list[str], **spec: Any) -> dict[str, Any]:
    """A pod manifest running ``command`` in busybox (offline image, no pull)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "main",
                    "image": "busybox:1.35",
                    "imagePullPolicy": "IfNotPresent",
                    "command": command,
                }
            ],
            **spec,
        },
    }


def pod_phase(core: Any, namespace: str, name: str) -> str:
    return str(core.read_namespaced_pod(name, namespace).status.phase)


def exec_in_pod(core: Any, namespace: str, pod: str, command: list[str]) -> tuple[int, str]:
    """Run ``command`` in the pod's first container; return (exit code, stdout+stderr)."""
    from kubernetes.stream import stream

    response = stream(
        core.connect_get_namespaced_pod_exec,
        pod,
        namespace,
        command=command,
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    response.run_forever(timeout=60)
    # Read the output channels only: read_all() would also drain the error
    # channel that carries the exit status.
    output = response.read_stdout() + response.read_stderr()
    code = response.returncode
    response.close()
    return int(code if code is not None else -1), output


def create_pod(core: Any, namespace: str, manifest: dict[str, Any]) -> Any:
    """Create a pod, retrying while the API server says the ServiceAccount token is not ready.

    Kubernetes 1.20 answers 500 "No API token found ... retry after" for a short
    while after a namespace is made: the message itself asks clients to retry.
    """
    from kubernetes.client import ApiException

    deadline = time.monotonic() + 20
    while True:
        try:
            return core.create_namespaced_pod(namespace, manifest)
        except ApiException as err:
            retryable = err.status == 500 and "No API token found" in str(err.body)
            if not retryable or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def run_kklab(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m kklab ARGS`` as a learner or teacher runs it; output captured, never raises.

    The interpreter's bin folder goes first on PATH, as in an activated venv
    (nbgrader runs ``alembic`` from there).
    """
    return run_tool([sys.executable, "-m", "kklab", *args], cwd=cwd, env=env, timeout_s=timeout_s)


def run_tool(
    command: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run a command of the venv (kklab, nbgrader, ...) with the venv's bin folder on PATH."""
    full_env = {**os.environ, **(env or {})}
    full_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), full_env.get("PATH", "")])
    return subprocess.run(
        command,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
