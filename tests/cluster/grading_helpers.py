"""Helpers of the grading cluster tests: graders from YAML text, objects from dicts."""

from __future__ import annotations

import contextlib
import functools
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kklab.grading import CheckResult, Lab, LabResult, load_lab
from kklab.grading.fetching import Fetcher
from kklab.grading.transport import ApiClientTransport, ApiStatusError
from tests.helpers import wait_for

BUSYBOX = "busybox:1.35"


def lab_from_yaml(
    tmp_path: Path, text: str, *, python: str | None = None, name: str = "90-grading-test"
) -> Lab:
    """Write a grader (and its ``.py``) to ``tmp_path`` and load it as kklab would."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text).strip() + "\n", encoding="utf-8")
    if python is not None:
        path.with_suffix(".py").write_text(textwrap.dedent(python), encoding="utf-8")
    return load_lab(path)


def by_id(result: LabResult) -> dict[str, CheckResult]:
    """Check results of a lab result by check id."""
    return {check.check_id: check for check in result.checks}


def container(name: str, command: list[str], **fields: Any) -> dict[str, Any]:
    """A busybox container (never pulled)."""
    return {
        "name": name,
        "image": BUSYBOX,
        "imagePullPolicy": "IfNotPresent",
        "command": command,
        **fields,
    }


def pod(
    name: str, labels: dict[str, str], *containers: dict[str, Any], **spec: Any
) -> dict[str, Any]:
    """A pod manifest that stops at once when deleted."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"terminationGracePeriodSeconds": 0, "containers": list(containers), **spec},
    }


def service(name: str, selector: dict[str, str], port: int, target: int | str) -> dict[str, Any]:
    """A ClusterIP Service with one TCP port."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": selector, "ports": [{"port": port, "targetPort": target}]},
    }


class Objects:
    """Create objects from plain dicts through kklab's own transport."""

    def __init__(self, api_client: Any, namespace: str) -> None:
        self.transport = ApiClientTransport(api_client)
        self.fetcher = Fetcher(self.transport)
        self.namespace = namespace

    def create(self, *manifests: dict[str, Any]) -> None:
        """Create each object; a pod is retried while Kubernetes 1.20 answers 500 "No API
        token found ... retry after" (a new namespace's ServiceAccount has no token yet)."""
        for manifest in manifests:
            resource = self.fetcher.resource(manifest["apiVersion"], manifest["kind"])
            deadline = time.monotonic() + 30
            while True:
                try:
                    self.transport.request(
                        "POST", resource.path(self.namespace), body=manifest, timeout_s=10
                    )
                    break
                except ApiStatusError as err:
                    if "No API token found" not in str(err) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)

    def get(self, api_version: str, kind: str, name: str) -> Any:
        self.fetcher.new_round()
        return self.fetcher.get(api_version, kind, name, self.namespace)

    def wait_ready(self, *pods: str, timeout_s: float = 90) -> None:
        def ready(name: str) -> bool:
            found = self.get("v1", "Pod", name) or {}
            conditions = (found.get("status") or {}).get("conditions") or []
            return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

        for name in pods:
            wait_for(functools.partial(ready, name), f"pod {name} to be ready", timeout_s=timeout_s)


@contextmanager
def scratch_namespace(api_client: Any, prefix: str = "kklab-test-grading") -> Iterator[str]:
    """A fresh namespace (labelled like conftest's) deleted afterwards without waiting."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    transport = ApiClientTransport(api_client)
    labels = {"app.kubernetes.io/managed-by": "kklab", "kklab.io/test": "true"}
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    transport.request("POST", "/api/v1/namespaces", body=body, timeout_s=10)
    try:
        wait_for(
            lambda: transport.request(
                "GET", f"/api/v1/namespaces/{name}/serviceaccounts/default", timeout_s=5
            ),
            "the default ServiceAccount",
            timeout_s=30,
        )
        yield name
    finally:
        # The cluster may be gone (restarted): then there is nothing left to delete.
        with contextlib.suppress(Exception):
            transport.request(
                "DELETE",
                f"/api/v1/namespaces/{name}",
                query=[("propagationPolicy", "Background"), ("gracePeriodSeconds", "0")],
                timeout_s=10,
            )
