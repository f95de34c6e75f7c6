"""Reading a namespace's objects for its map, through grading's read path.

Reads go through :class:`kklab.grading.fetching.Fetcher` (bounded requests, no
retries, kklab's probe pods left out), so they behave like a check's reads. A
kind the learner may not read (403) is skipped and named in the snapshot's
notes: a learner without cluster-wide rights still gets a map. Secrets and
ConfigMaps are cut down to their names, type and labels as they are read: the
map never holds a value (nor the ``last-applied-configuration`` annotation,
which repeats the values).

Example:
    >>> names_only({"kind": "Secret", "type": "Opaque", "data": {"password": "c2VjcmV0"},
    ...     "metadata": {"name": "db", "annotations": {"a": "b"}}})
    {'kind': 'Secret', 'type': 'Opaque', 'metadata': {'name': 'db'}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kklab.grading.fetching import Fetcher
from kklab.grading.results import CheckError
from kklab.grading.transport import ApiStatusError, Transport

NAMESPACED_KINDS: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("v1",), "Pod"),
    (("v1",), "Service"),
    (("v1",), "Endpoints"),
    (("v1",), "PersistentVolumeClaim"),
    (("v1",), "ConfigMap"),
    (("v1",), "Secret"),
    (("v1",), "ServiceAccount"),
    (("apps/v1",), "Deployment"),
    (("apps/v1",), "ReplicaSet"),
    (("apps/v1",), "StatefulSet"),
    (("apps/v1",), "DaemonSet"),
    (("batch/v1",), "Job"),
    (("batch/v1", "batch/v1beta1"), "CronJob"),
    (("networking.k8s.io/v1", "networking.k8s.io/v1beta1"), "Ingress"),
    (("networking.k8s.io/v1",), "NetworkPolicy"),
    (("rbac.authorization.k8s.io/v1",), "Role"),
    (("rbac.authorization.k8s.io/v1",), "RoleBinding"),
)
"""What a map reads in the namespace: the API versions to try (newest first) and the kind."""

NAMES_ONLY_KINDS: Final = frozenset({"Secret", "ConfigMap"})

LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"


@dataclass(frozen=True)
class Snapshot:
    """A namespace's objects as the map needs them, and what could not be read."""

    namespace: str
    """The namespace read."""

    objects: tuple[dict[str, Any], ...]
    """The objects (plain dicts; Secrets and ConfigMaps without their values)."""

    unread: tuple[str, ...] = ()
    """Kinds that could not be read (forbidden): objects of these kinds are ``unread``."""

    notes: tuple[str, ...] = ()
    """Why, in words, for the map's caption."""

    def to_json(self) -> str:
        """The snapshot as JSON, to record a state and draw it later without a cluster.

        Example:
            >>> text = Snapshot("lab-01", ({"kind": "Pod", "metadata": {"name": "a"}},)).to_json()
            >>> Snapshot.from_json(text).objects[0]["metadata"]["name"]
            'a'
        """
        document = {
            "namespace": self.namespace,
            "objects": list(self.objects),
            "unread": list(self.unread),
            "notes": list(self.notes),
        }
        return json.dumps(document, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        """A snapshot written by :meth:`to_json`."""
        document = json.loads(text)
        return cls(
            str(document["namespace"]),
            tuple(names_only(item) for item in document.get("objects", [])),
            tuple(str(kind) for kind in document.get("unread", [])),
            tuple(str(note) for note in document.get("notes", [])),
        )


def names_only(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` without what a map never shows: a Secret's or ConfigMap's values, and
    every object's ``managedFields`` and last-applied configuration."""
    metadata = dict(obj.get("metadata") or {})
    metadata.pop("managedFields", None)
    if obj.get("kind") in NAMES_ONLY_KINDS:
        kept = {
            key: metadata[key] for key in ("name", "labels", "ownerReferences") if key in metadata
        }
        trimmed = {key: obj[key] for key in ("apiVersion", "kind", "type") if key in obj}
        return {**trimmed, "metadata": kept}
    annotations = {
        key: value
        for key, value in (metadata.get("annotations") or {}).items()
        if key != LAST_APPLIED
    }
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    return {**obj, "metadata": metadata}


def _forbidden(kind: str, error: ApiStatusError) -> str:
    return f"{kind}s are left out: you may not read them here ({error.status})"


def read_namespace(fetcher: Fetcher | Transport, namespace: str) -> Snapshot:
    """Every object a map draws in ``namespace``, and the volumes and classes its claims name.

    A kind the cluster does not serve is skipped; one it refuses (401/403) is left
    out with a note. A cluster that does not answer raises ``ClusterError``.
    """
    reads = fetcher if isinstance(fetcher, Fetcher) else Fetcher(fetcher)
    objects: list[dict[str, Any]] = []
    unread: list[str] = []
    notes: list[str] = []
    for versions, kind in NAMESPACED_KINDS:
        for version in versions:
            try:
                items = reads.list(version, kind, namespace)
            except CheckError:
                continue  # not served in this version
            except ApiStatusError as error:
                if error.status not in (401, 403):
                    raise
                unread.append(kind)
                notes.append(_forbidden(kind, error))
                break
            objects += [names_only(item) for item in items]
            break
    objects += _cluster_objects(reads, objects, unread, notes)
    return Snapshot(namespace, tuple(objects), tuple(unread), tuple(notes))


def _cluster_objects(
    reads: Fetcher, objects: Sequence[Mapping[str, Any]], unread: list[str], notes: list[str]
) -> list[dict[str, Any]]:
    """The PersistentVolumes the claims are bound to, and the StorageClasses named."""
    found: list[dict[str, Any]] = []
    volumes = sorted(
        {
            str(obj["spec"]["volumeName"])
            for obj in objects
            if obj.get("kind") == "PersistentVolumeClaim"
            and (obj.get("spec") or {}).get("volumeName")
        }
    )
    found += _get_each(reads, "v1", "PersistentVolume", volumes, unread, notes)
    classes = sorted(
        {
            str(obj["spec"]["storageClassName"])
            for obj in [*objects, *found]
            if obj.get("kind") in ("PersistentVolumeClaim", "PersistentVolume")
            and (obj.get("spec") or {}).get("storageClassName")
        }
    )
    found += _get_each(reads, "storage.k8s.io/v1", "StorageClass", classes, unread, notes)
    return found


def _get_each(
    reads: Fetcher,
    version: str,
    kind: str,
    names: Sequence[str],
    unread: list[str],
    notes: list[str],
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name in names:
        try:
            obj = reads.get(version, kind, name, "")
        except ApiStatusError as error:
            if error.status not in (401, 403):
                raise
            unread.append(kind)
            notes.append(_forbidden(kind, error))
            return found
        except CheckError:
            return found
        if isinstance(obj, dict):
            found.append(names_only(obj))
    return found
