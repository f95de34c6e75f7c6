"""What a check gets while it runs: the lab namespace, reads, and a throw-away probe pod.

``python`` checks receive a :class:`CheckContext` too, so custom functions read
the cluster the same way built-in kinds do (plain dicts, cached per round).

Example:
    >>> def deployment_has_two_replicas(context: CheckContext) -> Outcome:
    ...     deployment = context.get("apps/v1", "Deployment", "web")
    ...     found = (deployment or {}).get("spec", {}).get("replicas")
    ...     return Outcome(passed=found == 2, message=f"replicas: {found}")
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final

from kklab.grading.fetching import PROBE_LABEL, Fetcher
from kklab.grading.functions import ClusterFunctions
from kklab.grading.matching import Mismatch, match
from kklab.grading.results import CheckError, Outcome
from kklab.grading.transport import Transport

PROBE_IMAGE: Final = "busybox:1.35"
PROBE_LIFETIME_S: Final = 600
"""A probe pod ends after this many seconds (``activeDeadlineSeconds``)."""

PROBE_MIN_LEFT_S: Final = 60
"""A running probe is reused only with at least this much lifetime left."""

__all__ = ["CheckContext", "Mismatch", "Outcome", "ProbePod", "match", "pick_pod"]


class ProbePod:
    """A busybox pod kklab runs in the lab namespace to test reachability from inside.

    Starting a pod takes a second or two, so one probe serves every grading run
    for a while: :meth:`ensure` reuses a running probe with enough lifetime
    left, and deletes probes that have ended. ``activeDeadlineSeconds`` caps
    each probe's life, so a forgotten one never lingers as a running pod.
    """

    def __init__(self, transport: Transport, namespace: str, request_timeout_s: float) -> None:
        self.transport = transport
        self.namespace = namespace
        self.request_timeout_s = request_timeout_s
        self.name = f"kklab-probe-{secrets.token_hex(3)}"
        self.created = False
        self.running = False

    @property
    def _pods_path(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/pods"

    def manifest(self) -> dict[str, Any]:
        """The pod: busybox sleeping, never restarted, capped in lifetime."""
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": self.name,
                "labels": {PROBE_LABEL: "probe", "app.kubernetes.io/managed-by": "kklab"},
            },
            "spec": {
                "restartPolicy": "Never",
                "terminationGracePeriodSeconds": 0,
                "activeDeadlineSeconds": PROBE_LIFETIME_S,
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "containers": [
                    {
                        "name": "probe",
                        "image": PROBE_IMAGE,
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["sleep", str(PROBE_LIFETIME_S)],
                    }
                ],
            },
        }

    def _adopt(self) -> None:
        """Reuse a running probe with lifetime left; delete probes that have ended."""
        listing = self.transport.request(
            "GET",
            self._pods_path,
            query=[("labelSelector", f"{PROBE_LABEL}=probe")],
            timeout_s=self.request_timeout_s,
        )
        items = listing.get("items", []) if isinstance(listing, dict) else []
        for pod in items:
            metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
            name = str(metadata.get("name", ""))
            if metadata.get("deletionTimestamp"):
                continue
            if status.get("phase") in ("Succeeded", "Failed"):
                self._delete(name)
            elif (
                not self.created
                and status.get("phase") == "Running"
                and _lifetime_left(status.get("startTime")) > PROBE_MIN_LEFT_S
            ):
                self.name, self.created, self.running = name, True, True

    def ensure(self, deadline: float) -> str:
        """Find or create a probe and wait until it runs; return its name."""
        if not self.created:
            self._adopt()
        if not self.created:
            self.transport.request(
                "POST", self._pods_path, body=self.manifest(), timeout_s=self.request_timeout_s
            )
            self.created = True
        waiting = "it was not scheduled yet"
        while not self.running:
            pod = self.transport.request(
                "GET", f"{self._pods_path}/{self.name}", timeout_s=self.request_timeout_s
            )
            status = pod.get("status", {}) if isinstance(pod, dict) else {}
            if status.get("phase") == "Running":
                self.running = True
                break
            for container in status.get("containerStatuses") or []:
                reason = (container.get("state", {}).get("waiting") or {}).get("reason")
                waiting = f"its container is waiting: {reason}" if reason else waiting
            if time.monotonic() >= deadline:
                raise CheckError(
                    f"kklab's probe pod ({PROBE_IMAGE}) did not start in time ({waiting})",
                    fix=f"make sure the image {PROBE_IMAGE} is available in the cluster",
                )
            time.sleep(0.2)
        return self.name

    def _delete(self, name: str) -> None:
        # The API may be gone: activeDeadlineSeconds ends the pod anyway.
        with contextlib.suppress(Exception):
            self.transport.request(
                "DELETE",
                f"{self._pods_path}/{name}",
                query=[("gracePeriodSeconds", "0")],
                timeout_s=self.request_timeout_s,
            )

    def delete(self) -> None:
        """Delete the probe if this run created or adopted one (problems are ignored)."""
        if self.created:
            self._delete(self.name)
        self.created = self.running = False


def _lifetime_left(start_time: Any) -> float:
    """Seconds a probe started at ``start_time`` (RFC 3339) has left; 0 if unknown.

    Example:
        >>> _lifetime_left("not a time"), _lifetime_left(None)
        (0.0, 0.0)
    """
    try:
        started = datetime.fromisoformat(str(start_time).replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    age = (datetime.now(timezone.utc) - started).total_seconds()
    return max(0.0, PROBE_LIFETIME_S - age)


@dataclass
class CheckContext:
    """Passed to every check, including custom ``python`` checks."""

    namespace: str
    """The lab namespace being graded."""

    fetcher: Fetcher
    """Reads objects as dicts (cached for one polling round)."""

    deadline: float
    """``time.monotonic()`` value by which this check must have given its answer."""

    probe: ProbePod | None = field(default=None, repr=False)
    """The throw-away pod used by ``reach`` checks."""

    params: Mapping[str, Any] = field(default_factory=dict)
    """The learner's variant: the lab's parameter values (e.g. ``params["port"]``)."""

    @property
    def transport(self) -> Transport:
        """The raw transport (requests and exec)."""
        return self.fetcher.transport

    @property
    def functions(self) -> ClusterFunctions:
        """JMESPath functions for expressions, ``k8s_get``/``k8s_list`` reading this round."""
        return ClusterFunctions(self.fetcher, self.namespace)

    def remaining_s(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        """One object as a dict, or None; in the lab namespace unless told otherwise."""
        obj = self.fetcher.get(api_version, kind, name, namespace or self.namespace)
        return obj if isinstance(obj, dict) else None

    def list(
        self, api_version: str, kind: str, *, label_selector: str = "", namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """Objects of a kind in the lab namespace (or ``namespace``)."""
        return self.fetcher.list(
            api_version, kind, namespace or self.namespace, label_selector=label_selector
        )


def pick_pod(
    context: CheckContext, name: str | None, selector: Mapping[str, str]
) -> tuple[dict[str, Any] | None, str]:
    """The pod a check reads: by ``name``, else the first running pod ``selector``
    selects (else the first selected); and how to name what was wanted."""
    if name:
        return context.get("v1", "Pod", name), f'pod "{name}"'
    labels = ",".join(f"{key}={value}" for key, value in sorted(selector.items()))
    pods = context.list("v1", "Pod", label_selector=labels)
    running = [pod for pod in pods if (pod.get("status") or {}).get("phase") == "Running"]
    chosen = (running or pods)[0] if pods else None
    return chosen, f"a pod labelled {labels}"
