"""settling(): which states of a namespace will still change by themselves."""

from __future__ import annotations

from typing import Any

import pytest

from kklab.grading.matching import Mismatch
from kklab.grading.settling import learner_written, parse_time, pod_at_rest, settling

NOW = parse_time("2026-01-01T12:00:00Z")
assert NOW is not None


def pod(phase: str, *containers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [{"type": "PodScheduled", "status": "True"}],
        "containerStatuses": list(containers),
    }
    return {"kind": "Pod", "metadata": {"name": "p", **extra}, "status": status}


def waiting(reason: str) -> dict[str, Any]:
    return {"name": "c", "ready": False, "state": {"waiting": {"reason": reason}}}


def running(started: str, ready: bool = False) -> dict[str, Any]:
    return {"name": "c", "ready": ready, "state": {"running": {"startedAt": started}}}


@pytest.mark.parametrize(
    "reason",
    [
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "CreateContainerError",
    ],
)
def test_a_pod_stuck_for_good_is_not_settling(reason: str) -> None:
    assert settling([pod("Pending", waiting(reason))], NOW) == []
    assert settling([pod("Running", waiting(reason))], NOW) == []


@pytest.mark.parametrize("reason", ["ContainerCreating", "PodInitializing"])
def test_a_pod_whose_containers_are_being_created_is_settling(reason: str) -> None:
    assert settling([pod("Pending", waiting(reason))], NOW) == [
        "pod p: container c is being created"
    ]


def test_a_pod_without_container_statuses_or_not_scheduled_is_settling() -> None:
    assert settling([pod("Pending")], NOW) == ["pod p has no containers yet"]
    unscheduled = pod("Pending")
    unscheduled["status"]["conditions"] = []
    assert settling([unscheduled], NOW) == ["pod p is not scheduled yet"]


def test_an_unschedulable_pod_settles_after_a_few_seconds() -> None:
    unschedulable = pod("Pending")
    condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
    unschedulable["status"]["conditions"] = [
        {**condition, "lastTransitionTime": "2026-01-01T11:59:58Z"}
    ]
    assert settling([unschedulable], NOW) == ["pod p is not scheduled yet"]
    unschedulable["status"]["conditions"] = [
        {**condition, "lastTransitionTime": "2026-01-01T11:59:00Z"}
    ]
    assert settling([unschedulable], NOW) == []


def test_a_running_container_not_ready_settles_after_30_s() -> None:
    assert settling([pod("Running", running("2026-01-01T11:59:50Z"))], NOW) == [
        "pod p: container c started 10 s ago"
    ]
    assert settling([pod("Running", running("2026-01-01T11:58:00Z"))], NOW) == []
    assert settling([pod("Running", running("2026-01-01T11:59:59Z", ready=True))], NOW) == []


def test_anything_being_deleted_is_settling() -> None:
    going = pod("Running", running("2026-01-01T11:00:00Z", ready=True))
    going["metadata"]["deletionTimestamp"] = "2026-01-01T11:59:59Z"
    assert settling([going], NOW) == ["Pod p is being deleted"]


def test_a_pending_claim_is_settling_a_bound_one_is_not() -> None:
    def claim(phase: str) -> dict[str, Any]:
        return {
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "d"},
            "status": {"phase": phase},
        }

    assert settling([claim("Pending")], NOW) == ["claim d is Pending"]
    assert settling([claim("Bound")], NOW) == []


def test_workloads_settle_when_their_controller_caught_up() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": 3},
        "spec": {"replicas": 2},
        "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2},
    }
    assert settling([deployment], NOW) == [
        "Deployment web: its controller has not acted on the latest change yet"
    ]
    deployment["status"]["observedGeneration"] = 3
    assert settling([deployment], NOW) == []  # ready or not: left to the pod rules
    deployment["status"]["updatedReplicas"] = 1
    assert settling([deployment], NOW) == ["Deployment web: updatedReplicas is 1, not 2 yet"]
    daemon_set = {
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "generation": 1},
        "status": {
            "observedGeneration": 1,
            "desiredNumberScheduled": 1,
            "currentNumberScheduled": 1,
            "updatedNumberScheduled": 0,
        },
    }
    assert settling([daemon_set], NOW) == [
        "DaemonSet agent: updatedNumberScheduled is 0, not 1 yet"
    ]


def test_a_job_with_a_pod_that_just_started_is_settling() -> None:
    job = {"kind": "Job", "metadata": {"name": "once", "uid": "u1"}, "status": {"active": 1}}
    job_pod = pod("Running", running("2026-01-01T11:00:00Z", ready=True))
    job_pod["metadata"]["ownerReferences"] = [{"uid": "u1"}]
    job_pod["status"]["startTime"] = "2026-01-01T11:59:50Z"
    assert settling([job, job_pod], NOW) == ["Job once has pods that just started"]
    job_pod["status"]["startTime"] = "2026-01-01T11:00:00Z"
    assert settling([job, job_pod], NOW) == []
    assert settling([{**job, "status": {"active": 0}}], NOW) == []


def test_which_mismatches_the_learner_wrote() -> None:
    assert learner_written(Mismatch("spec.containers[name=c].image", "a", "b", "differs"))
    assert learner_written(Mismatch("metadata.labels.app", "a", "b", "differs"))
    assert learner_written(Mismatch("", "Pod p", None, "not-found"))
    assert not learner_written(Mismatch("status.phase", "Bound", "Pending", "differs"))
    assert not learner_written(Mismatch("(status.phase)", "Bound", "Pending", "differs"))
    assert not learner_written(Mismatch("subsets", [], None, "missing"), "Endpoints")


def test_a_stuck_pod_whose_image_was_just_changed_is_settling() -> None:
    """Right after `kubectl set image`, the status still shows the old image's failure."""
    stuck = pod("Pending", {**waiting("ErrImageNeverPull"), "image": "busybox:1.53"})
    stuck["spec"] = {"containers": [{"name": "c", "image": "busybox:1.53"}]}
    assert settling([stuck], NOW) == []
    assert pod_at_rest(stuck)
    stuck["spec"] = {"containers": [{"name": "c", "image": "docker.io/library/busybox:1.35"}]}
    assert settling([stuck], NOW) == ["pod p: container c is changing to its new image"]
    assert not pod_at_rest(stuck)


def test_final_when_quiet_settles_a_failure_only_in_a_quiet_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from kklab.grading import Outcome
    from kklab.grading import settling as module

    @module.final_when_quiet
    def rule_is_wrong(context: object) -> Outcome:
        """A check whose failure reads only a ConfigMap the learner wrote."""
        return Outcome(passed=False, message="wrong rule")

    context = SimpleNamespace(fetcher=None, namespace="lab")
    monkeypatch.setattr(module, "namespace_settling", lambda fetcher, namespace: [])
    assert rule_is_wrong(context).settled
    assert rule_is_wrong.__name__ == "rule_is_wrong"
    monkeypatch.setattr(module, "namespace_settling", lambda fetcher, namespace: ["pod p"])
    assert not rule_is_wrong(context).settled
