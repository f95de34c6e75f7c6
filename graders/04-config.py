"""Custom checks of lab 04-config: where a pod's variables come from (any correct form of
``env`` and ``envFrom``), and files that must hold a Secret's value, compared without
ever showing the value."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from kklab.checks import (
    CheckContext,
    Mismatch,
    Outcome,
    container_of,
    dig,
    final_when_quiet,
    final_when_steady,
)

Obj = Mapping[str, Any]

SETTINGS = "shop-settings"
SETTINGS_KEYS = ("CURRENCY", "PAGE_SIZE")


def variable_source(container: Obj, name: str, config_map: str) -> str | None:
    """Where the variable ``name`` of a container comes from, when it is not the
    ConfigMap ``config_map`` (None when it is): ``env`` wins over ``envFrom``, as in
    the kubelet.

    Example:
        >>> variable_source({"envFrom": [{"configMapRef": {"name": "s"}}]}, "A", "s") is None
        True
        >>> variable_source({"env": [{"name": "A", "value": "1"}]}, "A", "s")
        'a value written in the pod'
        >>> prefixed = {"envFrom": [{"prefix": "X_", "configMapRef": {"name": "s"}}]}
        >>> variable_source(prefixed, "A", "s")
        'nowhere'
    """
    for entry in container.get("env") or []:
        if entry.get("name") != name:
            continue
        reference = dig(entry, "valueFrom", "configMapKeyRef")
        if isinstance(reference, Mapping) and reference.get("name") == config_map:
            return None
        if "value" in entry:
            return "a value written in the pod"
        return "another source"
    for entry in container.get("envFrom") or []:
        if dig(entry, "configMapRef", "name") == config_map and not entry.get("prefix"):
            return None
    return "nowhere"


@final_when_quiet
def catalog_reads_shop_settings(context: CheckContext) -> Outcome:
    """Exercise 1: CURRENCY and PAGE_SIZE of catalog come from shop-settings."""
    subject = f"v1 Pod {context.namespace}/catalog"
    pod = context.get("v1", "Pod", "catalog")
    if pod is None:
        return Outcome(False, 'There is no pod "catalog" yet.', subject)
    container = container_of(pod.get("spec") or {}, "catalog")
    where = f"spec.containers[{container.get('name')}]"
    mismatches = tuple(
        Mismatch(f"{where} variable {name}", f"from ConfigMap {SETTINGS}", found, "differs")
        for name in SETTINGS_KEYS
        if (found := variable_source(container, name, SETTINGS)) is not None
    )
    if not mismatches:
        return Outcome(True, f"CURRENCY and PAGE_SIZE come from {SETTINGS}.", subject)
    written = any(m.found == "a value written in the pod" for m in mismatches)
    return Outcome(
        False,
        f"The catalog does not take every setting from the ConfigMap {SETTINGS}.",
        subject,
        mismatches=mismatches,
        why=(
            "a value written in the pod is a copy: change the ConfigMap and this pod never "
            "hears of it. valueFrom.configMapKeyRef or envFrom keep the ConfigMap the one "
            "place to change."
            if written
            else "envFrom names each variable after its key (plus the prefix, if any): "
            "the program finds only variables spelt exactly CURRENCY and PAGE_SIZE."
        ),
        subject_object=pod,
    )


def _secret_value(context: CheckContext, name: str, key: str) -> bytes | None:
    encoded = dig(context.get("v1", "Secret", name), "data", key)
    if not isinstance(encoded, str):
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _file_holds_secret(
    context: CheckContext, pod_name: str, path: str, secret: str, key: str
) -> tuple[Outcome | None, Obj | None]:
    """A failure when the file at ``path`` in the pod's first container is not the
    Secret's value (compared here, never shown); None and the pod when it is."""
    subject = f"v1 Pod {context.namespace}/{pod_name}"
    pod = context.get("v1", "Pod", pod_name)
    if pod is None:
        return Outcome(False, f'There is no pod "{pod_name}" yet.', subject), None
    phase = dig(pod, "status", "phase")
    if phase != "Running":
        return Outcome(False, f'The pod "{pod_name}" is {phase}, not Running.', subject), pod
    value = _secret_value(context, secret, key)
    if value is None:
        return Outcome(False, f'The Secret "{secret}" has no key "{key}".', subject), pod
    container = str(container_of(pod.get("spec") or {}, pod_name).get("name"))
    output = context.transport.exec(context.namespace, pod_name, container, ["cat", path], 8.0)
    if output.exit_code != 0:
        said = (output.stderr or output.failure).strip()
        return Outcome(
            False, f"{path} cannot be read in container {container!r}: {said}", subject
        ), pod
    if output.stdout.strip() != value.decode("utf-8", "replace").strip():
        return Outcome(
            False,
            f'{path} does not hold the {key} of the Secret "{secret}" (its content is not shown).',
            subject,
            why=f'mount the key "{key}" of the Secret "{secret}" there, not a copy of its value.',
            subject_object=pod,
        ), pod
    return None, pod


