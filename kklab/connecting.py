"""``kklab.connect()``: the running cluster, a configured client and the lab's namespace.

Whichever provider's state says a cluster is up (local, kind or existing) is
used; notebooks and graders need not know which.

Classroom grading runs each submission confined to one namespace: it sets
``KKLAB_KUBECONFIG`` (a ServiceAccount's kubeconfig) and ``KKLAB_NAMESPACE``
in the kernel's environment, and then every lab uses exactly those.

Example:
    >>> connection = connect("07-storage")   # doctest: +SKIP
    >>> connection.namespace                 # doctest: +SKIP
    'lab-07-storage'
    >>> lab_namespace("07-storage")
    'lab-07-storage'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kklab import labs
from kklab.cluster.base import ClusterInfo
from kklab.errors import ClusterError, KklabError, LabNotStartedError

_LAB_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class Connection:
    """A cluster that is up, ready to use."""

    info: ClusterInfo
    """Which provider and kubeconfig context reach it."""
    api_client: Any
    """A configured ``kubernetes.client.ApiClient``."""
    namespace: str
    """The lab's namespace (``lab-<lab>``), or ``default`` without a lab."""


def lab_namespace(lab: str) -> str:
    """The namespace a lab's objects live in; refuses a name that cannot be one."""
    name = labs.lab_namespace(lab)
    if not _LAB_NAME.match(lab) or len(name) > 63:
        raise KklabError(
            f"{lab!r} is not a lab name",
            fix="use the lab's folder name, e.g. `07-storage` (lowercase letters, digits, -)",
        )
    return name


def connect(lab: str | None = None) -> Connection:
    """Connect to the cluster that is up; raises ``ClusterError`` when none is.

    Example (with a cluster up)::

        from kklab import connect
        from kubernetes import client
        kk = connect("07-storage")
        client.CoreV1Api(kk.api_client).list_namespaced_pod(kk.namespace)
    """
    from kklab.cluster.choosing import provider_in_use

    confined = confined_connection()
    if confined is not None:
        return confined
    namespace = lab_namespace(lab) if lab is not None else "default"
    provider = provider_in_use()
    info = provider.info() if provider is not None else None
    if info is None:
        raise ClusterError("no cluster is up", fix="run `kklab up`")
    try:
        api_client = info.api_client()
    except Exception as err:  # a kubeconfig that went missing or is broken
        raise ClusterError(
            f"cannot read the kubeconfig of {info.describe()}: {err}",
            fix="run `kklab status`; `kklab down` then `kklab up` starts afresh",
        ) from err
    return Connection(info, api_client, namespace)


def require_started(connection: Connection, lab_id: str) -> None:
    """Raise ``LabNotStartedError`` unless the lab's namespace is there and kklab made it.

    One quick request (bounded like every other), so ``kklab check`` and the
    notebook's Check say at once that the lab was never started, instead of
    waiting out every check. A classroom sandbox is made for its submission
    and may not read its own namespace: it is not asked.
    """
    if connection.info.provider == "classroom":
        return
    from kubernetes import client
    from kubernetes.client import ApiException

    start = f"run `kklab lab start {lab_id}` or the notebook's first cell (`%lab {lab_id}`)"
    try:
        found = client.CoreV1Api(connection.api_client).read_namespace(connection.namespace)
    except ApiException as err:
        if err.status == 404:
            raise LabNotStartedError(f"lab {lab_id} is not started here", fix=start) from err
        if err.status == 403:  # a context that may not read namespaces: let the checks look
            return
        raise
    metadata = found.metadata
    labels = (metadata.labels if metadata is not None else None) or {}
    if labels.get("kklab.io/state") == "reset":  # emptied by `kklab lab reset`
        raise LabNotStartedError(f"lab {lab_id} is not started here (it was reset)", fix=start)
    if labels.get(labs.LAB_LABEL) != lab_id:
        raise LabNotStartedError(
            f"lab {lab_id} is not started here: namespace {connection.namespace} exists "
            "but kklab did not make it",
            fix=f"rename or delete that namespace yourself, then {start}",
        )
    if metadata is not None and metadata.deletion_timestamp is not None:
        raise LabNotStartedError(
            f"lab {lab_id} is being reset (namespace {connection.namespace} is terminating)",
            fix=f"wait a moment, then {start}",
        )


def confined_connection() -> Connection | None:
    """The namespace-confined connection classroom grading gives a submission, if any."""
    kubeconfig = os.environ.get("KKLAB_KUBECONFIG")
    namespace = os.environ.get("KKLAB_NAMESPACE")
    if not kubeconfig or not namespace:
        return None
    path = Path(kubeconfig)
    loaded = yaml.safe_load(path.read_text()) if path.exists() else None
    context = (loaded or {}).get("current-context")
    if not context:
        raise ClusterError(
            f"KKLAB_KUBECONFIG names {kubeconfig}, which has no current context",
            fix="unset KKLAB_KUBECONFIG and KKLAB_NAMESPACE to use your own cluster",
        )
    info = ClusterInfo("classroom", context, path, context)
    return Connection(info, info.api_client(), namespace)
