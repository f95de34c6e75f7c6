"""The engine over a fake transport: kinds, polling, errors, evidence and redaction."""

from __future__ import annotations

import base64
import copy
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import pytest

from kklab.errors import ClusterError
from kklab.grading import engine
from kklab.grading.engine import grade_with
from kklab.grading.fetching import PROBE_LABEL
from kklab.grading.loading import parse_lab
from kklab.grading.redacting import Redactor
from kklab.grading.rendering import render_json, render_text
from kklab.grading.results import Outcome
from kklab.grading.spec import GraderSpecError, Lab
from kklab.grading.transport import ApiStatusError, ExecOutput

NS = "lab-07-storage"
RESOURCES = {
    "/api/v1": [
        ("Pod", "pods", True),
        ("Service", "services", True),
        ("Secret", "secrets", True),
        ("ConfigMap", "configmaps", True),
        ("Event", "events", True),
        ("PersistentVolumeClaim", "persistentvolumeclaims", True),
        ("PersistentVolume", "persistentvolumes", False),
    ],
    "/apis/apps/v1": [
        ("Deployment", "deployments", True),
        ("ReplicaSet", "replicasets", True),
        ("StatefulSet", "statefulsets", True),
        ("DaemonSet", "daemonsets", True),
    ],
    "/apis/batch/v1": [("Job", "jobs", True)],
    "/apis/storage.k8s.io/v1": [("StorageClass", "storageclasses", False)],
}
PLURALS = {plural: kind for items in RESOURCES.values() for kind, plural, _ in items}
CLUSTER_SCOPED = {
    kind for items in RESOURCES.values() for kind, _, namespaced in items if not namespaced
}


class FakeTransport:
    """Serves discovery, objects by path, SubjectAccessReviews, logs and exec answers."""

    host = "https://fake:6443"

    def __init__(self, objects: Sequence[dict[str, Any]] = ()) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.allowed: Callable[[dict[str, Any]], bool] = lambda review: False
        self.exec_output = ExecOutput(0, "", "")
        self.logs = ""
        self.requests: list[tuple[str, str]] = []
        self.on_get: Callable[[FakeTransport], None] = lambda transport: None
        for obj in objects:
            self.add(obj)

    def add(self, obj: dict[str, Any]) -> None:
        kind = obj["kind"]
        plural = next(p for p, k in PLURALS.items() if k == kind)
        namespace = obj["metadata"].get("namespace", NS)
        if kind not in CLUSTER_SCOPED:
            obj["metadata"]["namespace"] = namespace
        root = "/api/v1" if obj["apiVersion"] == "v1" else f"/apis/{obj['apiVersion']}"
        where = "" if kind in CLUSTER_SCOPED else f"/namespaces/{namespace}"
        self.objects[f"{root}{where}/{plural}/{obj['metadata']['name']}"] = obj

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        timeout_s: float,
        text: bool = False,
    ) -> Any:
        self.requests.append((method, path))
        if method == "GET":
            self.on_get(self)
        if path == "/version":
            return {"gitVersion": "v1.20.2"}
        if path in RESOURCES:
            items = RESOURCES[path]
            return {"resources": [{"kind": k, "name": p, "namespaced": n} for k, p, n in items]}
        if path.endswith("/subjectaccessreviews"):
            return {"status": {"allowed": self.allowed(body), "reason": "RBAC: test"}}
        if path.endswith("/log"):
            return self.logs
        if method == "GET" and path in self.objects:
            return copy.deepcopy(self.objects[path])
        if method == "GET" and path.rsplit("/", 1)[-1] in PLURALS:
            selector = dict(
                q.split("=") for q in dict(query).get("labelSelector", "").split(",") if q
            )
            fields = dict(
                q.split("=") for q in dict(query).get("fieldSelector", "").split(",") if q
            )
            root, plural = path.rsplit("/", 1)
            everywhere = "/namespaces/" not in path and PLURALS[plural] not in CLUSTER_SCOPED
            items = [
                copy.deepcopy(obj)
                for key, obj in self.objects.items()
                if (
                    key.startswith(path + "/")
                    or (everywhere and re.match(f"{root}/namespaces/[^/]+/{plural}/", key))
                )
                and all(obj["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
                and fields.get("metadata.name", obj["metadata"]["name"]) == obj["metadata"]["name"]
            ]
            return {"items": items}
        if method == "POST" and path.endswith("/pods"):  # kklab's probe pod starts at once
            self.add({**copy.deepcopy(body), "status": {"phase": "Running"}})
            return body
        if method == "DELETE":
            return self.objects.pop(path, {})
        raise ApiStatusError(404, f"{path} not found")

    def exec(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        command: Sequence[str],
        timeout_s: float,
    ) -> ExecOutput:
        self.requests.append(("EXEC", " ".join(command)))
        return self.exec_output


def claim(phase: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"storageClassName": "local-storage", "accessModes": ["ReadWriteOnce"]},
        "status": {"phase": phase},
    }


LOCAL_STORAGE = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {"name": "local-storage"},
    "volumeBindingMode": "WaitForFirstConsumer",
}


