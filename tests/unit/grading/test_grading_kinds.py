"""Checks without Python: quantities and other objects in expressions, the grader's own
"why"s, and the ``file`` and ``event`` kinds; each passes on the right state and fails,
with its message, on a wrong one."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest

from kklab.grading.loading import parse_lab
from kklab.grading.rendering import render_text
from kklab.grading.spec import GraderSpecError
from kklab.grading.transport import ExecOutput
from tests.unit.grading.test_grading_engine import (
    NS,
    FakeTransport,
    _graded,
    claim,
    lab_of,
    running_pod,
)


def volume(name: str, policy: str, **annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"capacity": {"storage": "1Gi"}, "persistentVolumeReclaimPolicy": policy},
    }


def bound_claim(volume_name: str) -> dict[str, Any]:
    found = claim("Bound")
    found["spec"]["volumeName"] = volume_name
    return found


# ------------------------------------------------------------ quantities


CAPACITY_CHECK = {
    "id": "volume-holds-the-claim",
    "title": "The volume holds at least 500Mi",
    "points": 1,
    "assert": {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pv-1"},
        "spec": {
            "capacity": {"storage": "1024Mi"},
            "(quantity(capacity.storage) >= quantity('500Mi'))": True,
        },
    },
}


def test_quantities_compare_by_meaning_in_values_and_in_expressions() -> None:
    checked, _time, _reads = _graded(FakeTransport([volume("pv-1", "Retain")]), CAPACITY_CHECK)
    assert checked.passed  # 1Gi is 1024Mi, and at least 500Mi
    small = volume("pv-1", "Retain")
    small["spec"]["capacity"]["storage"] = "100Mi"
    checked, _time, _reads = _graded(FakeTransport([small]), CAPACITY_CHECK)
    assert [m.describe() for m in checked.mismatches] == [
        "spec.(quantity(capacity.storage) >= quantity('500Mi')): expected true, found false",
        'spec.capacity.storage: expected "1024Mi", found "100Mi"',
    ]
    assert checked.settled  # the learner wrote the capacity


# ------------------------------------------------------------ other objects


PROVISIONED_CHECK = {
    "id": "data-is-bound-to-a-provisioned-volume",
    "title": "data is bound to a volume a provisioner made, with reclaim policy Delete",
    "points": 2,
    "assert": {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "status": {"phase": "Bound"},
        "spec": {
            "(k8s_get('v1', 'PersistentVolume', '', volumeName))": {
                "metadata": {"annotations": {'("pv.kubernetes.io/provisioned-by" != null)': True}},
                "spec": {"persistentVolumeReclaimPolicy": "Delete"},
            }
        },
    },
}


def test_k8s_get_follows_a_claim_to_its_volume() -> None:
    made = volume("pvc-1", "Delete", **{"pv.kubernetes.io/provisioned-by": "hostpath"})
    checked, _time, _reads = _graded(FakeTransport([bound_claim("pvc-1"), made]), PROVISIONED_CHECK)
    assert checked.passed
    written = volume("pvc-1", "Retain")
    checked, _time, _reads = _graded(
        FakeTransport([bound_claim("pvc-1"), written]), PROVISIONED_CHECK
    )
    assert [m.describe() for m in checked.mismatches] == [
        "spec.(k8s_get('v1', 'PersistentVolume', '', volumeName)).metadata.annotations."
        '("pv.kubernetes.io/provisioned-by" != null): expected true, found false',
        "spec.(k8s_get('v1', 'PersistentVolume', '', volumeName)).spec."
        'persistentVolumeReclaimPolicy: expected "Delete", found "Retain"',
    ]


def test_k8s_get_of_a_field_not_set_yet_is_null_not_an_error() -> None:
    checked, _time, _reads = _graded(FakeTransport([claim("Pending")]), PROVISIONED_CHECK)
    assert checked.status == "failed"
    assert 'status.phase: expected "Bound", found "Pending"' in render_text(checked)
    assert not checked.settled  # a Pending claim is still settling


def test_lab_namespace_keeps_out_a_volume_bound_in_another_namespace() -> None:
    check = {
        **CAPACITY_CHECK,
        "assert": {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "(spec.claimRef.namespace == null || spec.claimRef.namespace == lab_namespace())": True,
            "spec": {"capacity": {"storage": "1Gi"}},
        },
    }
    ours, theirs = volume("pv-1", "Retain"), volume("pv-2", "Retain")
    ours["spec"]["claimRef"] = {"namespace": NS, "name": "data"}
    theirs["spec"]["claimRef"] = {"namespace": "someone-else", "name": "data"}
    checked, _time, _reads = _graded(FakeTransport([ours]), check)
    assert checked.passed
    checked, _time, _reads = _graded(FakeTransport([theirs]), check)
    assert [m.describe() for m in checked.mismatches] == [
        "(spec.claimRef.namespace == null || spec.claimRef.namespace == lab_namespace()): "
        "expected true, found false"
    ]


DEFAULT_CLASS_CHECK = {
    "id": "data-uses-the-default-class",
    "title": "data has the default class",
    "points": 1,
    "assert": {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {
            "(contains(k8s_list('storage.k8s.io/v1', 'StorageClass', '')"
            "[?metadata.annotations.\"storageclass.kubernetes.io/is-default-class\" == 'true']"
            ".metadata.name, storageClassName))": True
        },
    },
    "whys": [
        {
            "when": {"spec": {"storageClassName": ""}},
            "why": 'an empty storageClassName ("") means "no class".',
        },
        {"why": "leave storageClassName out: the cluster fills in its default."},
    ],
}


def storage_class(name: str, default: bool) -> dict[str, Any]:
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "annotations": annotations},
    }


def test_k8s_list_finds_the_default_class_and_whys_say_what_is_wrong() -> None:
    classes = [storage_class("standard", True), storage_class("local-storage", False)]
    right = bound_claim("pvc-1")
    right["spec"]["storageClassName"] = "standard"
    checked, _time, _reads = _graded(
        FakeTransport([right, *copy.deepcopy(classes)]), DEFAULT_CLASS_CHECK
    )
    assert checked.passed
    empty = bound_claim("pvc-1")
    empty["spec"]["storageClassName"] = ""
    checked, _time, _reads = _graded(
        FakeTransport([empty, *copy.deepcopy(classes)]), DEFAULT_CLASS_CHECK
    )
    assert (checked.status, checked.why) == (
        "failed",
        'an empty storageClassName ("") means "no class".',
    )
    local = bound_claim("pvc-1")  # class local-storage
    checked, _time, _reads = _graded(
        FakeTransport([local, *copy.deepcopy(classes)]), DEFAULT_CLASS_CHECK
    )
    assert checked.why == "leave storageClassName out: the cluster fills in its default."


def test_a_why_comes_before_the_catalogue_and_one_that_does_not_match_leaves_it() -> None:
    check = {
        **DEFAULT_CLASS_CHECK,
        "assert": {**DEFAULT_CLASS_CHECK["assert"], "status": {"phase": "Bound"}},
        "whys": [{"when": {"spec": {"storageClassName": "other"}}, "why": "not this one"}],
    }
    pending = claim("Pending")
    local = {**storage_class("local-storage", False), "volumeBindingMode": "WaitForFirstConsumer"}
    checked, _time, _reads = _graded(FakeTransport([pending, local]), check)
    assert checked.why and "WaitForFirstConsumer" in checked.why  # the catalogue's


def test_a_when_with_an_unknown_function_is_refused_at_load() -> None:
    bad = {**DEFAULT_CLASS_CHECK, "whys": [{"when": {"spec": {"(lower(x))": "a"}}, "why": "w"}]}
    with pytest.raises(GraderSpecError, match=r"unknown function lower\(\)"):
        lab_of(bad)


# ------------------------------------------------------------ file


NOTE_CHECK = {
    "id": "reader-finds-the-note",
    "title": "reader reads the note",
    "points": 1,
    "file": {"pod": "web", "path": "/data/notes.txt", "contains": "written by writer"},
}


def test_a_file_check_passes_on_its_content() -> None:
    transport = FakeTransport([running_pod("web")])
    transport.exec_output = ExecOutput(0, "written by writer on Monday\n", "")
    checked, _time, _reads = _graded(transport, NOTE_CHECK)
    assert checked.passed
    assert ("EXEC", "cat /data/notes.txt") in transport.requests


def test_a_missing_file_fails_at_once_in_a_steady_pod_and_says_what_cat_said() -> None:
    transport = FakeTransport([running_pod("web")])
    transport.exec_output = ExecOutput(1, "", "cat: can't open '/data/notes.txt': No such file")
    checked, fake_time, _reads = _graded(transport, NOTE_CHECK)
    assert (checked.status, checked.settled, fake_time.sleeps) == ("failed", True, 0)
    assert checked.message == (
        '/data/notes.txt cannot be read in container "main": '
        "cat: can't open '/data/notes.txt': No such file"
    )


def test_a_file_with_other_content_in_a_just_started_pod_is_polled() -> None:
    just_started = running_pod("web")
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    just_started["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] = started
    transport = FakeTransport([just_started])
    transport.exec_output = ExecOutput(0, "hello\n", "")
    checked, fake_time, _reads = _graded(transport, NOTE_CHECK)
    assert (checked.status, checked.settled) == ("failed", False)
    assert fake_time.sleeps > 10
    assert [m.describe() for m in checked.mismatches] == [
        '/data/notes.txt: expected text containing "written by writer", found "hello"'
    ]


def test_a_file_in_a_pod_that_does_not_run_or_does_not_exist_is_named() -> None:
    pending = running_pod("web", phase="Pending")
    checked, _time, _reads = _graded(FakeTransport([pending]), NOTE_CHECK)
    assert checked.message == 'Pod "web" is Pending: a file is read in a running container.'
    checked, _time, _reads = _graded(FakeTransport([running_pod("other")]), NOTE_CHECK)
    assert [m.describe() for m in checked.mismatches] == [
        f'expected pod "web" in namespace {NS}, found nothing'
    ]
    assert checked.settled


def test_a_file_check_needs_something_to_look_for() -> None:
    with pytest.raises(GraderSpecError, match="file needs contains, matches or absent"):
        lab_of({**NOTE_CHECK, "file": {"pod": "web", "path": "/data/notes.txt"}})


# ------------------------------------------------------------ event


def event(uid: str, reason: str, message: str = "") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"data.{uid}.{reason}"},
        "involvedObject": {"kind": "PersistentVolumeClaim", "name": "data", "uid": uid},
        "reason": reason,
        "message": message,
    }


EVENT_CHECK = {
    "id": "data-was-provisioned",
    "title": "A provisioner made a volume for data",
    "points": 1,
    "event": {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "name": "data",
        "reason": "ProvisioningSucceeded",
    },
}


def with_uid(obj: dict[str, Any], uid: str) -> dict[str, Any]:
    obj["metadata"]["uid"] = uid
    return obj


def test_an_event_check_finds_the_event_of_the_object_by_uid() -> None:
    transport = FakeTransport(
        [with_uid(bound_claim("pvc-1"), "u-2"), event("u-2", "ProvisioningSucceeded", "made")]
    )
    checked, _time, _reads = _graded(transport, EVENT_CHECK)
    assert checked.passed


def test_the_event_of_a_deleted_namesake_does_not_count() -> None:
    transport = FakeTransport(
        [
            with_uid(bound_claim("pvc-1"), "u-2"),
            event("u-1", "ProvisioningSucceeded", "made for the old claim"),
            event("u-2", "ExternalProvisioning", "waiting for a volume"),
        ]
    )
    checked, fake_time, _reads = _graded(transport, EVENT_CHECK)
    assert (checked.status, checked.settled, fake_time.sleeps) == ("failed", True, 0)
    assert checked.message == "No event ProvisioningSucceeded about PersistentVolumeClaim data."
    assert checked.evidence[0] == "ExternalProvisioning: waiting for a volume"


def test_an_event_that_must_not_be_there_fails_when_it_is() -> None:
    check = {**EVENT_CHECK, "event": {**EVENT_CHECK["event"], "reason": "ProvisioningFailed"}}
    check["event"]["present"] = False
    transport = FakeTransport([with_uid(bound_claim("pvc-1"), "u-2")])
    checked, _time, _reads = _graded(transport, check)
    assert checked.passed
    transport.add(event("u-2", "ProvisioningFailed", "no space"))
    checked, _time, _reads = _graded(transport, check)
    assert (checked.status, checked.message) == (
        "failed",
        "PersistentVolumeClaim data has an event ProvisioningFailed.",
    )


# ------------------------------------------------------------ graders


def test_the_new_kinds_load_from_yaml_shapes() -> None:
    lab = parse_lab(
        {
            "lab": "07-storage",
            "title": "Storage",
            "exercises": [{"id": "1", "title": "x", "checks": [NOTE_CHECK, EVENT_CHECK]}],
        }
    )
    assert [check.kind for check in lab.exercises[0].checks] == ["file", "event"]
