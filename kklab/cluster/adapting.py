"""Applying lab manifests, adapted to what the server serves.

Lab manifests are written for current Kubernetes. On a server that does not
serve an object's API version (a 1.20 cluster has no ``batch/v1`` CronJob and
no ``policy/v1`` PodDisruptionBudget), ``apply_manifest`` converts the object to
the older version the server does serve and says so once per kind and process.

The conversions, and what differs:

* CronJob ``batch/v1`` -> ``batch/v1beta1``: the same fields (schedule,
  jobTemplate, concurrencyPolicy, suspend, history limits,
  startingDeadlineSeconds); only ``spec.timeZone`` (1.25+) has no equivalent,
  and is refused rather than silently dropped.
* PodDisruptionBudget ``policy/v1`` -> ``policy/v1beta1``: the same fields,
  but an *empty* selector (``selector: {}``) means "every pod in the
  namespace" in v1 and "no pod" in v1beta1. kklab keeps the v1 meaning by
  writing it as ``matchExpressions: [{key: kklab.io/no-such-label, operator:
  DoesNotExist}]``, which every pod matches. ``unhealthyPodEvictionPolicy``
  (1.26+) has no equivalent and is refused.

Objects are applied with server-side apply (field manager ``kklab``, forcing
conflicts): it creates what is missing and updates what exists, like
``kubectl apply --server-side``, and it works for pods, whose specs cannot be
replaced wholesale.

Example:
    >>> converted, note = convert({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
    ...     "metadata": {"name": "web"}, "spec": {"minAvailable": 1, "selector": {}}})
    >>> converted["apiVersion"], converted["spec"]["selector"]["matchExpressions"][0]["operator"]
    ('policy/v1beta1', 'DoesNotExist')
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from kklab.cluster.existing import owned_labels
from kklab.errors import KklabError
from kklab.shell import say

FIELD_MANAGER = "kklab"
MATCH_ALL_KEY = "kklab.io/no-such-label"
RETRY_FOR_S = 20.0


class ManifestError(KklabError):
    """A manifest kklab cannot apply: unknown kind, wrong namespace, unconvertible field."""


@dataclass(frozen=True)
class AppliedObject:
    """One object ``apply_manifest`` sent to the server."""

    api_version: str
    """The version it was applied as (after any conversion)."""
    kind: str
    """Its kind, e.g. ``CronJob``."""
    name: str
    """Its name."""
    namespace: str | None
    """Its namespace; None for cluster-scoped objects."""
    action: str
    """``created``, ``configured``, ``unchanged`` or ``kept`` (there already, left alone)."""
    converted_from: str | None = None
    """The manifest's apiVersion when kklab converted it, else None."""

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        note = (
            f" (as {self.api_version}, from {self.converted_from})" if self.converted_from else ""
        )
        return f"{self.kind.lower()}/{where}{self.name} {self.action}{note}"


# --- conversions (pure) -------------------------------------------------------------


def _cronjob_to_v1beta1(obj: dict[str, Any]) -> tuple[dict[str, Any], str]:
    spec = obj.get("spec") or {}
    if "timeZone" in spec:
        raise ManifestError(
            f"CronJob {obj['metadata'].get('name')} sets spec.timeZone, which this server's "
            "batch/v1beta1 CronJob does not have (it arrived in Kubernetes 1.25)",
            fix="remove timeZone and write the schedule in the cluster's time zone (UTC)",
        )
    converted = {**obj, "apiVersion": "batch/v1beta1"}
    return converted, "same fields"


def _pdb_to_v1beta1(obj: dict[str, Any]) -> tuple[dict[str, Any], str]:
    spec = dict(obj.get("spec") or {})
    if "unhealthyPodEvictionPolicy" in spec:
        raise ManifestError(
            f"PodDisruptionBudget {obj['metadata'].get('name')} sets "
            "spec.unhealthyPodEvictionPolicy, which policy/v1beta1 does not have "
            "(it arrived in Kubernetes 1.26)",
            fix="remove unhealthyPodEvictionPolicy for this cluster",
        )
    detail = "same fields"
    selector = spec.get("selector")
    if (
        selector is not None
        and not selector.get("matchLabels")
        and not selector.get("matchExpressions")
    ):
        # v1: an empty selector selects every pod; v1beta1: none. Keep v1's meaning.
        spec["selector"] = {
            "matchExpressions": [{"key": MATCH_ALL_KEY, "operator": "DoesNotExist"}]
        }
        detail = (
            "its empty selector (every pod in v1, none in v1beta1) became a selector "
            "every pod matches"
        )
    return {**obj, "apiVersion": "policy/v1beta1", "spec": spec}, detail