def lab_of(*checks: dict[str, Any], timeout_s: float = 0) -> Lab:
    return parse_lab(
        {
            "lab": "07-storage",
            "title": "Storage",
            "timeout_s": timeout_s,
            "exercises": [{"id": "3", "title": "Claim", "checks": list(checks)}],
        }
    )


PVC_CHECK = {
    "id": "pvc-is-bound-to-local-pv",
    "title": "The claim data is bound",
    "points": 2,
    "success": "Bound.",
    "hints": ["create the pod from exercise 4, then check again."],
    "assert": {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "status": {"phase": "Bound"},
    },
}


def test_failed_assert_reads_as_the_style_guide_shows() -> None:
    transport = FakeTransport([claim("Pending"), copy.deepcopy(LOCAL_STORAGE)])
    result = grade_with(transport, NS, lab_of(PVC_CHECK))
    assert render_text(result.exercises[0].checks[0]) == (
        "✗ 07-storage › pvc-is-bound-to-local-pv                 0/2\n"
        "  v1 PersistentVolumeClaim lab-07-storage/data\n"
        '  * status.phase: expected "Bound", found "Pending"\n'
        '  Why: the claim uses storageClassName "local-storage", which waits for the\n'
        '  first pod that mounts it (WaitForFirstConsumer). No pod mounts "data" yet.\n'
        "  Hint: create the pod from exercise 4, then check again."
    )
    assert (result.passed, result.points_earned, result.points_possible) == (False, 0, 2)


def test_passing_assert_earns_points_and_shows_success() -> None:
    result = grade_with(FakeTransport([claim("Bound")]), NS, lab_of(PVC_CHECK))
    (check,) = result.checks
    assert (check.status, check.points_earned, check.message) == ("passed", 2, "Bound.")
    assert result.passed


def test_missing_object_says_what_was_looked_for() -> None:
    (check,) = grade_with(FakeTransport(), NS, lab_of(PVC_CHECK)).checks
    assert check.status == "failed"
    assert [m.describe() for m in check.mismatches] == [
        'expected PersistentVolumeClaim "data" in namespace lab-07-storage, found nothing'
    ]


def test_polling_waits_for_the_state_to_converge() -> None:
    transport = FakeTransport([claim("Pending")])
    gets = {"count": 0}

    def bind_after_a_few_reads(fake: FakeTransport) -> None:
        gets["count"] += 1
        if gets["count"] == 8:
            fake.add(claim("Bound"))

    transport.on_get = bind_after_a_few_reads
    result = grade_with(transport, NS, lab_of(PVC_CHECK, timeout_s=5), poll_interval_s=0.05)
    (check,) = result.checks
    assert check.status == "passed"
    assert 0 < check.waited_s < 5


def test_polling_gives_up_at_the_timeout_and_reports_the_wait() -> None:
    started = time.monotonic()
    result = grade_with(
        FakeTransport([claim("Pending")]),
        NS,
        lab_of(PVC_CHECK, timeout_s=0.4),
        poll_interval_s=0.05,
    )
    (check,) = result.checks
    assert check.status == "failed"
    assert 0.3 <= check.waited_s <= 1.0
    assert time.monotonic() - started < 3


def test_without_name_any_labelled_object_may_match() -> None:
    pods = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": n, "labels": {"app": "web"}},
            "status": {"phase": phase},
        }
        for n, phase in (("a", "Pending"), ("b", "Running"))
    ]
    check = {
        "id": "a-web-pod-runs",
        "title": "A web pod runs",
        "points": 1,
        "assert": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"labels": {"app": "web"}},
            "status": {"phase": "Running"},
        },
    }
    assert grade_with(FakeTransport(pods), NS, lab_of(check)).passed
    pods[1]["status"]["phase"] = "Failed"
    (failed,) = grade_with(FakeTransport(pods), NS, lab_of(check)).checks
    assert failed.message == "None of the 2 Pod objects matches; the closest is shown."


