"""Waiting until a fresh cluster can run a lab, with progress and elapsed time.

A kind cluster is "created" as soon as its API server answers (kind#2893);
a lab needs more: the node Ready, the namespace's default ServiceAccount,
cluster DNS answering (kube-dns has a ready endpoint: on kind that is CoreDNS
passing its readiness probe) and a default StorageClass.

Example:
    >>> default_storage_class_name([{"metadata": {"name": "slow"}}])
    >>> default_storage_class_name([{"metadata": {"name": "standard", "annotations":
    ...     {"storageclass.kubernetes.io/is-default-class": "true"}}}])
    'standard'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kklab.errors import ClusterError
from kklab.shell import say

DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


@dataclass(frozen=True)
class Step:
    """One condition to wait for."""

    what: str
    """The condition in words, e.g. "node Ready"."""
    ready: Callable[[], bool]
    """Returns True once the condition holds; may raise while the API settles."""


def wait_in_turn(
    steps: Sequence[Step],
    *,
    started: float,
    timeout_s: float,
    every_s: float = 10.0,
    fix: str = "run `kklab status`, then `kklab doctor`",
) -> None:
    """Wait for each step in order, printing "✓ what (elapsed)" as each is met.

    Prints a "… still waiting" line every ``every_s`` seconds; raises
    ``ClusterError`` naming the step when ``timeout_s`` runs out.
    """
    deadline = time.monotonic() + timeout_s
    for step in steps:
        next_note = time.monotonic() + every_s
        last_error = ""
        while True:
            try:
                if step.ready():
                    break
            except Exception as err:  # the API may still be settling
                last_error = f" (last error: {str(err).strip()[:120]})"
            now = time.monotonic()
            if now > deadline:
                raise ClusterError(
                    f"the cluster was not ready after {timeout_s:.0f} s: "
                    f"waiting for {step.what}{last_error}",
                    fix=fix,
                )
            if now >= next_note:
                say(f"  … waiting for {step.what} ({now - started:.0f} s)")
                next_note = now + every_s
            time.sleep(0.5)
        say(f"✓ {step.what} ({time.monotonic() - started:.1f} s)")


def default_storage_class_name(storage_classes: Sequence[dict[str, Any]]) -> str | None:
    """The name of the StorageClass marked as default, if any."""
    for item in storage_classes:
        annotations = (item.get("metadata") or {}).get("annotations") or {}
        if any(annotations.get(key) == "true" for key in DEFAULT_CLASS_ANNOTATIONS):
            return str(item["metadata"]["name"])
    return None


def readiness_steps(api_client: Any) -> list[Step]:
    """The conditions a lab needs, as steps for ``wait_in_turn``."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    storage = client.StorageV1Api(api_client)

    def node_ready() -> bool:
        for node in core.list_node(_request_timeout=5).items:
            for condition in node.status.conditions or []:
                if condition.type == "Ready" and condition.status == "True":
                    return True
        return False

    def service_account() -> bool:
        names = core.list_namespaced_service_account("default", _request_timeout=5).items
        return any(item.metadata.name == "default" for item in names)

    def dns_ready() -> bool:
        endpoints = core.read_namespaced_endpoints("kube-dns", "kube-system", _request_timeout=5)
        return any(subset.addresses for subset in endpoints.subsets or [])

    def default_class() -> bool:
        items = storage.list_storage_class(_request_timeout=5).items
        return (
            default_storage_class_name([api_client.sanitize_for_serialization(i) for i in items])
            is not None
        )

    return [
        Step("node Ready", node_ready),
        Step("default ServiceAccount exists", service_account),
        Step("cluster DNS Ready (kube-dns has a ready endpoint)", dns_ready),
        Step("a default StorageClass exists", default_class),
    ]
