"""Starting, resetting and skipping ahead in a lab on the cluster that is up.

* ``start``: a labelled namespace ``lab-NN-topic``, the kubeconfig context's
  namespace set to it, the lab's node folders and starting manifests;
* ``reset``: empties the namespace (``emptying``; with ``everything``, deletes
  it) and deletes the lab's labelled cluster-scoped objects, and waits until
  they are gone;
* ``solve``: applies the lab's reference solutions, up to an exercise.

Only objects kklab labelled as its own are ever deleted.

Example:
    >>> exercises_up_to(["1", "2", "3"], "2")
    ['1', '2']
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from kklab.cluster import kubeconfigs
from kklab.errors import KklabError
from kklab.labs.catalogue import LAB_LABEL, MANAGED_BY, lab_labels, lab_namespace
from kklab.labs.emptying import empty_namespace
from kklab.labs.session import LabSession
from kklab.labs.variants import DEFAULT_SEED, record_seed
from kklab.shell import say

# Cluster-scoped kinds a lab may create; reset deletes the ones labelled for it.
CLUSTER_SCOPED = (
    ("v1", "PersistentVolume"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
)


def exercises_up_to(exercises: list[str], upto: str | None) -> list[str]:
    """The exercises to solve: all of them, or those up to and including ``upto``."""
    if upto is None:
        return exercises
    if upto not in exercises:
        raise KklabError(
            f"the lab has no exercise {upto!r}", fix=f"choose one of: {', '.join(exercises)}"
        )
    return exercises[: exercises.index(upto) + 1]


def _wait(condition: Callable[[], bool], what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise KklabError(
                f"timed out after {timeout_s:.0f} s waiting for {what}",
                fix="run `kklab status`, then try again",
            )
        time.sleep(0.1)


def _namespace_labels(core: Any, name: str) -> dict[str, str] | None:
    from kubernetes.client import ApiException

    try:
        return dict(core.read_namespace(name).metadata.labels or {})
    except ApiException as err:
        if err.status == 404:
            return None
        raise


def _pods_admitted(core: Any, namespace: str) -> bool:
    """True once a pod would be admitted (on 1.20 the token Secret comes a moment late)."""
    from kubernetes.client import ApiException

    probe = {
        "metadata": {"name": "kklab-admission-probe"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.35"}]},
    }
    try:
        core.create_namespaced_pod(namespace, probe, dry_run="All")
    except ApiException:
        return False
    return True


def _set_context_namespace(session: LabSession, namespace: str) -> None:
    info = session.connection.info
    paths = {info.kubeconfig_path, kubeconfigs.default_path()}
    for path in paths:
        if not path.exists():
            continue
        config = yaml.safe_load(path.read_text()) or {}
        changed = False
        for context in config.get("contexts") or []:
            if context.get("name") == info.context:
                context.setdefault("context", {})["namespace"] = namespace
                changed = True
        if changed:
            path.write_text(yaml.safe_dump(config, sort_keys=False))


def _node_folders(session: LabSession) -> list[Path]:
    """The lab's node folders as seen from this machine (empty where it cannot reach them)."""
    lab = session.lab
    provider = session.connection.info.provider
    node_paths = [lab.node_path(d) for d in lab.setup.node_directories]
    if provider == "local":  # the node is this machine
        return [Path(p) for p in node_paths]
    if provider == "kind":  # the node's /var/local/kklab is mounted from here
        from kklab.cluster.kind import KindProvider

        return [KindProvider().host_folder(p) for p in node_paths]
    return []


def _own_namespace(core: Any, namespace: str, lab_id: str) -> None:
    """Create the lab's namespace, or make sure the one there is kklab's."""
    labels = _namespace_labels(core, namespace)
    if labels is None:
        core.create_namespace({"metadata": {"name": namespace, "labels": lab_labels(lab_id)}})
    elif labels.get(LAB_LABEL) != lab_id:
        raise KklabError(
            f"namespace {namespace} exists but kklab did not make it",
            fix=f"rename or delete it yourself; kklab only uses namespaces labelled {LAB_LABEL}",
        )
    elif RESET_LABEL in labels:  # emptied by a reset: started again from here
        core.patch_namespace(namespace, {"metadata": {"labels": {RESET_LABEL: None}}})


