"""00-cluster-tour, exercise 6, on a cluster that has a static pod in kube-system.

The control plane of the local provider runs as host processes, so its kube-system
has no mirror pods and the mutation corpus can only try "none". kind runs its control
plane as static pods; here a real static pod stands in for them: a manifest is put in
the folder the kubelet reads (its staticPodPath, found as the learner finds it), the
kubelet runs it and writes its mirror pod, and the grader must then want that name.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from kklab.grading import grade
from kklab.grading.results import CheckResult
from kklab.labs import find_lab
from kklab.labs.session import LabSession
from tests.conftest import RunningCluster
from tests.helpers import wait_for
from tests.labs.harness import drop, scratch_session

pytestmark = pytest.mark.cluster
LAB = "00-cluster-tour"


def _grade_answer(session: LabSession, mirrors: str, path: str) -> dict[str, CheckResult]:
    session.kubectl(["delete", "configmap", "control-plane", "--ignore-not-found"])
    session.kubectl(
        [
            "create",
            "configmap",
            "control-plane",
            f"--from-literal=static-pod-path={path}",
            f"--from-literal=mirror-pods={mirrors}",
        ]
    )
    result = grade(session.api_client, session.namespace, session.grader(), "6", timeout_s=0)
    return {check.check_id: check for check in result.exercises[0].checks}


def test_a_static_pod_in_kube_system_is_a_mirror_pod_the_learner_must_name(
    cluster: RunningCluster,
) -> None:
    session = scratch_session(cluster, find_lab(LAB), prefix="kklab-static", start_manifests=[])
    node = session.kubectl(["get", "nodes", "-o", "jsonpath={.items[0].metadata.name}"])
    configz = session.kubectl(["get", "--raw", f"/api/v1/nodes/{node}/proxy/configz"])
    folder = Path(json.loads(configz)["kubeletconfig"]["staticPodPath"])
    name = f"kklab-static-{uuid.uuid4().hex[:6]}"
    manifest = folder / f"{name}.yaml"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "kube-system", "labels": {"kklab.io/test": "true"}},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "main", "image": "busybox:1.35", "command": ["sleep", "600"]}],
        },
    }
    mirror = f"{name}-{node}"

    def mirror_listed() -> bool:
        listed = session.kubectl(["get", "pods", "-n", "kube-system", "-o", "name"])
        return f"pod/{mirror}" in listed.split()

    try:
        manifest.write_text(yaml.safe_dump(pod))
        wait_for(mirror_listed, f"the kubelet to write mirror pod {mirror}", timeout_s=90)

        wrong = _grade_answer(session, "none", str(folder))
        assert wrong["static-pod-path-found"].status == "passed"
        assert wrong["mirror-pods-named"].status == "failed"
        assert 'mirror-pods "none" is not right' in wrong["mirror-pods-named"].message

        right = _grade_answer(session, mirror, str(folder))
        assert right["mirror-pods-named"].status == "passed", right["mirror-pods-named"].message
    finally:
        manifest.unlink(missing_ok=True)
        wait_for(lambda: not mirror_listed(), f"mirror pod {mirror} to go", timeout_s=90)
        drop(session)
