"""The ``existing`` provider: a cluster the learner already has (a teacher's, a cloud's).

``kklab up --provider existing --context NAME [--kubeconfig PATH]`` checks that
the context answers and records it in ``~/.kklab/existing/cluster.json``.
kklab then creates only namespaces (and cluster-scoped objects) labelled as its
own, ``app.kubernetes.io/managed-by: kklab`` plus ``kklab.io/lab: <lab>``, and
records each namespace it creates. ``down`` deletes the namespaces it recorded
that still carry the label, and forgets the context: a shared cluster may hold
other learners' kklab namespaces, which are not ours to delete.

Before a lab starts, ``missing_permissions`` asks the API server
(SelfSubjectAccessReview) whether the learner may do what the lab needs.

Example:
    >>> owned_labels("07-storage")["kklab.io/lab"]
    '07-storage'
    >>> Need("create", "namespaces", namespaced=False).describe("lab-x")
    'create namespaces'
    >>> Need("get", "pods", subresource="log").describe("lab-x")
    'get pods/log in namespace lab-x'
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kklab.cluster import kubeconfigs
from kklab.cluster.base import ClusterInfo, ClusterStatus, ComponentStatus
from kklab.errors import ClusterError
from kklab.paths import state_dir
from kklab.shell import say

MANAGED_BY = "app.kubernetes.io/managed-by"
LAB_LABEL = "kklab.io/lab"
OWNED_SELECTOR = f"{MANAGED_BY}=kklab"


def owned_labels(lab: str | None = None) -> dict[str, str]:
    """The labels that mark an object as kklab's (and as one lab's)."""
    labels = {MANAGED_BY: "kklab"}
    if lab:
        labels[LAB_LABEL] = lab
    return labels


def is_owned(labels: dict[str, str] | None) -> bool:
    return (labels or {}).get(MANAGED_BY) == "kklab"


# --- permissions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """One thing a lab needs to do, as an RBAC question."""

    verb: str
    """``create``, ``get``, ``list``, ``delete``, ..."""
    resource: str
    """The resource's plural name, e.g. ``persistentvolumeclaims``."""
    group: str = ""
    """Its API group; empty for the core group."""
    namespaced: bool = True
    """Asked in the lab's namespace (True) or cluster-wide (False)."""
    subresource: str = ""
    """e.g. ``log`` or ``exec``."""

    def describe(self, namespace: str) -> str:
        what = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        if self.group:
            what = f"{what}.{self.group}"
        where = f" in namespace {namespace}" if self.namespaced else ""
        return f"{self.verb} {what}{where}"


def _needs(verbs: str, resource: str, group: str = "", namespaced: bool = True) -> list[Need]:
    return [Need(verb, resource, group, namespaced) for verb in verbs.split()]


DEFAULT_NEEDS: tuple[Need, ...] = (
    *_needs("create delete get", "namespaces", namespaced=False),
    *_needs("create delete get list watch", "pods"),
    Need("get", "pods", subresource="log"),
    Need("create", "pods", subresource="exec"),
    *_needs("create delete get list", "services"),
    *_needs("create delete get list", "configmaps"),
    *_needs("create delete get list", "secrets"),
    *_needs("create delete get list", "persistentvolumeclaims"),
    *_needs("list", "events"),
    *_needs("create delete get list", "deployments", "apps"),
    *_needs("create delete get list", "jobs", "batch"),
    *_needs("create delete get list", "persistentvolumes", namespaced=False),
    *_needs("get list", "storageclasses", "storage.k8s.io", namespaced=False),
    *_needs("list", "nodes", namespaced=False),
)
"""What the labs need, by default: their namespace's workloads plus PVs and namespaces."""