def test_error_kind_fails_when_a_forbidden_object_exists() -> None:
    check = {
        "id": "no-claim-is-pending",
        "title": "No claim is pending",
        "points": 1,
        "error": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "status": {"phase": "Pending"},
        },
    }
    (failed,) = grade_with(FakeTransport([claim("Pending")]), NS, lab_of(check)).checks
    assert failed.status == "failed"
    assert failed.subject == "v1 PersistentVolumeClaim lab-07-storage/data"
    assert grade_with(FakeTransport([claim("Bound")]), NS, lab_of(check)).passed


def test_access_posts_a_review_for_the_service_account() -> None:
    check = {
        "id": "reader-cannot-delete-pods",
        "title": "Reader cannot delete",
        "points": 1,
        "access": {
            "service_account": "reader",
            "verb": "delete",
            "resource": "pods",
            "allowed": False,
        },
    }
    transport = FakeTransport()
    reviews: list[dict[str, Any]] = []
    transport.allowed = lambda review: reviews.append(review) or True
    (failed,) = grade_with(transport, NS, lab_of(check)).checks
    assert [m.describe() for m in failed.mismatches] == [
        'answer: expected "denied", found "allowed"'
    ]
    assert reviews[0]["spec"]["user"] == "system:serviceaccount:lab-07-storage:reader"
    assert "system:serviceaccounts:lab-07-storage" in reviews[0]["spec"]["groups"]
    transport.allowed = lambda review: False
    assert grade_with(transport, NS, lab_of(check)).passed


def test_exec_compares_exit_code_and_output() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "web"}]},
        "status": {"phase": "Running"},
    }
    check = {
        "id": "file-is-on-the-volume",
        "title": "The file is there",
        "points": 1,
        "exec": {"pod": "web", "command": ["cat", "/data/hello"], "stdout_contains": "hello"},
    }
    transport = FakeTransport([pod])
    transport.exec_output = ExecOutput(1, "", "cat: can't open '/data/hello'")
    (failed,) = grade_with(transport, NS, lab_of(check)).checks
    assert [m.describe() for m in failed.mismatches] == [
        "exit code: expected 0, found 1",
        'stdout: expected text containing "hello", found ""',
    ]
    assert failed.evidence == ("stderr: cat: can't open '/data/hello'",)
    assert failed.subject == f"$ cat /data/hello  (pod {NS}/web, web)"
    # a long script is shown as the author words it
    check["exec"] = {**check["exec"], "shown_as": "reads the greeting file"}
    (failed,) = grade_with(transport, NS, lab_of(check)).checks
    assert failed.subject == f"reads the greeting file  (pod {NS}/web, web)"
    transport.exec_output = ExecOutput(0, "hello world\n", "")
    assert grade_with(transport, NS, lab_of(check)).passed


def test_reach_blocked_requires_a_timeout_not_a_refusal() -> None:
    check = {
        "id": "db-is-isolated",
        "title": "DB isolated",
        "points": 1,
        "reach": {"tcp": "db:5432", "reachable": False},
    }
    transport = FakeTransport()
    transport.exec_output = ExecOutput(1, "", "nc: db (10.0.0.5:5432): Connection refused")
    (failed,) = grade_with(transport, NS, lab_of(check), keep_probe=False).checks
    assert failed.why is not None and "refused rather than blocked" in failed.why
    transport.exec_output = ExecOutput(143, "", "")  # busybox timeout killed the client
    assert grade_with(transport, NS, lab_of(check), keep_probe=False).passed
    deleted = [path for method, path in transport.requests if method == "DELETE"]
    assert len(deleted) == 2 and "kklab-probe-" in deleted[0]
    assert not any("kklab-probe-" in path for path in transport.objects)


