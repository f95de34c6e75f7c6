"""Fetch objects as plain dicts for any kind the cluster serves.

A :class:`Fetcher` resolves ``apiVersion`` + ``kind`` to a REST path through API
discovery (one request per group-version, cached), then gets or lists objects.
Reads are cached for one polling round, so checks looking at the same objects
cost one request. Objects labelled as kklab's own probe pods are left out of
lists: they never make a learner's check pass.

Example:
    >>> resource = Resource("apps/v1", "Deployment", "deployments", namespaced=True)
    >>> resource.path("lab-01", "web")
    '/apis/apps/v1/namespaces/lab-01/deployments/web'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from kklab.grading.results import CheckError
from kklab.grading.transport import ApiStatusError, Transport

PROBE_LABEL: Final = "kklab.dev/role"
"""Label on pods kklab starts itself (value ``probe``); excluded from checks."""

DEFAULT_REQUEST_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True)
class Resource:
    """Where a kind lives in the API."""

    api_version: str
    """``v1`` or ``group/version``."""

    kind: str
    """The kind, e.g. ``Deployment``."""

    plural: str
    """The resource name in URLs, e.g. ``deployments``."""

    namespaced: bool
    """Whether objects of this kind live in a namespace."""

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """REST path of the collection, or of one object when ``name`` is given.

        Example:
            >>> Resource("v1", "PersistentVolume", "persistentvolumes", False).path("x", "pv1")
            '/api/v1/persistentvolumes/pv1'
        """
        root = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            root += f"/namespaces/{quote(namespace, safe='')}"
        root += f"/{self.plural}"
        return f"{root}/{quote(name, safe='')}" if name else root


def describe_object(obj: Mapping[str, Any]) -> str:
    """Identity line of an object: apiVersion, kind, namespace/name.

    Example:
        >>> describe_object({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        ...     "metadata": {"name": "data", "namespace": "lab-07-storage"}})
        'v1 PersistentVolumeClaim lab-07-storage/data'
    """
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    name = str(metadata.get("name", "?"))
    namespace = metadata.get("namespace")
    where = f"{namespace}/{name}" if namespace else name
    return f"{obj.get('apiVersion', '?')} {obj.get('kind', '?')} {where}"


class Fetcher:
    """Reads objects through a transport, with discovery and a per-round cache."""

    def __init__(
        self, transport: Transport, *, request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    ) -> None:
        self.transport = transport
        self.request_timeout_s = request_timeout_s
        self._discovered: dict[str, dict[str, Resource]] = {}
        self._round: dict[tuple[str, ...], Any] = {}

    def new_round(self) -> None:
        """Forget cached reads (not discovery) so the next round sees fresh state."""
        self._round.clear()

    def get_json(self, path: str, query: tuple[tuple[str, str], ...] = ()) -> Any:
        """GET a path (cached for the round); 404 gives None."""
        key = ("GET", path, *(f"{k}={v}" for k, v in query))
        if key not in self._round:
            try:
                self._round[key] = self.transport.request(
                    "GET", path, query=query, timeout_s=self.request_timeout_s
                )
            except ApiStatusError as error:
                if not error.not_found:
                    raise
                self._round[key] = None
        return self._round[key]

    def resource(self, api_version: str, kind: str) -> Resource:
        """Resolve a kind through discovery; CheckError when the cluster does not serve it."""
        if api_version not in self._discovered:
            root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                listing = self.transport.request("GET", root, timeout_s=self.request_timeout_s)
            except ApiStatusError as error:
                if not error.not_found:
                    raise
                listing = None
            resources = listing.get("resources", []) if isinstance(listing, Mapping) else []
            self._discovered[api_version] = {
                str(item["kind"]): Resource(
                    api_version, str(item["kind"]), str(item["name"]), bool(item.get("namespaced"))
                )
                for item in resources
                if isinstance(item, Mapping) and "/" not in str(item.get("name", "/"))
            }
        found = self._discovered[api_version].get(kind)
        if found is None:
            raise CheckError(
                f"this cluster does not serve {kind} in API version {api_version}",
                fix="check apiVersion and kind in the grader (kubectl api-resources lists them)",
            )
        return found

    def get(self, api_version: str, kind: str, name: str, namespace: str) -> Any:
        """One object as a dict, or None if it does not exist."""
        resource = self.resource(api_version, kind)
        obj = self.get_json(resource.path(namespace, name))
        if isinstance(obj, dict):
            obj.setdefault("apiVersion", api_version)
            obj.setdefault("kind", kind)
        return obj

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str,
        *,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[dict[str, Any]]:
        """Objects of a kind (in ``namespace`` when namespaced), kklab's probe pods excluded."""
        resource = self.resource(api_version, kind)
        query: list[tuple[str, str]] = []
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        listing = self.get_json(resource.path(namespace), tuple(query))
        items = listing.get("items", []) if isinstance(listing, Mapping) else []
        result = []
        for item in items:
            if not isinstance(item, dict):
                continue
            labels = (item.get("metadata") or {}).get("labels") or {}
            if isinstance(labels, Mapping) and labels.get(PROBE_LABEL) == "probe":
                continue
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
            result.append(item)
        return result

    def pod_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        previous: bool = False,
        lines: int = 5,
        limit_bytes: int = 2048,
    ) -> str:
        """The last ``lines`` of a container's log (bounded), or an empty string."""
        path = Resource("v1", "Pod", "pods", True).path(namespace, pod) + "/log"
        query = [
            ("container", container),
            ("tailLines", str(lines)),
            ("limitBytes", str(limit_bytes)),
        ]
        if previous:
            query.append(("previous", "true"))
        try:
            text = self.transport.request(
                "GET", path, query=query, timeout_s=self.request_timeout_s, text=True
            )
        except ApiStatusError:
            return ""
        return str(text or "")
