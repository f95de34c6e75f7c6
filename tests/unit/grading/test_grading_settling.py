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


def test_a_young_pending_claim_is_settling_an_old_or_bound_one_is_not() -> None:
    def claim(phase: str, made: str | None) -> dict[str, Any]:
        return {
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "d", **({"creationTimestamp": made} if made else {})},
            "status": {"phase": phase},
        }

    assert settling([claim("Pending", "2026-01-01T11:59:55Z")], NOW) == [
        "claim d is Pending (made 5 s ago)"
    ]
    assert settling([claim("Pending", None)], NOW) == ["claim d is Pending"]
    # waiting 16 s for a consumer, a volume or a provisioner: only the learner can help
    assert settling([claim("Pending", "2026-01-01T11:59:44Z")], NOW) == []
    assert settling([claim("Bound", "2026-01-01T11:59:59Z")], NOW) == []


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


def test_final_when_steady_waits_for_young_containers(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from kklab.grading import Outcome
    from kklab.grading import settling as module

    @module.final_when_steady
    def note_is_wrong(context: object) -> Outcome:
        """A check whose failure reads a file a container wrote."""
        return Outcome(passed=False, message="wrong note")

    from datetime import datetime, timedelta, timezone

    def started(seconds_ago: float) -> str:
        when = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    young = pod("Running", running(started(3), ready=True))
    old = pod("Running", running(started(3600), ready=True))
    pods: list[dict[str, Any]] = []
    fetcher = SimpleNamespace(list=lambda api_version, kind, namespace: pods)
    context = SimpleNamespace(fetcher=fetcher, namespace="lab")
    monkeypatch.setattr(module, "namespace_settling", lambda fetcher, namespace, now=None: [])
    pods[:] = [young]
    assert not note_is_wrong(context).settled
    pods[:] = [old]
    assert note_is_wrong(context).settled
    monkeypatch.setattr(
        module, "namespace_settling", lambda fetcher, namespace, now=None: ["claim d"]
    )
    assert not note_is_wrong(context).settled


def test_a_pod_whose_volume_failed_to_mount_is_not_settling() -> None:
    creating = pod("Pending", waiting("ContainerCreating"))
    creating["metadata"]["uid"] = "u-1"
    creating["status"]["conditions"] = [{"type": "PodScheduled", "status": "True"}]
    assert settling([creating], NOW) == ["pod p: container c is being created"]
    failed = {"kind": "Event", "reason": "FailedMount", "involvedObject": {"uid": "u-1"}}
    assert settling([creating, failed], NOW) == []
    of_another = {**failed, "involvedObject": {"uid": "u-0"}}  # its predecessor's
    assert settling([creating, of_another], NOW) == ["pod p: container c is being created"]


def test_a_kubelet_cache_not_in_sync_yet_is_a_mount_failure_that_passes() -> None:
    creating = pod("Pending", waiting("ContainerCreating"))
    creating["metadata"]["uid"] = "u-1"
    creating["status"]["conditions"] = [{"type": "PodScheduled", "status": "True"}]
    passing = {
        "kind": "Event",
        "reason": "FailedMount",
        "involvedObject": {"uid": "u-1"},
        "message": 'MountVolume.SetUp failed for volume "banner" : failed to sync configmap '
        "cache: timed out waiting for the condition",
    }
    assert settling([creating, passing], NOW) == ["pod p: container c is being created"]
    unregistered = {**passing, "message": 'object "lab"/"kube-root-ca.crt" not registered'}
    assert settling([creating, unregistered], NOW) == ["pod p: container c is being created"]
    missing = {**passing, "message": 'configmap "banner" not found'}
    assert settling([creating, passing, missing], NOW) == []


def test_status_final_only_where_nothing_acts_on_its_own() -> None:
    from kklab.grading.settling import status_final

    unschedulable = pod("Pending")
    unschedulable["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "lastTransitionTime": "2026-01-01T11:59:00Z",
        }
    ]
    assert status_final(unschedulable, NOW)
    assert status_final(pod("Running", waiting("CrashLoopBackOff")), NOW)
    # a running pod's readiness and restarts are the probes' to change
    assert not status_final(pod("Running", running("2026-01-01T11:00:00Z")), NOW)
    claim = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"creationTimestamp": "2026-01-01T11:59:50Z"},
        "status": {"phase": "Pending"},
    }
    assert not status_final(claim, NOW)  # 10 s old: a provisioner may still answer
    assert status_final({**claim, "metadata": {"creationTimestamp": "2026-01-01T11:00:00Z"}}, NOW)
    assert not status_final(None, NOW)