Converter = Callable[[dict[str, Any]], tuple[dict[str, Any], str]]

CONVERSIONS: dict[tuple[str, str], tuple[str, Converter]] = {
    ("batch/v1", "CronJob"): ("batch/v1beta1", _cronjob_to_v1beta1),
    ("policy/v1", "PodDisruptionBudget"): ("policy/v1beta1", _pdb_to_v1beta1),
}
"""(apiVersion, kind) -> (the older version to try, the converter)."""


def convert(obj: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The object in the older served version, and a note on what changed."""
    key = (str(obj.get("apiVersion")), str(obj.get("kind")))
    if key not in CONVERSIONS:
        raise ManifestError(f"kklab cannot convert {key[1]} {key[0]} to an older version")
    _, converter = CONVERSIONS[key]
    return converter(copy.deepcopy(dict(obj)))


_noted: set[tuple[str, str]] = set()


def _note_once(original: str, kind: str, older: str, detail: str) -> None:
    if (original, kind) in _noted:
        return
    _noted.add((original, kind))
    say(
        f"note: this cluster does not serve {kind} {original}; kklab applies it as "
        f"{older} ({detail})"
    )


# --- reading manifests (pure) -----------------------------------------------------


def objects_of(manifest: str | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The objects in YAML text (several documents, ``kind: List``) or a list of dicts."""
    if isinstance(manifest, str):
        try:
            documents = list(yaml.safe_load_all(manifest))
        except yaml.YAMLError as err:
            raise ManifestError(f"the manifest is not valid YAML: {err}") from err
    else:
        documents = [dict(item) for item in manifest]
    objects: list[dict[str, Any]] = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ManifestError(f"document {number} of the manifest is not an object")
        if document.get("kind") == "List" or (
            str(document.get("kind", "")).endswith("List") and "items" in document
        ):
            objects.extend(objects_of(document.get("items") or []))
            continue
        for field in ("apiVersion", "kind"):
            if not document.get(field):
                raise ManifestError(f"document {number} of the manifest has no {field}")
        if not (document.get("metadata") or {}).get("name"):
            raise ManifestError(f"the {document['kind']} in document {number} has no metadata.name")
        objects.append(document)
    return objects


# --- applying --------------------------------------------------------------------


def _resource(dynamic: Any, obj: dict[str, Any]) -> tuple[Any, dict[str, Any], str | None]:
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    api_version, kind = obj["apiVersion"], obj["kind"]
    try:
        return dynamic.resources.get(api_version=api_version, kind=kind), obj, None
    except ResourceNotFoundError:
        pass
    if (api_version, kind) in CONVERSIONS:
        older = CONVERSIONS[(api_version, kind)][0]
        try:
            resource = dynamic.resources.get(api_version=older, kind=kind)
        except ResourceNotFoundError:
            pass
        else:
            converted, detail = convert(obj)
            _note_once(api_version, kind, older, detail)
            return resource, converted, api_version
    raise ManifestError(
        f"this cluster does not serve {kind} in {api_version} ({obj['metadata']['name']})",
        fix="check the kind and apiVersion spelling; `kubectl api-resources` lists what "
        "the cluster serves",
    )


# Mappings whose values are Kubernetes quantities (resources, capacity, quota, limit ranges).
QUANTITY_MAPS = frozenset(
    (
        "requests",
        "limits",
        "capacity",
        "hard",
        "max",
        "min",
        "default",
        "defaultRequest",
        "overhead",
    )
)


def quantities_as_strings(value: Any, key: str = "") -> Any:
    """``value`` with numbers written where a quantity goes turned into strings.

    ``kubectl apply`` accepts ``storage: 1073741824``; a 1.20 server's
    server-side apply refuses it ("failed to create typed patch object"), so
    kklab sends the quantity as the string the API stores anyway.

    >>> quantities_as_strings({"resources": {"requests": {"storage": 1073741824, "cpu": 0.5}}})
    {'resources': {'requests': {'storage': '1073741824', 'cpu': '0.5'}}}
    >>> quantities_as_strings({"spec": {"replicas": 3, "emptyDir": {"sizeLimit": 64}}})
    {'spec': {'replicas': 3, 'emptyDir': {'sizeLimit': '64'}}}
    """
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, dict):
        inside = key in QUANTITY_MAPS
        return {
            k: (
                str(v)
                if inside and isinstance(v, (int, float)) and not isinstance(v, bool)
                else quantities_as_strings(v, k)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [quantities_as_strings(item, key) for item in value]
    if number and key == "sizeLimit":
        return str(value)
    return value


def apply_manifest(
    api_client: Any,
    manifest: str | Iterable[Mapping[str, Any]],
    namespace: str,
    *,
    lab: str | None = None,
    keep_existing: bool = False,
) -> list[AppliedObject]:
    """Create or update every object of ``manifest`` in ``namespace``; return what was done.

    Namespaced objects without a namespace go to ``namespace``; one naming another
    namespace is refused (kklab works only in its lab's namespace). Cluster-scoped
    objects are labelled as kklab's (and ``lab``'s), so a reset can find them.
    Nothing is applied when any object is refused. With ``keep_existing``, an object
    that exists already is left as it is (``kept``): a lab started again keeps the
    learner's changes to its starting objects.
    """
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import NotFoundError

    dynamic = DynamicClient(api_client)
    planned = []
    for obj in objects_of(manifest):
        resource, body, converted_from = _resource(dynamic, obj)
        body = quantities_as_strings(copy.deepcopy(body))
        metadata = body.setdefault("metadata", {})
        target: str | None = None
        if resource.namespaced:
            target = metadata.get("namespace") or namespace
            if target != namespace:
                raise ManifestError(
                    f"{body['kind']} {metadata['name']} names namespace {target}, outside "
                    f"kklab's namespace {namespace}",
                    fix="remove metadata.namespace from the manifest",
                )
            metadata["namespace"] = target
        else:
            metadata.pop("namespace", None)
            metadata["labels"] = {**(metadata.get("labels") or {}), **owned_labels(lab)}
        planned.append((resource, body, target, converted_from))
    applied = []
    for resource, body, target, converted_from in planned:
        name = body["metadata"]["name"]
        try:
            before: dict[str, Any] | None = dynamic.get(
                resource, name=name, namespace=target
            ).to_dict()
        except NotFoundError:
            before = None
        if before is not None and keep_existing:
            applied.append(
                AppliedObject(body["apiVersion"], body["kind"], name, target, "kept", None)
            )
            continue
        after = _apply_one(dynamic, resource, body, target).to_dict()
        applied_action = _action(body, before, after)
        applied.append(
            AppliedObject(
                body["apiVersion"], body["kind"], name, target, applied_action, converted_from
            )
        )
    return applied


def _action(body: dict[str, Any], before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """``created``, ``unchanged`` or ``configured``, like ``kubectl apply`` says.

    Unchanged means the live object already held every value of the manifest
    and kklab owns the same fields as before. (Comparing resourceVersions
    would not do: controllers and the kubelet update objects all the time.)
    """
    if before is None:
        return "created"
    if _holds(before, body) and _owned_fields(before) == _owned_fields(after):
        return "unchanged"
    return "configured"


def _holds(live: Any, wanted: Any) -> bool:
    """True when ``live`` has every value of ``wanted`` (lists item by item)."""
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(
            key in live and _holds(live[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(live, list)
            and len(live) == len(wanted)
            and all(_holds(have, want) for have, want in zip(live, wanted, strict=True))
        )
    return bool(live == wanted)


def _owned_fields(obj: dict[str, Any]) -> list[Any]:
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    return [
        entry.get("fieldsV1")
        for entry in entries
        if entry.get("manager") == FIELD_MANAGER and entry.get("operation") == "Apply"
    ]


def _apply_one(dynamic: Any, resource: Any, body: dict[str, Any], namespace: str | None) -> Any:
    """Server-side apply one object, retrying while the server asks to retry.

    A 1.20 server answers 500 "No API token found ... retry after" to pods
    created just after their namespace (its ServiceAccount token is not made
    yet), and 429 when it is busy; both say when to try again.
    """
    from kubernetes.dynamic.exceptions import DynamicApiError

    deadline = time.monotonic() + RETRY_FOR_S
    while True:
        try:
            return dynamic.server_side_apply(
                resource,
                body=body,
                namespace=namespace,
                field_manager=FIELD_MANAGER,
                force_conflicts=True,
            )
        except DynamicApiError as err:
            status = _status(err)
            retry_after = (status.get("details") or {}).get("retryAfterSeconds")
            if retry_after is not None and time.monotonic() < deadline:
                time.sleep(min(float(retry_after), 1.0))
                continue
            raise ManifestError(
                f"the server refused {body['kind']} {body['metadata']['name']}: "
                f"{status.get('message') or getattr(err, 'reason', err)}",
                fix="correct the manifest and apply it again",
            ) from err


def _status(err: Any) -> dict[str, Any]:
    try:
        loaded = json.loads(err.body)
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}