def missing_permissions(
    api_client: Any, namespace: str, needs: Sequence[Need] = DEFAULT_NEEDS
) -> list[Need]:
    """The needs the API server says the current user may not do (SelfSubjectAccessReview)."""
    from kubernetes import client
    from kubernetes.client import ApiException

    authorization = client.AuthorizationV1Api(api_client)
    missing = []
    for need in needs:
        attributes: dict[str, str] = {"verb": need.verb, "resource": need.resource}
        if need.group:
            attributes["group"] = need.group
        if need.subresource:
            attributes["subresource"] = need.subresource
        if need.namespaced:
            attributes["namespace"] = namespace
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }
        try:
            answer = authorization.create_self_subject_access_review(review, _request_timeout=10)
        except ApiException as err:
            raise ClusterError(
                f"cannot ask the API server what this user may do: {err.status} {err.reason}",
                fix="check the kubeconfig context with `kubectl auth can-i --list`",
            ) from err
        if not answer.status.allowed:
            missing.append(need)
    return missing


def describe_missing(missing: Sequence[Need], namespace: str) -> str:
    """One sentence for the learner listing what they may not do."""
    return "you may not " + "; ".join(need.describe(namespace) for need in missing)


# --- the provider --------------------------------------------------------------------


class ExistingProvider:
    """Use a cluster reached through a kubeconfig context the learner names."""

    name = "existing"

    def __init__(
        self,
        *,
        context: str | None = None,
        kubeconfig_path: Path | None = None,
        root: Path | None = None,
    ) -> None:
        self.context = context
        self.kubeconfig_path = kubeconfig_path
        self.root = root or state_dir() / "existing"

    @property
    def state_path(self) -> Path:
        return self.root / "cluster.json"

    def _state(self) -> dict[str, Any] | None:
        try:
            loaded = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return None
        return loaded if isinstance(loaded, dict) else None

    def _save_state(self, state: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.state_path.write_text(json.dumps(state, indent=2))

    def info(self) -> ClusterInfo | None:
        state = self._state()
        if state is None:
            return None
        return ClusterInfo(
            self.name, state["context"], Path(state["kubeconfig_path"]), state["context"]
        )

    def up(self) -> ClusterInfo:
        """Check the named context answers, record it, and say what the learner may not do.

        Without a context, the one recorded before is checked again.
        """
        recorded = self._state()
        if not self.context and recorded:
            self.context = recorded["context"]
            self.kubeconfig_path = Path(recorded["kubeconfig_path"])
        if not self.context:
            raise ClusterError(
                "the existing provider needs the kubeconfig context to use",
                fix="run `kklab up --provider existing --context NAME` "
                "(`kubectl config get-contexts` lists them)",
            )
        path = (self.kubeconfig_path or kubeconfigs.default_path()).expanduser().resolve()
        contexts = _context_names(path)
        if self.context not in contexts:
            raise ClusterError(
                f"{path} has no context {self.context!r}"
                + (f" (it has: {', '.join(contexts)})" if contexts else ""),
                fix="name one of its contexts with --context, or another file with --kubeconfig",
            )
        state = self._state() or {}
        if state and (state.get("context"), state.get("kubeconfig_path")) != (
            self.context,
            str(path),
        ):
            raise ClusterError(
                f"kklab already uses context {state.get('context')} of "
                f"{state.get('kubeconfig_path')}",
                fix="run `kklab down` first (it deletes the namespaces kklab made there)",
            )
        info = ClusterInfo(self.name, self.context, path, self.context)
        version = _server_version(info)
        known = state.get("namespaces", [])
        self._save_state(
            {
                "context": self.context,
                "kubeconfig_path": str(path),
                "server_version": version,
                "namespaces": known,
                "recorded_at": time.time(),
            }
        )
        say(f"✓ using context {self.context} from {path} (Kubernetes {version})")
        home = _context_namespace(path, self.context)
        missing = missing_permissions(info.api_client(), home)
        if missing:
            say(f"! {describe_missing(missing, home)}: some labs will say what they need")
        return info

    def status(self) -> ClusterStatus:
        info = self.info()
        if info is None:
            return ClusterStatus(self.name, exists=False)
        try:
            version = _server_version(info, timeout_s=3)
        except ClusterError as err:
            component = ComponentStatus(f"context {info.context}", False, str(err))
        else:
            component = ComponentStatus(
                f"context {info.context}", True, f"Kubernetes {version} via {info.kubeconfig_path}"
            )
        return ClusterStatus(self.name, exists=True, components=(component,))

    def create_namespace(self, name: str, lab: str | None = None) -> None:
        """Create a namespace labelled as kklab's and record it, so ``down`` deletes it.

        An existing namespace without kklab's label is refused, not taken over.
        """
        from kubernetes import client
        from kubernetes.client import ApiException

        info = self.info()
        if info is None:
            raise ClusterError("no existing cluster is recorded", fix="run `kklab up` first")
        core = client.CoreV1Api(info.api_client())
        body = {"metadata": {"name": name, "labels": owned_labels(lab)}}
        try:
            core.create_namespace(body, _request_timeout=10)
        except ApiException as err:
            if err.status != 409:
                raise ClusterError(
                    f"cannot create namespace {name}: {err.status} {err.reason}",
                    fix="ask the cluster's administrator for permission to create namespaces",
                ) from err
            labels = core.read_namespace(name, _request_timeout=10).metadata.labels
            if not is_owned(labels):
                raise ClusterError(
                    f"namespace {name} exists and is not kklab's (no {OWNED_SELECTOR} label)",
                    fix="kklab leaves it alone: ask its owner, or use another cluster",
                ) from err
        state = self._state() or {}
        names = [n for n in state.get("namespaces", []) if n != name] + [name]
        self._save_state({**state, "namespaces": names})

    def down(self, *, quiet: bool = False) -> None:
        """Delete the namespaces kklab created here (if still kklab's); forget the context."""
        from kubernetes import client
        from kubernetes.client import ApiException

        info = self.info()
        state = self._state() or {}
        if info is None:
            if not quiet:
                say("✓ no existing cluster is recorded")
            return
        deleted, left = [], []
        core = client.CoreV1Api(info.api_client())
        for name in state.get("namespaces", []):
            try:
                namespace = core.read_namespace(name, _request_timeout=10)
                if not is_owned(namespace.metadata.labels):
                    left.append(f"{name} (no longer labelled as kklab's)")
                    continue
                core.delete_namespace(name, propagation_policy="Background", _request_timeout=10)
                deleted.append(name)
            except ApiException as err:
                if err.status != 404:
                    left.append(f"{name} ({err.status} {err.reason})")
            except Exception as err:  # the cluster may be unreachable by now
                left.append(f"{name} ({str(err).strip()[:80]})")
        self.state_path.unlink(missing_ok=True)
        if not quiet:
            say(
                f"✓ forgot context {info.context}; deleted namespaces: "
                f"{', '.join(deleted) or 'none'}" + (f"; left: {', '.join(left)}" if left else "")
            )


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ClusterError(
            f"cannot read the kubeconfig {path}: {err}", fix="name a kubeconfig with --kubeconfig"
        ) from err
    return loaded if isinstance(loaded, dict) else {}


def _context_names(path: Path) -> list[str]:
    return [str(entry.get("name")) for entry in _load(path).get("contexts") or []]


def _context_namespace(path: Path, context: str) -> str:
    for entry in _load(path).get("contexts") or []:
        if entry.get("name") == context:
            return str((entry.get("context") or {}).get("namespace") or "default")
    return "default"


def _server_version(info: ClusterInfo, timeout_s: float = 10) -> str:
    from kubernetes import client

    try:
        return str(
            client.VersionApi(info.api_client()).get_code(_request_timeout=timeout_s).git_version
        )
    except Exception as err:
        raise ClusterError(
            f"context {info.context} does not answer: {str(err).strip()[:200]}",
            fix=f"check it with `kubectl --context {info.context} get namespaces`",
        ) from err
