"""Running lab cells against the real cluster outside the lab's own namespace.

The mutation corpus and the notebook tests share this: a throw-away namespace
prepared like the lab's (start manifests, node folders), reference solutions
and arbitrary answer cells run exactly as ``kklab lab solve`` runs them.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from kklab.connecting import Connection
from kklab.labs import LAB_LABEL, LabDefinition, find_lab, lab_labels
from kklab.labs.session import LabSession
from tests.helpers import busybox_pod, wait_for


def scratch_session(
    cluster: Any,
    lab: LabDefinition,
    prefix: str = "kklab-mut",
    start_manifests: list[str] | None = None,
    seed: str = "default",
) -> LabSession:
    """A fresh namespace set up like the lab's, and a session working in it.

    ``start_manifests`` names the files of ``start/`` to apply (default: all);
    ``seed`` the variant (the lab's default values unless told).
    """
    from kubernetes import client

    namespace = f"{prefix}-{lab.id[:2]}-{uuid.uuid4().hex[:6]}"
    core = client.CoreV1Api(cluster.api_client)
    labels = {**lab_labels(lab.id), "kklab.io/test": "true"}
    core.create_namespace({"metadata": {"name": namespace, "labels": labels}})
    probe = busybox_pod("admission-probe", ["true"])
    wait_for(
        lambda: core.create_namespaced_pod(namespace, probe, dry_run="All"),
        "pods to be admitted",
        timeout_s=30,
    )
    session = LabSession(lab, Connection(cluster.info, cluster.api_client, namespace), seed)
    for folder in lab.setup.node_directories:
        # Empty: a file an earlier run left must not make a wrong answer pass.
        path = Path(lab.node_path(folder))
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
    for path, manifest in lab.start_manifests(session.seed):
        if start_manifests is None or path.name in start_manifests:
            session.apply(manifest)
    return session


def solve(session: LabSession, exercises: list[str]) -> None:
    for answer in session.model().answers():
        if answer.exercise in exercises:
            session.run_solution(answer.source)


def delete_lab_volumes(cluster: Any, lab_id: str, timeout_s: float = 30) -> None:
    """Delete the PersistentVolumes a scratch run made for ``lab_id`` (they outlive
    namespaces), and wait until they are gone.

    Their protection finalizer is removed first: the claims holding them are in a
    scratch namespace on its way out, and the next run must not find a volume still
    bound to, or terminating for, the last one.
    """
    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client)
    selector = f"{LAB_LABEL}={lab_id}"
    for volume in core.list_persistent_volume(label_selector=selector).items:
        core.patch_persistent_volume(volume.metadata.name, {"metadata": {"finalizers": None}})
        core.delete_persistent_volume(volume.metadata.name)
    deadline = time.monotonic() + timeout_s
    while core.list_persistent_volume(label_selector=selector).items:
        if time.monotonic() > deadline:
            raise AssertionError(f"{lab_id}'s volumes are still there after {timeout_s:.0f} s")
        time.sleep(0.5)


def drop(session: LabSession) -> None:
    from kubernetes import client

    client.CoreV1Api(session.api_client).delete_namespace(
        session.namespace, propagation_policy="Background", grace_period_seconds=0
    )


def settle(session: LabSession, timeout_s: float = 30) -> None:
    """Wait (at most ``timeout_s``) until no pod is still starting, so checks judge the answer.

    Best effort: a pod that waits on a mount that will never come looks like
    one that is merely slow, so after the timeout grading goes ahead anyway.
    """
    from kubernetes import client

    core = client.CoreV1Api(session.api_client)

    def starting(pod: Any) -> bool:
        """Pending only because it has not got round to it yet (not stuck for a reason)."""
        if pod.status.phase != "Pending":
            return False
        for condition in pod.status.conditions or []:
            if condition.type == "PodScheduled" and condition.status == "False":
                return False  # unschedulable, e.g. an unbound claim: that is an answer
        statuses = pod.status.container_statuses or []
        reasons = {s.state.waiting.reason for s in statuses if s.state and s.state.waiting}
        stuck = reasons - {"ContainerCreating", "PodInitializing"}
        return not stuck

    deadline = time.monotonic() + timeout_s
    while True:
        pods = core.list_namespaced_pod(session.namespace).items
        waiting = [p.metadata.name for p in pods if starting(p)]
        if not waiting:
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.5)


CORPUS = Path(__file__).parent / "mutations"


def corpus() -> list[tuple[str, bool, dict[str, Any]]]:
    """Every answer of the mutation corpora: (lab, isolated, mutation).

    A lab's ``start_for`` says which start/ files each exercise needs (exercises it
    does not list get none, keeping namespaces light); the mutation then carries them
    as ``start``.
    """
    found = []
    for path in sorted(CORPUS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        start_for = data.get("start_for")
        for mutation in data["mutations"]:
            if start_for is not None:
                mutation = {**mutation, "start": start_for.get(mutation["exercise"], [])}
            found.append((data["lab"], bool(data.get("isolated")), mutation))
    return found


@contextmanager
def answered(
    cluster: Any,
    lab_id: str,
    mutation: dict[str, Any],
    isolated: bool = False,
    prefix: str = "kklab-mut",
) -> Iterator[LabSession]:
    """A scratch namespace prepared like the lab's, with one answer of the corpus in it.

    Its start manifests are applied (for the variant ``seed``, default the lab's default
    values), the exercises of ``solve_first`` solved, its cells run as answer cells, and
    (unless it says ``settle: false``) its pods past starting. Afterwards its ``cleanup``
    cells run (to undo what it did outside the namespace, e.g. a node label), the
    namespace goes, and so do the lab's volumes when ``isolated``.
    """
    lab = find_lab(lab_id)
    session = scratch_session(
        cluster,
        lab,
        prefix=prefix,
        start_manifests=mutation.get("start"),
        seed=mutation.get("seed", "default"),
    )
    try:
        solve(session, list(mutation.get("solve_first") or []))
        for cell in mutation["cells"]:
            session.run_solution(cell)
        if mutation.get("settle", True):
            settle(session)
        yield session
    finally:
        for cell in mutation.get("cleanup") or []:
            session.run_solution(cell)
        drop(session)
        if isolated:
            delete_lab_volumes(cluster, lab_id)