def test_probe_pod_is_reused_while_it_has_lifetime_left() -> None:
    check = {
        "id": "web-answers",
        "title": "web answers",
        "points": 1,
        "reach": {"url": "http://web/"},
    }
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    transport = FakeTransport()
    transport.exec_output = ExecOutput(0, "ok", "  HTTP/1.1 200 OK")
    ended = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kklab-probe-old", "labels": {PROBE_LABEL: "probe"}},
        "status": {"phase": "Failed", "reason": "DeadlineExceeded"},
    }
    transport.add(ended)
    assert grade_with(transport, NS, lab_of(check)).passed
    probes = [path for path in transport.objects if "kklab-probe-" in path]
    assert len(probes) == 1 and not probes[0].endswith("kklab-probe-old")  # ended one deleted
    transport.objects[probes[0]]["status"]["startTime"] = started
    assert grade_with(transport, NS, lab_of(check)).passed
    assert [method for method, path in transport.requests if method == "POST"] == ["POST"]
    assert [path for path in transport.objects if "kklab-probe-" in path] == probes


def test_python_check_must_return_an_outcome() -> None:
    def good(context: Any) -> Outcome:
        return Outcome(passed=context.namespace == NS)

    def bad(context: Any) -> Any:
        return True

    lab = parse_lab(
        {
            "lab": "07-storage",
            "title": "S",
            "timeout_s": 0,
            "exercises": [
                {
                    "id": "1",
                    "title": "T",
                    "checks": [
                        {"id": "good", "title": "g", "points": 1, "python": "good"},
                        {"id": "bad", "title": "b", "points": 1, "python": "bad"},
                    ],
                }
            ],
        },
        functions={"good": good, "bad": bad},
    )
    good_result, bad_result = grade_with(FakeTransport(), NS, lab).checks
    assert good_result.passed
    assert bad_result.status == "error"
    assert bad_result.message.startswith("check function bad returned bool")


def test_unreachable_api_gives_error_results_quickly() -> None:
    class Down(FakeTransport):
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            raise ClusterError("the Kubernetes API server at https://fake:6443 did not answer")

    started = time.monotonic()
    result = grade_with(Down(), NS, lab_of(PVC_CHECK, timeout_s=30))
    (check,) = result.checks
    assert check.status == "error"
    assert "did not answer" in check.message
    assert time.monotonic() - started < 2
    assert "Traceback" not in render_text(result) + render_json(result)


def test_hanging_api_is_bounded_by_the_preflight(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    class Hanging(FakeTransport):
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            release.wait(10)
            raise ClusterError("late")

    monkeypatch.setattr(engine, "PREFLIGHT_TIMEOUT_S", 0.3)
    started = time.monotonic()
    (check,) = grade_with(Hanging(), NS, lab_of(PVC_CHECK, timeout_s=30)).checks
    release.set()
    assert check.status == "error"
    assert "did not answer within" in check.message
    assert time.monotonic() - started < 2


def test_secret_values_never_appear_in_any_output() -> None:
    value = "hunter2-value"
    encoded = base64.b64encode(value.encode()).decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"password": encoded},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "web"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "web",
                    "ready": False,
                    "restartCount": 2,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                }
            ],
        },
    }
    checks = [
        {
            "id": "pod-is-ready",
            "title": "Ready",
            "points": 1,
            "assert": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "web"},
                "status": {"containerStatuses": [{"name": "web", "ready": True}]},
            },
        },
        {
            "id": "secret-has-password",
            "title": "Secret",
            "points": 1,
            "assert": {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "db"},
                "data": {"password": "d3Jvbmc="},
            },
        },
    ]
    transport = FakeTransport([secret, pod])
    transport.logs = f"connecting with password {value}\n"
    result = grade_with(transport, NS, lab_of(*checks))
    outputs = render_text(result) + render_json(result) + result._repr_html_()
    assert "password <redacted>" in outputs
    assert value not in outputs and encoded not in outputs
    assert 'data.password: expected "<redacted>", found "<redacted>"' in outputs


def test_hidden_checks_run_only_when_included() -> None:
    hidden = {**PVC_CHECK, "hidden": True}
    transport = FakeTransport([claim("Bound")])
    assert grade_with(transport, NS, lab_of(hidden)).checks == ()
    (check,) = grade_with(transport, NS, lab_of(hidden), include_hidden=True).checks
    assert check.hidden and check.passed


