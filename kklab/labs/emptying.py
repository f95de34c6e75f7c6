"""Empty a lab's namespace without deleting it, so ``lab reset`` takes seconds.

Deleting a namespace is slow: the namespace controller waits before it starts,
then deletes kind by kind. Deleting what is *in* the namespace is fast, and the
namespace (with its default ServiceAccount, token and root CA ConfigMap, which
pods need before they are admitted) is ready for the next start at once.

What stays: the ServiceAccount ``default``, its token Secret, the ConfigMap
``kube-root-ca.crt``. Everything else namespaced goes, kind by kind, found by
discovery (so a lab's CronJobs, quotas or NetworkPolicies go too): controllers
first (so they recreate nothing), then pods without a grace period, then the
rest. Only the lab's own namespace, labelled by kklab, is ever emptied.

Example:
    >>> [kind for kind, _f in deletion_order(["Service", "Pod", "Deployment", "Secret"])]
    ['Deployment', 'Pod', 'Secret', 'Service']
    >>> kept_by("ServiceAccount")
    'metadata.name!=default'
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kklab.errors import KklabError

# Objects that make or own pods: deleted first, so nothing is recreated.
CONTROLLERS = (
    "CronJob",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
)
# Kinds that are copies or records of others: deleting the original is enough.
SKIPPED_GROUPS = ("events.k8s.io", "metrics.k8s.io")

# Field selectors keeping what the namespace needs to accept pods.
_KEPT = {
    "ServiceAccount": "metadata.name!=default",
    "ConfigMap": "metadata.name!=kube-root-ca.crt",
    "Secret": "type!=kubernetes.io/service-account-token",
}


def kept_by(kind: str) -> str | None:
    """The field selector that spares what a fresh namespace has of ``kind`` (or None)."""
    return _KEPT.get(kind)


def deletion_order(kinds: Iterable[str]) -> list[tuple[str, int]]:
    """Kinds in the order to delete them: controllers, then pods, then the rest.

    >>> deletion_order(["ConfigMap", "Job", "Pod"])
    [('Job', 0), ('Pod', 1), ('ConfigMap', 2)]
    """

    def rank(kind: str) -> int:
        if kind in CONTROLLERS:
            return 0
        return 1 if kind == "Pod" else 2

    return sorted(((kind, rank(kind)) for kind in kinds), key=lambda pair: (pair[1], pair[0]))


@dataclass(frozen=True)
class Emptied:
    """What emptying found and deleted."""

    deleted: int
    """Objects deleted (events not counted)."""
    kinds: tuple[str, ...]


def _namespaced_resources(dynamic: Any) -> dict[str, list[Any]]:
    """Each namespaced kind that can be listed and deleted, by kind (all its API versions)."""
    found: dict[str, list[Any]] = {}
    for resource in dynamic.resources.search():
        verbs = getattr(resource, "verbs", None) or []
        name = getattr(resource, "name", "") or ""
        if not getattr(resource, "namespaced", False) or "/" in name:
            continue
        if "list" not in verbs or "delete" not in verbs or resource.kind.endswith("List"):
            continue
        if getattr(resource, "group", "") in SKIPPED_GROUPS:
            continue
        found.setdefault(resource.kind, []).append(resource)
    return found


def _delete_all(resource: Any, namespace: str) -> int:
    """Delete every object of one kind in the namespace but the kept ones; how many."""
    from kubernetes.dynamic.exceptions import DynamicApiError

    spare = kept_by(resource.kind)
    selector = spare or f"metadata.namespace={namespace}"
    try:
        items = resource.get(namespace=namespace, field_selector=spare).items
    except DynamicApiError:
        return 0
    if not items:
        return 0
    body = {"gracePeriodSeconds": 0, "propagationPolicy": "Background"}
    try:
        if "deletecollection" in (resource.verbs or []):
            resource.delete(namespace=namespace, field_selector=selector, body=body)
        else:  # e.g. Services before Kubernetes 1.23: one by one
            for item in items:
                resource.delete(name=item.metadata.name, namespace=namespace, body=body)
    except DynamicApiError as err:
        if err.status != 404:
            raise KklabError(
                f"cannot delete the {resource.kind} objects in {namespace}: {err.reason}",
                fix="run `kklab lab reset --all` to delete the whole namespace",
            ) from err
    return len(items)


def _remaining(resources: dict[str, list[Any]], namespace: str) -> list[Any]:
    """Objects still there, of the kinds that take time to go (pods, claims)."""
    left = []
    for kind in ("Pod", "PersistentVolumeClaim"):
        for resource in resources.get(kind, [])[:1]:
            left.extend(resource.get(namespace=namespace).items)
    return left


def _release_finalizers(resources: dict[str, list[Any]], objects: list[Any]) -> None:
    """Drop finalizers of objects already being deleted in the lab's own namespace."""
    for item in objects:
        if not item.metadata.deletionTimestamp or not item.metadata.finalizers:
            continue
        for resource in resources.get(item.kind, [])[:1]:
            resource.patch(
                name=item.metadata.name,
                namespace=item.metadata.namespace,
                body={"metadata": {"finalizers": None}},
                content_type="application/merge-patch+json",
            )


def empty_namespace(dynamic: Any, namespace: str, timeout_s: float = 30.0) -> Emptied:
    """Delete everything in ``namespace`` but what a fresh one has; wait until it is gone.

    Pods and claims are waited for (a claim goes once no pod uses it). If a
    learner's finalizer holds one after half the timeout, kklab removes the
    finalizer: the namespace is kklab's and the object is being deleted anyway.
    """
    resources = _namespaced_resources(dynamic)
    deleted = 0
    for kind, _rank in deletion_order(resources):
        for resource in resources[kind]:
            count = _delete_all(resource, namespace)
            deleted += 0 if kind == "Event" else count
    started = time.monotonic()
    released = False
    while left := _remaining(resources, namespace):
        waited = time.monotonic() - started
        if waited > timeout_s / 2 and not released:
            _release_finalizers(resources, left)
            released = True
        if waited > timeout_s:
            names = ", ".join(f"{o.kind.lower()}/{o.metadata.name}" for o in left[:5])
            raise KklabError(
                f"timed out after {timeout_s:.0f} s waiting for {names} to go",
                fix="run `kklab lab reset --all` to delete the whole namespace",
            )
        time.sleep(0.1)
    return Emptied(deleted, tuple(sorted(resources)))