def test_a_long_pending_claim_waits_while_a_volume_changes() -> None:
    claim = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "again", "creationTimestamp": "2026-01-01T11:00:00Z"},
        "status": {"phase": "Pending"},
    }
    volume = {
        "kind": "PersistentVolume",
        "metadata": {"name": "v", "managedFields": [{"time": "2026-01-01T11:59:40Z"}]},
    }
    # its claimRef was removed 20 s ago: the controller binds it at a next pass
    assert settling([claim, volume], NOW) == [
        "claim again is Pending and a volume changed moments ago"
    ]
    volume["metadata"]["managedFields"] = [{"time": "2026-01-01T11:50:00Z"}]
    assert settling([claim, volume], NOW) == []


def _claim_and_volume() -> tuple[dict[str, Any], dict[str, Any]]:
    """Claim "again" asks for volume "disk" by name, long after it was made."""
    claim = {
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "again",
            "namespace": "lab",
            "uid": "u2",
            "creationTimestamp": "2026-01-01T11:00:00Z",
        },
        "spec": {
            "volumeName": "disk",
            "storageClassName": "local",
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "500Mi"}},
        },
        "status": {"phase": "Pending"},
    }
    volume = {
        "kind": "PersistentVolume",
        # the controller's status writes do not always move managedFields' time
        "metadata": {"name": "disk", "managedFields": [{"time": "2026-01-01T11:00:00Z"}]},
        "spec": {
            "storageClassName": "local",
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "claimRef": {"name": "archive", "namespace": "lab", "uid": "u1"},
        },
        "status": {"phase": "Released"},
    }
    return claim, volume


def test_a_claim_naming_a_released_volume_is_final_until_the_volume_is_freed() -> None:
    claim, volume = _claim_and_volume()
    restore = pod("Pending")
    restore["spec"] = {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "again"}}]}
    restore["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "lastTransitionTime": "2026-01-01T11:00:00Z",
        }
    ]
    # Released: its claimRef names the deleted claim, only an administrator frees it
    assert settling([claim, volume, restore], NOW) == []
    # claimRef removed: Available and free, bound at the controller's next pass
    volume["spec"].pop("claimRef")
    volume["status"]["phase"] = "Available"
    reasons = settling([claim, volume, restore], NOW)
    assert reasons == [
        "claim again is Pending and volume disk is free for it: the volume controller "
        "binds them at its next pass (every 15 s)",
        "pod p waits for a claim about to bind",
    ]
    # half bound: the volume names the claim, the claim's side is written next
    volume["spec"]["claimRef"] = {"name": "again", "namespace": "lab", "uid": "u2"}
    volume["status"]["phase"] = "Bound"
    assert len(settling([claim, volume], NOW)) == 1


def test_a_free_volume_that_does_not_fit_the_claim_is_no_reason_to_wait() -> None:
    claim, volume = _claim_and_volume()
    volume["spec"].pop("claimRef")
    volume["status"]["phase"] = "Available"
    for field, value in (
        ("storageClassName", "other"),
        ("accessModes", ["ReadOnlyMany"]),
        ("capacity", {"storage": "100Mi"}),
    ):
        misfit = {**volume, "spec": {**volume["spec"], field: value}}
        assert settling([claim, misfit], NOW) == [], field
    elsewhere = {**claim, "spec": {**claim["spec"], "volumeName": "other"}}
    assert settling([elsewhere, volume], NOW) == []