def mounts_secret(pod: Obj, secret: str) -> bool:
    """Whether a volume of the pod comes from ``secret`` (a secret or a projected volume).

    Example:
        >>> mounts_secret({"spec": {"volumes": [{"secret": {"secretName": "s"}}]}}, "s")
        True
        >>> projected = {"projected": {"sources": [{"secret": {"name": "s"}}]}}
        >>> mounts_secret({"spec": {"volumes": [projected]}}, "s")
        True
        >>> mounts_secret({"spec": {"volumes": [{"configMap": {"name": "s"}}]}}, "s")
        False
    """
    for volume in dig(pod, "spec", "volumes") or []:
        if dig(volume, "secret", "secretName") == secret:
            return True
        sources = dig(volume, "projected", "sources") or []
        if any(dig(source, "secret", "name") == secret for source in sources):
            return True
    return False


@final_when_steady
def password_file_is_private(context: CheckContext) -> Outcome:
    """Exercise 4: /etc/db/password is the Secret's password, with mode 0400."""
    failure, pod = _file_holds_secret(
        context, "orders-db", "/etc/db/password", "db-credentials", "password"
    )
    if failure is not None:
        return failure
    subject = f"v1 Pod {context.namespace}/orders-db"
    if not mounts_secret(pod or {}, "db-credentials"):
        return Outcome(
            False,
            'No volume of orders-db comes from the Secret "db-credentials".',
            subject,
            mismatches=(
                Mismatch("spec.volumes", "a secret volume of db-credentials", None, "missing"),
            ),
            why=(
                "a copy of the password in another object (a ConfigMap, the image) is not the "
                "Secret: it is not protected like one, and it does not follow a new password."
            ),
            subject_object=pod,
        )
    output = context.transport.exec(
        context.namespace, "orders-db", None, ["stat", "-L", "-c", "%a", "/etc/db/password"], 8.0
    )
    mode = output.stdout.strip()
    if mode != "400":
        return Outcome(
            False,
            f"/etc/db/password has the mode {mode or '?'}: others than its owner may read it.",
            subject,
            mismatches=(Mismatch("/etc/db/password (mode)", "400", mode, "differs"),),
            why=(
                "the files of a secret volume get mode 644 unless defaultMode (or an item's "
                "mode) says otherwise: every user of the container could read the password."
            ),
            subject_object=pod,
        )
    return Outcome(
        True, "/etc/db/password holds the password, readable by its owner only.", subject
    )


@final_when_steady
def inventory_sees_the_db_password(context: CheckContext) -> Outcome:
    """Exercise 6: /etc/inventory/db-password is the password of db-credentials."""
    failure, _pod = _file_holds_secret(
        context, "inventory", "/etc/inventory/db-password", "db-credentials", "password"
    )
    if failure is not None:
        return failure
    return Outcome(
        True,
        "/etc/inventory/db-password holds the password.",
        f"v1 Pod {context.namespace}/inventory",
    )