def test_scrubbed_result_hides_values_in_every_field() -> None:
    from kklab.grading.matching import Mismatch
    from kklab.grading.results import CheckResult

    value = "Hx7-passphrase-2026"
    encoded = base64.b64encode(value.encode()).decode()
    redactor = Redactor.from_secrets([{"kind": "Secret", "data": {"password": encoded}}])
    result = CheckResult(
        lab="04-config",
        exercise="4",
        check_id="password-is-a-file",
        title=f"The file holds {value}",
        status="failed",
        points_earned=0,
        points_possible=1,
        message=f"found {value}",
        subject=f"v1 Pod {NS}/db",
        why=f"{encoded} is the encoded form",
        hints=(f"write {value} into the file",),
        mismatches=(Mismatch("spec.containers[db].env[PW].value", None, value, "differs"),),
        evidence=(f"log: connecting with {value}",),
    )
    scrubbed = redactor.scrub_result(result)
    outputs = render_text(scrubbed, hint_level=9) + repr(scrubbed)
    assert value not in outputs and encoded not in outputs
    assert "<redacted>" in scrubbed.title and "<redacted>" in scrubbed.hints[0]


def test_service_account_token_secrets_hide_only_the_token() -> None:
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    token_secret = {
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "data": {"namespace": b64(NS), "ca.crt": b64("-----BEGIN CERT"), "token": b64("eyJtok")},
    }
    redactor = Redactor.from_secrets([token_secret])
    assert redactor.scrub(f"pod {NS}/web read eyJtok") == f"pod {NS}/web read <redacted>"


def test_api_lost_mid_run_keeps_passed_checks_and_errors_the_rest() -> None:
    pending_check = {**PVC_CHECK, "id": "pvc-is-bound"}
    exists_check = {
        "id": "pvc-exists",
        "title": "The claim exists",
        "points": 1,
        "assert": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
        },
    }

    class Vanishing(FakeTransport):
        calls = 0

        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls > 4:  # /version, discovery, the claim, a second round's claim
                raise ClusterError("the Kubernetes API server at https://fake:6443 did not answer")
            return super().request(method, path, **kwargs)

    transport = Vanishing([claim("Pending")])
    result = grade_with(
        transport, NS, lab_of(exists_check, pending_check, timeout_s=30), sleep=lambda s: None
    )
    exists, pending = result.checks
    assert exists.status == "passed"
    assert pending.status == "error" and "did not answer" in pending.message


