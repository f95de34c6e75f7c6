"""Small helpers for tests that talk to the real cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
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