def start(lab_name: str, seed: str | None = None) -> LabSession:
    """Prepare the lab: namespace, context, node folders, starting manifests.

    ``seed`` chooses the learner's variant; it is remembered for the lab, so
    ``kklab check`` and ``lab solve`` later use the same values.
    """
    started = time.monotonic()
    session = LabSession.open(lab_name, seed)
    lab, namespace = session.lab, session.namespace
    from kubernetes import client

    core = client.CoreV1Api(session.api_client)
    confined = session.connection.info.provider == "classroom"
    if not confined:  # a graded submission's namespace was made for it, and it may not read it
        _own_namespace(core, namespace, lab.id)
    _wait(lambda: _pods_admitted(core, namespace), "the namespace to accept pods", 30)
    if not confined:
        _set_context_namespace(session, namespace)
    folders = _node_folders(session)
    if lab.setup.node_directories and not folders:
        say(
            f"  note: this lab needs folders on the node ({', '.join(lab.setup.node_directories)}"
            f" under {lab.node_path()}); kklab cannot make them on an existing cluster"
        )
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for _path, manifest in lab.start_manifests(session.seed):
        # Started again (a notebook rejoins its lab): what the learner changed stays.
        for applied in session.apply(manifest, keep_existing=True):
            say(f"  {applied.describe()}")
    if seed is not None:
        record_seed(lab.id, session.seed)
    variant = "" if session.seed == DEFAULT_SEED else f", variant {session.seed}"
    say(
        f"✓ lab {lab.id} ready in namespace {namespace}{variant} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return session


def _labelled(dynamic: Any, api_version: str, kind: str, lab_id: str) -> list[str]:
    from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError

    try:
        resource = dynamic.resources.get(api_version=api_version, kind=kind)
        items = resource.get(label_selector=f"{LAB_LABEL}={lab_id}").items
    except (ResourceNotFoundError, DynamicApiError):
        return []
    ours = []
    for item in items:
        labels = item.metadata.labels or {}
        if labels.get("app.kubernetes.io/managed-by") != MANAGED_BY["app.kubernetes.io/managed-by"]:
            continue
        # A volume bound to a claim in some other namespace is in use there: leave it.
        claim = (item.to_dict().get("spec") or {}).get("claimRef") or {}
        claim_namespace = claim.get("namespace")
        if kind == "PersistentVolume" and claim_namespace not in (None, lab_namespace(lab_id)):
            continue
        ours.append(item.metadata.name)
    return ours


# On a namespace that reset emptied: the lab is not started until `lab start` again.
RESET_LABEL = "kklab.io/state"


def _restore_namespace(core: Any, namespace: str, lab_id: str) -> None:
    """Give the kept namespace back exactly kklab's labels (a lab may have added some),
    marked as reset so `kklab check` says the lab is not started."""
    labels = _namespace_labels(core, namespace) or {}
    wanted = {**lab_labels(lab_id), RESET_LABEL: "reset"}
    patch = {k: None for k in labels if k not in wanted and k != "kubernetes.io/metadata.name"}
    if patch or any(labels.get(k) != v for k, v in wanted.items()):
        core.patch_namespace(namespace, {"metadata": {"labels": {**patch, **wanted}}})


def _unlabel_nodes(core: Any, keys: tuple[str, ...]) -> None:
    """Remove the lab's own label keys (``kklab.dev/...``, lab.yaml's ``node_labels``)
    from every node that carries one; other labels are left alone."""
    if not keys:
        return
    for node in core.list_node().items:
        present = [key for key in keys if key in (node.metadata.labels or {})]
        if present:
            patch = {"metadata": {"labels": dict.fromkeys(present)}}
            core.patch_node(node.metadata.name, patch)


def reset(lab_name: str, everything: bool = False) -> None:
    """Empty the lab's namespace, delete its labelled cluster-scoped objects; wait until gone.

    The namespace itself is kept (emptying it takes seconds, deleting it much
    longer); ``everything`` deletes it too.
    """
    started = time.monotonic()
    session = LabSession.open(lab_name)
    lab, namespace = session.lab, session.namespace
    from kubernetes import client
    from kubernetes.client import ApiException
    from kubernetes.dynamic import DynamicClient

    core = client.CoreV1Api(session.api_client)
    dynamic = DynamicClient(session.api_client)
    labels = _namespace_labels(core, namespace)
    if labels is not None and labels.get(LAB_LABEL) != lab.id:
        raise KklabError(
            f"namespace {namespace} was not made by kklab; leaving it alone",
            fix="delete it yourself if you mean to",
        )
    emptied = 0
    if labels is not None and not everything:
        emptied = empty_namespace(dynamic, namespace).deleted
        _restore_namespace(core, namespace, lab.id)
    elif labels is not None:
        # Pods would take their grace period (30 s by default) to go: the lab's
        # state is being thrown away, so they go at once.
        core.delete_collection_namespaced_pod(namespace, grace_period_seconds=0)
        try:
            core.delete_namespace(namespace, propagation_policy="Background")
        except ApiException as err:
            if err.status != 404:
                raise
    doomed = [(v, k, n) for v, k in CLUSTER_SCOPED for n in _labelled(dynamic, v, k, lab.id)]
    for api_version, kind, name in doomed:
        resource = dynamic.resources.get(api_version=api_version, kind=kind)
        try:
            resource.delete(name=name)
        except Exception as err:  # already gone is fine
            if getattr(err, "status", None) != 404:
                raise
    _unlabel_nodes(core, lab.setup.node_labels)
    if everything:
        _wait(
            lambda: _namespace_labels(core, namespace) is None,
            f"namespace {namespace} to go",
            120,
        )
    _wait(
        lambda: not any(_labelled(dynamic, v, k, lab.id) for v, k in CLUSTER_SCOPED),
        "the lab's cluster-wide objects to go",
        60,
    )
    for folder in _node_folders(session):
        shutil.rmtree(folder, ignore_errors=True)
    what = (
        f"namespace {namespace} deleted"
        if everything
        else f"{emptied} objects deleted in namespace {namespace}"
    )
    say(
        f"✓ lab {lab.id} reset: {what}, {len(doomed)} cluster-wide objects deleted "
        f"({time.monotonic() - started:.1f} s)"
    )


def solve(lab_name: str, upto: str | None = None, seed: str | None = None) -> list[str]:
    """Apply the reference solutions of the lab's exercises (up to ``upto``)."""
    session = start(lab_name, seed)
    model = session.model()
    chosen = exercises_up_to(model.ids, upto)
    for answer in model.answers(chosen[-1] if chosen else None):
        output = session.run_solution(answer.source)
        say(f"✓ exercise {answer.exercise} solved" + (f":\n{output}" if output else ""))
    return chosen


def solution_objects(session: LabSession, exercise: str) -> list[tuple[str, str, str]]:
    """(apiVersion, kind, name) of each object the exercise's ``%%apply`` solution makes."""
    found = []
    for answer in session.model().exercise(exercise).answers:
        if answer.magic != "%%apply":
            continue
        for document in yaml.safe_load_all(answer.body):
            if isinstance(document, dict) and document.get("kind"):
                name = (document.get("metadata") or {}).get("name")
                if name:
                    found.append(
                        (str(document.get("apiVersion", "v1")), str(document["kind"]), str(name))
                    )
    return found


def reset_exercise(session: LabSession, exercise: str) -> list[str]:
    """Delete the objects the exercise asks for, so the learner can start it again.

    Namespaced objects are deleted in the lab namespace; cluster-scoped ones
    only when they carry this lab's label.
    """
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError

    dynamic = DynamicClient(session.api_client)
    gone = []
    for api_version, kind, name in solution_objects(session, exercise):
        from kklab.cluster.adapting import convert

        try:
            resource = dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            converted, _note = convert(
                {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}
            )
            resource = dynamic.resources.get(api_version=converted["apiVersion"], kind=kind)
        try:
            if resource.namespaced:
                resource.delete(
                    name=name, namespace=session.namespace, body={"gracePeriodSeconds": 0}
                )
            elif name in _labelled(dynamic, api_version, kind, session.lab.id):
                resource.delete(name=name)
            else:
                continue
        except DynamicApiError as err:
            if err.status != 404:
                raise KklabError(
                    f"cannot delete {kind} {name}: {err.reason}",
                    fix="try `kklab lab reset` for the whole lab",
                ) from err
            continue
        gone.append(f"{kind.lower()}/{name}")
    return gone