class FakeTime:
    """A clock that moves only when the engine sleeps: polling costs no wall time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps = 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += max(seconds, 0.01)


def running_pod(name: str, image: str = "busybox:1.35", **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "main", "image": image}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": True,
                    "state": {"running": {"startedAt": "2020-01-01T00:00:00Z"}},
                }
            ],
            **status,
        },
    }


IMAGE_CHECK = {
    "id": "web-runs-busybox-1-35",
    "title": "web runs busybox 1.35",
    "points": 1,
    "assert": {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.35"}]},
    },
}


def _graded(transport: FakeTransport, check: dict[str, Any]) -> tuple[Any, FakeTime, int]:
    fake_time = FakeTime()
    result = grade_with(
        transport, NS, lab_of(check, timeout_s=15), sleep=fake_time.sleep, clock=fake_time.clock
    )
    (checked,) = result.checks
    reads = sum(1 for method, path in transport.requests if path.endswith("/pods/web"))
    return checked, fake_time, reads


def test_a_settled_spec_mismatch_is_reported_after_one_attempt() -> None:
    transport = FakeTransport([running_pod("web", image="busybox:1.36")])
    checked, fake_time, reads = _graded(transport, IMAGE_CHECK)
    assert (checked.status, checked.settled, checked.waited_s) == ("failed", True, 0.0)
    assert (reads, fake_time.sleeps) == (1, 0)
    assert checked.to_dict()["settled"] is True


def test_a_missing_object_in_a_settled_namespace_is_reported_at_once() -> None:
    checked, fake_time, reads = _graded(FakeTransport([running_pod("other")]), IMAGE_CHECK)
    assert (checked.status, checked.settled, reads, fake_time.sleeps) == ("failed", True, 1, 0)


def test_a_status_mismatch_keeps_polling_until_the_timeout() -> None:
    check = {
        **IMAGE_CHECK,
        "assert": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "status": {"phase": "Succeeded"},
        },
    }
    checked, fake_time, reads = _graded(FakeTransport([running_pod("web")]), check)
    assert (checked.status, checked.settled) == ("failed", False)
    assert reads > 10 and fake_time.sleeps > 10 and checked.waited_s >= 14


def test_a_settling_namespace_keeps_a_spec_mismatch_polling() -> None:
    starting = running_pod(
        "starting",
        phase="Pending",
        containerStatuses=[
            {"name": "main", "ready": False, "state": {"waiting": {"reason": "ContainerCreating"}}}
        ],
    )
    transport = FakeTransport([running_pod("web", image="busybox:1.36"), starting])
    checked, fake_time, reads = _graded(transport, IMAGE_CHECK)
    assert (checked.status, checked.settled) == ("failed", False)
    assert reads > 10 and fake_time.sleeps > 10


def test_a_pod_stuck_for_good_does_not_keep_a_mismatch_polling() -> None:
    stuck = running_pod(
        "stuck",
        phase="Pending",
        containerStatuses=[
            {"name": "main", "ready": False, "state": {"waiting": {"reason": "ImagePullBackOff"}}}
        ],
    )
    transport = FakeTransport([running_pod("web", image="busybox:1.36"), stuck])
    checked, fake_time, reads = _graded(transport, IMAGE_CHECK)
    assert (checked.status, checked.settled, reads, fake_time.sleeps) == ("failed", True, 1, 0)


def test_a_status_mismatch_of_a_pod_at_rest_is_final() -> None:
    """A pod that ended or crash-loops will not become Running by itself: no polling."""
    check = {
        **IMAGE_CHECK,
        "assert": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "status": {"phase": "Running"},
        },
    }
    ended = running_pod("web", phase="Succeeded")
    checked, fake_time, reads = _graded(FakeTransport([ended]), check)
    assert (checked.status, checked.settled, reads, fake_time.sleeps) == ("failed", True, 1, 0)
    looping = running_pod(
        "web",
        phase="Pending",
        containerStatuses=[
            {"name": "main", "ready": False, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
        ],
    )
    checked, fake_time, reads = _graded(FakeTransport([looping]), check)
    assert (checked.status, checked.settled, fake_time.sleeps) == ("failed", True, 0)


def test_a_right_answer_still_passes_and_a_late_one_is_waited_for() -> None:
    transport = FakeTransport([running_pod("web")])
    checked, fake_time, _ = _graded(transport, IMAGE_CHECK)
    assert checked.passed and fake_time.sleeps == 0
    starting = running_pod("web", phase="Pending", containerStatuses=[])
    transport = FakeTransport([{**starting, "spec": {"containers": []}}])
    gets = {"count": 0}

    def fix_after_a_few_reads(fake: FakeTransport) -> None:
        gets["count"] += 1
        if gets["count"] == 20:
            fake.add(running_pod("web"))

    transport.on_get = fix_after_a_few_reads
    checked, fake_time, reads = _graded(transport, IMAGE_CHECK)
    assert checked.passed and reads > 1 and fake_time.sleeps > 0


def test_an_error_check_on_written_fields_settles_and_on_status_polls() -> None:
    forbidden_image = {
        "id": "no-pod-runs-1-36",
        "title": "No pod runs 1.36",
        "points": 1,
        "error": {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": {"containers": [{"image": "busybox:1.36"}]},
        },
    }
    transport = FakeTransport([running_pod("web", image="busybox:1.36")])
    checked, fake_time, _ = _graded(transport, forbidden_image)
    assert (checked.status, checked.settled, fake_time.sleeps) == ("failed", True, 0)
    forbidden_phase = {
        **forbidden_image,
        "error": {"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Running"}},
    }
    checked, fake_time, _ = _graded(
        FakeTransport([running_pod("web", image="busybox:1.36")]), forbidden_phase
    )
    assert (checked.status, checked.settled) == ("failed", False) and fake_time.sleeps > 10


def test_python_checks_settle_only_when_they_say_so() -> None:
    calls = {"plain": 0, "settled": 0}

    def plain(context: Any) -> Outcome:
        calls["plain"] += 1
        return Outcome(passed=False, message="not yet")

    def settled(context: Any) -> Outcome:
        calls["settled"] += 1
        return Outcome(passed=False, message="wrong for good", settled=True)

    lab = parse_lab(
        {
            "lab": "07-storage",
            "title": "Storage",
            "timeout_s": 15,
            "exercises": [
                {
                    "id": "1",
                    "title": "x",
                    "checks": [
                        {"id": "plain", "title": "p", "points": 1, "python": "plain"},
                        {"id": "settled", "title": "s", "points": 1, "python": "settled"},
                    ],
                }
            ],
        },
        functions={"plain": plain, "settled": settled},
    )
    fake_time = FakeTime()
    grade_with(FakeTransport(), NS, lab, sleep=fake_time.sleep, clock=fake_time.clock)
    assert calls["settled"] == 1 and calls["plain"] > 10


def test_an_unreadable_kind_means_not_settled() -> None:
    class Forbidden(FakeTransport):
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            if path.endswith("/jobs"):
                raise ApiStatusError(403, "jobs is forbidden")
            return super().request(method, path, **kwargs)

    checked, fake_time, _ = _graded(
        Forbidden([running_pod("web", image="busybox:1.36")]), IMAGE_CHECK
    )
    assert (checked.status, checked.settled) == ("failed", False) and fake_time.sleeps > 10


def test_evidence_shows_only_events_of_the_objects_current_uid() -> None:
    web = running_pod("web", image="busybox:1.36")
    web["metadata"]["uid"] = "second-attempt"

    def event(name: str, uid: str, reason: str, message: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name},
            "involvedObject": {"kind": "Pod", "name": "web", "uid": uid},
            "type": "Warning",
            "reason": reason,
            "message": message,
        }

    earlier = event("web.1", "first-attempt", "FailedMount", "configmap missing")
    current = event("web.2", "second-attempt", "BackOff", "back-off restarting")
    transport = FakeTransport([web, earlier, current])
    (checked,) = grade_with(transport, NS, lab_of(IMAGE_CHECK)).checks
    assert checked.status == "failed"
    assert any("BackOff" in line for line in checked.evidence)
    assert not any("FailedMount" in line for line in checked.evidence)


def test_a_missing_object_names_near_misses_and_other_namespaces() -> None:
    check = {**IMAGE_CHECK, "assert": {**IMAGE_CHECK["assert"], "metadata": {"name": "hello"}}}
    typo = running_pod("helo")
    elsewhere = running_pod("hello")
    elsewhere["metadata"]["namespace"] = "default"
    (checked,) = grade_with(FakeTransport([typo, elsewhere]), NS, lab_of(check)).checks
    assert checked.status == "failed"
    assert checked.why == (
        "found pod helo: did you mean hello? pod hello exists in namespace default, not"
        f" {NS}: create it in {NS} (did you pass -n, or does your context point at another"
        f" namespace? `kubectl config set-context --current --namespace {NS}` makes {NS} the"
        " default)."
    )


def test_looking_for_a_missing_object_elsewhere_is_best_effort() -> None:
    class Sandboxed(FakeTransport):
        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            if method == "GET" and path == "/api/v1/pods":
                raise ApiStatusError(403, "pods is forbidden at the cluster scope")
            return super().request(method, path, **kwargs)

    check = {**IMAGE_CHECK, "assert": {**IMAGE_CHECK["assert"], "metadata": {"name": "hello"}}}
    elsewhere = running_pod("hello")
    elsewhere["metadata"]["namespace"] = "default"
    (checked,) = grade_with(Sandboxed([running_pod("helo"), elsewhere]), NS, lab_of(check)).checks
    assert (checked.status, checked.why) == ("failed", "found pod helo: did you mean hello?")
    (checked,) = grade_with(Sandboxed([running_pod("web")]), NS, lab_of(check)).checks
    assert (checked.status, checked.why) == ("failed", None)


LOG_CHECK = {
    "id": "hello-says-hello",
    "title": "hello printed its greeting",
    "points": 1,
    "logs": {"pod": "web", "contains": "Hello from Kubernetes"},
}


def test_a_logs_check_passes_on_the_text_and_fails_with_what_was_printed() -> None:
    just_started = running_pod("web")
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    just_started["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] = started
    transport = FakeTransport([just_started])
    transport.logs = "booting\nHello from Kubernetes\n"
    checked, _time, _reads = _graded(transport, LOG_CHECK)
    assert checked.passed
    transport.logs = "Hello from the cluster\n"
    checked, fake_time, _reads = _graded(transport, LOG_CHECK)
    assert checked.status == "failed" and not checked.settled  # just started: may print it
    assert [m.describe() for m in checked.mismatches] == [
        'log: expected text containing "Hello from Kubernetes", found "Hello from the cluster"'
    ]
    assert fake_time.sleeps > 10
    # One that has run for a while (since 2020 here) is taken at its word.
    checked, fake_time, _reads = _graded(FakeTransport([running_pod("web")]), LOG_CHECK)
    assert (checked.status, checked.settled, fake_time.sleeps) == ("failed", True, 0)


def test_a_logs_check_on_a_container_at_rest_is_final() -> None:
    ended = running_pod("web", phase="Succeeded")
    ended["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 0}}
    transport = FakeTransport([ended])
    transport.logs = ""
    checked, fake_time, _reads = _graded(transport, LOG_CHECK)
    assert (checked.status, checked.settled, fake_time.sleeps) == ("failed", True, 0)
    assert checked.message == "The container has printed nothing."


def test_a_logs_check_names_a_missing_container_and_an_absent_text() -> None:
    transport = FakeTransport([running_pod("web")])
    wrong_container = {**LOG_CHECK, "logs": {"pod": "web", "container": "app", "contains": "x"}}
    checked, _time, _reads = _graded(transport, wrong_container)
    assert checked.message == "Pod web has no container app."
    transport.logs = "GET /cart 200\nERROR disk full\n"
    absent = {**LOG_CHECK, "logs": {"pod": "web", "absent": "ERROR", "matches": r"^GET /\w+ 200$"}}
    checked, _time, _reads = _graded(transport, absent)
    assert [m.describe() for m in checked.mismatches] == [
        'log: expected "no line with \'ERROR\'", found "ERROR disk full"'
    ]


def test_a_logs_check_without_anything_to_look_for_is_refused() -> None:
    with pytest.raises(GraderSpecError, match="logs needs contains, matches or absent"):
        lab_of({**LOG_CHECK, "logs": {"pod": "web"}})


HOLDS_CHECK = {
    "id": "web-stops-restarting",
    "title": "web stops restarting",
    "points": 1,
    "holds_s": 10,
    "assert": {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "status": {"containerStatuses": [{"name": "main", "ready": True}]},
    },
}


def test_a_check_that_must_hold_passes_only_after_holding() -> None:
    transport = FakeTransport([running_pod("web")])
    checked, fake_time, reads = _graded(transport, HOLDS_CHECK)
    assert checked.passed and fake_time.now >= 1000.0 + 10 and reads > 10


def test_a_check_that_breaks_while_holding_fails_with_how_long_it_held() -> None:
    """Ready, but not at 5-6 s and 14-16 s: it never holds 10 s; the last stretch is 9 s."""
    fake_time = FakeTime()
    transport = FakeTransport()

    def flap(fake: FakeTransport) -> None:
        pod = running_pod("web")
        now = fake_time.now
        pod["status"]["containerStatuses"][0]["ready"] = not (
            1005 <= now < 1006 or 1014 <= now < 1016
        )
        fake.add(pod)

    transport.on_get = flap
    result = grade_with(
        transport,
        NS,
        lab_of(HOLDS_CHECK, timeout_s=15),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    (checked,) = result.checks
    assert checked.status == "failed"
    assert checked.message == "It passed, but only for the last 9 s; it must hold for 10 s."


def test_exec_in_a_crash_looping_pod_is_reported_at_once() -> None:
    looping = running_pod("web")
    looping["status"]["containerStatuses"][0].update(
        ready=False, state={"waiting": {"reason": "CrashLoopBackOff"}}
    )
    check = {
        "id": "web-serves",
        "title": "web serves",
        "points": 1,
        "exec": {"pod": "web", "command": ["wget", "-qO-", "http://localhost/"]},
    }
    transport = FakeTransport([looping])

    def refuse(*args: Any) -> ExecOutput:
        raise ApiStatusError(400, 'container not found ("main")')

    transport.exec = refuse  # type: ignore[method-assign]
    checked, fake_time, _reads = _graded(transport, check)
    assert (checked.status, checked.settled, fake_time.sleeps) == ("failed", True, 0)
    assert "container main is not running (CrashLoopBackOff)" in checked.message
    # the same refusal from a container that is merely restarting keeps polling
    restarting = running_pod("web")
    restarting["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "ContainerCreating"}
    }
    transport = FakeTransport([restarting])
    transport.exec = refuse  # type: ignore[method-assign]
    checked, fake_time, _reads = _graded(transport, check)
    assert (checked.status, checked.settled) == ("failed", False) and fake_time.sleeps > 10
