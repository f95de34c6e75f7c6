"""Every check kind against real objects, each seen passing and failing.

One namespace (the "scene") is prepared once for the module: a web pod serving
HTTP on 8080, Services right and wrong, a silent server that accepts connections
and never answers, a Pending claim, a Secret, a ConfigMap and a ServiceAccount
with a Role. Each test grades a small grader written as YAML text; checks that
must fail use ``timeout_s: 0`` (checked once) so the module stays quick.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kklab.grading import grade, render_html, render_json, render_text
from tests.cluster.grading_helpers import (
    Objects,
    by_id,
    container,
    lab_from_yaml,
    pod,
    scratch_namespace,
    service,
)
from tests.helpers import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

SECRET_VALUE = "s3cr3t-Pa55w0rd"
HTTPD = "mkdir -p /www && echo 'hello from web' > /www/index.html && exec httpd -f -p 8080 -h /www"


def _scene(namespace: str) -> list[dict[str, Any]]:
    web = pod(
        "web",
        {"app": "web", "tier": "front"},
        container(
            "web",
            ["sh", "-c", HTTPD],
            ports=[{"name": "http", "containerPort": 8080}],
            env=[
                {"name": "A", "value": "1"},
                {"name": "B", "value": "2"},
                {
                    "name": "DB_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                },
            ],
            readinessProbe={"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
        ),
        container("sidecar", ["sleep", "3600"]),
    )
    silent = pod(
        "silent",
        {"app": "silent"},
        # Accepts every connection and never answers (a stand-in for a dropped packet).
        container("main", ["nc", "-ll", "-p", "9000", "-e", "sleep", "3600"]),
    )
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db"},
            "stringData": {"password": SECRET_VALUE},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"mode": "production"},
        },
        web,
        silent,
        service("web", {"app": "web"}, 8080, 8080),
        service("web-typo", {"app": "wbe"}, 8080, 8080),
        service("web-wrong-port", {"app": "web"}, 8080, 8081),
        service("silent", {"app": "silent"}, 9000, 9000),
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "storageClassName": "standard",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "10Mi"}},
            },
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader"}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "pod-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "reader-reads-pods"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "pod-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        },
    ]


@pytest.fixture(scope="module")
def scene(cluster: Any) -> Iterator[Objects]:
    with scratch_namespace(cluster.api_client) as namespace:
        objects = Objects(cluster.api_client, namespace)
        objects.create(*_scene(namespace))
        objects.wait_ready("web", "silent")
        yield objects


def _grade(cluster: Any, scene: Objects, tmp_path: Path, text: str, **kwargs: Any) -> Any:
    lab = lab_from_yaml(tmp_path, text, **kwargs)
    return grade(cluster.api_client, scene.namespace, lab)


def _texts(result: Any) -> str:
    return render_text(result) + render_json(result) + render_html(result)


def test_assert_by_name_matches_lists_by_key_in_any_order(
    cluster: Any, scene: Objects, tmp_path: Path
) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: assert by name
        timeout_s: 20
        exercises:
          - id: "1"
            title: The web pod
            checks:
              - id: web-runs-with-its-env
                title: web runs busybox with A and B set
                points: 2
                success: web is running.
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: web, labels: {tier: front, debug: null}}
                  spec:
                    containers:          # listed in the other order, env too
                      - name: sidecar
                        command: [sleep, "3600"]
                      - name: web
                        image: busybox:1.35
                        ports: [{containerPort: 8080, name: http}]
                        env: [{name: B, value: "2"}, {name: A, value: "1"}]
                  status: {phase: Running}
              - id: web-runs-nginx
                title: web runs nginx
                points: 1
                timeout_s: 0
                hints: [Look at the image of the web container.]
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: web}
                  spec:
                    containers: [{name: web, image: "nginx:1.19"}]
              - id: sidecar-command-in-order
                title: the sidecar's command is compared in order
                points: 1
                timeout_s: 0
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: web}
                  spec:
                    containers: [{name: sidecar, command: ["3600", sleep]}]
              - id: api-pod-exists
                title: a pod named api exists
                points: 1
                timeout_s: 0
                assert: {apiVersion: v1, kind: Pod, metadata: {name: api}}
        """,
    )
    checks = by_id(result)
    passed = checks["web-runs-with-its-env"]
    assert passed.status == "passed", render_text(passed)
    assert passed.points_earned == 2 and passed.message == "web is running."
    assert passed.waited_s < 1  # the scene was ready: nothing to wait for

    image = checks["web-runs-nginx"]
    assert image.status == "failed"
    assert image.subject == f"v1 Pod {scene.namespace}/web"
    assert [m.describe() for m in image.mismatches] == [
        'spec.containers[name=web].image: expected "nginx:1.19", found "busybox:1.35"'
    ]
    assert "Hint: Look at the image of the web container." in render_text(image)

    assert [m.describe() for m in checks["sidecar-command-in-order"].mismatches] == [
        'spec.containers[name=sidecar].command[0]: expected "3600", found "sleep"',
        'spec.containers[name=sidecar].command[1]: expected "sleep", found "3600"',
    ]

    missing = checks["api-pod-exists"]
    assert missing.status == "failed"
    assert [m.describe() for m in missing.mismatches] == [
        f'expected Pod "api" in namespace {scene.namespace}, found nothing'
    ]
    assert not result.passed and result.points_earned == 2 and result.points_possible == 5


def test_assert_without_name_uses_labels_as_a_selector(
    cluster: Any, scene: Objects, tmp_path: Path
) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: assert by selector
        timeout_s: 20
        exercises:
          - id: "1"
            title: Any front pod
            checks:
              - id: a-front-pod-runs
                title: some pod labelled tier=front runs
                points: 1
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {labels: {tier: front}}
                  status: {phase: Running}
              - id: a-db-pod-runs
                title: some pod labelled app=db runs
                points: 1
                timeout_s: 0
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {labels: {app: db}}
              - id: some-pod-has-a-db-container
                title: some pod has a container named db
                points: 1
                timeout_s: 0
                assert:
                  apiVersion: v1
                  kind: Pod
                  spec: {containers: [{name: db}]}
        """,
    )
    checks = by_id(result)
    assert checks["a-front-pod-runs"].passed
    assert checks["a-front-pod-runs"].subject == f"v1 Pod {scene.namespace}/web"
    assert [m.describe() for m in checks["a-db-pod-runs"].mismatches] == [
        f"expected a Pod labelled app=db in namespace {scene.namespace}, found nothing"
    ]
    closest = checks["some-pod-has-a-db-container"]
    assert closest.status == "failed"
    assert closest.message.startswith("None of the ")  # web, silent (probe pods never count)
    assert closest.mismatches[0].path == "spec.containers[name=db]"


def test_jmespath_expressions_on_live_status(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: expressions
        timeout_s: 20
        exercises:
          - id: "1"
            title: Computed conditions
            checks:
              - id: web-is-ready-and-labelled
                title: web is ready, labelled app, never restarted below zero
                points: 1
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata:
                    name: web
                    (labels.app != null): true
                  spec:
                    (length(containers)): 2
                  status:
                    (contains(['Running', 'Succeeded'], phase)): true
                    (containerStatuses[?name == 'web'] | [0].restartCount >= `0`): true
                    (conditions[?type == 'Ready']): {status: "True"}
              - id: web-has-finished
                title: web has finished
                points: 1
                timeout_s: 0
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: web}
                  status:
                    (contains(['Succeeded', 'Failed'], phase)): true
                    (conditions[?type == 'PodScheduled']): {status: "False"}
        """,
    )
    checks = by_id(result)
    assert checks["web-is-ready-and-labelled"].passed, render_text(result)
    failed = checks["web-has-finished"]
    assert [m.describe() for m in failed.mismatches] == [
        'status.(conditions[?type == \'PodScheduled\'])[0].status: expected "False", found "True"',
        "status.(contains(['Succeeded', 'Failed'], phase)): expected true, found false",
    ]


def test_error_passes_only_when_no_object_matches(
    cluster: Any, scene: Objects, tmp_path: Path
) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: error
        timeout_s: 0
        exercises:
          - id: "1"
            title: Forbidden states
            checks:
              - id: no-pod-is-privileged
                title: no pod runs privileged
                points: 1
                error:
                  apiVersion: v1
                  kind: Pod
                  spec: {containers: [{securityContext: {privileged: true}}]}
              - id: no-front-pod-is-left
                title: no pod labelled tier=front is left
                points: 1
                error:
                  apiVersion: v1
                  kind: Pod
                  metadata: {labels: {tier: front}}
        """,
    )
    checks = by_id(result)
    assert checks["no-pod-is-privileged"].passed
    left = checks["no-front-pod-is-left"]
    assert left.status == "failed"
    assert left.subject == f"v1 Pod {scene.namespace}/web"
    assert [m.describe() for m in left.mismatches] == ["expected no Pod like this, found it"]
    assert left.message == "It has every field this check forbids."


def test_exec_matches_exit_code_and_output(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: exec
        timeout_s: 0
        exercises:
          - id: "1"
            title: Inside the container
            checks:
              - id: index-says-hello
                title: the page says hello
                points: 1
                exec:
                  pod: web
                  container: web
                  command: [cat, /www/index.html]
                  stdout_matches: '^hello from \\w+'
              - id: sidecar-exits-3
                title: the sidecar runs a shell that exits 3
                points: 1
                exec:
                  selector: {app: web}
                  container: sidecar
                  command: [sh, -c, "echo out; exit 3"]
                  exit_code: 3
                  stdout_contains: out
              - id: data-file-exists
                title: /data/hello exists
                points: 1
                exec:
                  pod: web
                  command: [cat, /data/hello]
                  stdout_contains: hello
              - id: kubectl-is-installed
                title: kubectl is installed in web
                points: 1
                exec: {pod: web, command: [kubectl, version]}
        """,
    )
    checks = by_id(result)
    assert checks["index-says-hello"].passed, render_text(result)
    assert checks["sidecar-exits-3"].passed, render_text(result)
    missing = checks["data-file-exists"]
    assert missing.subject == f"$ cat /data/hello  (pod {scene.namespace}/web, web)"
    assert [m.describe() for m in missing.mismatches] == [
        "exit code: expected 0, found 1",
        'stdout: expected text containing "hello", found ""',
    ]
    assert missing.evidence == ("stderr: cat: can't open '/data/hello': No such file or directory",)
    not_found = checks["kubectl-is-installed"]
    assert [m.describe() for m in not_found.mismatches] == ["exit code: expected 0, found 126"]
    assert not_found.message == "The command could not start: there is no kubectl in the container."


def test_logs_read_what_a_container_printed(cluster: Any, tmp_path: Path) -> None:
    talker = pod(
        "talker",
        {"app": "talker"},
        container("main", ["sh", "-c", "echo starting; echo 'GET /cart 200'; sleep 3600"]),
    )
    with scratch_namespace(cluster.api_client) as namespace:
        objects = Objects(cluster.api_client, namespace)
        objects.create(talker)
        objects.wait_ready("talker")
        lab = lab_from_yaml(
            tmp_path,
            """
            lab: 90-grading-test
            title: logs
            timeout_s: 0
            exercises:
              - id: "1"
                title: What it printed
                checks:
                  - id: talker-logged-a-request
                    title: talker logged a request line
                    points: 1
                    logs: {pod: talker, matches: '^GET /\\w+ \\d{3}$', absent: ERROR}
                  - id: talker-said-ready
                    title: talker said ready
                    points: 1
                    logs: {selector: {app: talker}, contains: ready}
                  - id: talker-crashed-before
                    title: talker's previous instance said goodbye
                    points: 1
                    logs: {pod: talker, previous: true, contains: goodbye}
            """,
        )
        result = grade(cluster.api_client, namespace, lab)
    checks = by_id(result)
    assert checks["talker-logged-a-request"].passed, render_text(result)
    said = checks["talker-said-ready"]
    assert [m.describe() for m in said.mismatches] == [
        'log: expected text containing "ready", found "starting\\nGET /cart 200"'
    ]
    assert said.subject == f"log of container main (pod {namespace}/talker)"
    never = checks["talker-crashed-before"]
    assert never.message == "Container main has not crashed yet, so there is no log to read."


def test_reach_http_by_service_dns_name(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: reach http
        timeout_s: 20
        exercises:
          - id: "1"
            title: The web Service
            checks:
              - id: web-answers-by-short-name
                title: http://web:8080/ says hello
                points: 1
                reach: {url: "http://web:8080/", body_contains: hello from web}
              - id: web-answers-by-full-name
                title: the full DNS name works too
                points: 1
                reach:
                  url: "http://web.{namespace}.svc.cluster.local:8080/index.html"
                  status: 200
              - id: missing-page-is-served
                title: /missing is served
                points: 1
                timeout_s: 0
                reach: {url: "http://web:8080/missing"}
              - id: typo-service-answers
                title: web-typo answers
                points: 1
                timeout_s: 0
                reach: {url: "http://web-typo:8080/"}
              - id: wrong-port-service-answers
                title: web-wrong-port answers
                points: 1
                timeout_s: 0
                reach: {url: "http://web-wrong-port:8080/"}
        """,
    )
    checks = by_id(result)
    assert checks["web-answers-by-short-name"].passed, render_text(result)
    assert checks["web-answers-by-full-name"].passed, render_text(result)
    missing = checks["missing-page-is-served"]
    assert missing.subject.startswith("HTTP GET http://web:8080/missing from pod ")
    assert [m.describe() for m in missing.mismatches] == ['HTTP status: expected "2xx", found 404']
    typo = checks["typo-service-answers"]
    assert typo.status == "failed"
    assert typo.why == (
        "the Service selects pods labelled app=wbe, but no pod has those labels (pods here:"
        " silent app=silent; web app=web,tier=front). Closest: pod web needs app=wbe"
        " (has app=web)."
    )
    wrong_port = checks["wrong-port-service-answers"]
    assert wrong_port.status == "failed"
    assert [m.describe() for m in wrong_port.mismatches] == [
        'connection: expected "connected", found "connection refused"'
    ]
    assert wrong_port.why == (
        "Service port 8080 forwards to port 8081 of the pods it selects, which declare"
        " containerPort 8080. A declaration routes nothing: traffic goes to port 8081 either"
        " way, so what matters is the port the application listens on; if it is 8080, make"
        " that the targetPort."
    )


def test_reach_tcp_and_expected_unreachable(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: reach tcp
        timeout_s: 20
        exercises:
          - id: "1"
            title: Connections
            checks:
              - id: web-port-is-open
                title: web.{namespace}.svc:8080 accepts connections
                points: 1
                reach: {tcp: "web.{namespace}.svc:8080"}
              - id: silent-gives-no-answer
                title: nothing answers on silent:9000
                points: 1
                reach: {url: "http://silent:9000/", reachable: false}
              - id: web-is-blocked
                title: web is blocked
                points: 1
                timeout_s: 0
                reach: {tcp: "web:8080", reachable: false}
              - id: wrong-port-is-blocked
                title: web-wrong-port is blocked
                points: 1
                timeout_s: 0
                reach: {tcp: "web-wrong-port:8080", reachable: false}
              - id: db-port-is-open
                title: db:5432 accepts connections
                points: 1
                timeout_s: 0
                reach: {tcp: "db:5432"}
        """,
    )
    checks = by_id(result)
    assert checks["web-port-is-open"].passed, render_text(result)
    assert checks["silent-gives-no-answer"].passed, render_text(result)
    blocked = checks["web-is-blocked"]
    assert [m.describe() for m in blocked.mismatches] == [
        'connection: expected "blocked (no answer)", found "connected"'
    ]
    refused = checks["wrong-port-is-blocked"]
    assert refused.status == "failed"
    assert refused.why is not None and "refused rather than blocked" in refused.why
    unknown = checks["db-port-is-open"]
    assert [m.describe() for m in unknown.mismatches] == [
        'connection: expected "connected", found "the name does not resolve"'
    ]


def test_access_reviews_allowed_and_denied(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: access
        timeout_s: 10
        exercises:
          - id: "1"
            title: RBAC
            checks:
              - id: reader-can-list-pods
                title: reader can list pods
                points: 1
                access: {service_account: reader, verb: list, resource: pods, allowed: true}
              - id: reader-cannot-delete-pods
                title: reader cannot delete pods
                points: 1
                access: {service_account: reader, verb: delete, resource: pods, allowed: false}
              - id: reader-can-read-secrets
                title: reader can read secrets
                points: 1
                timeout_s: 0
                access: {service_account: reader, verb: get, resource: secrets, allowed: true}
              - id: jane-cannot-list-pods-anywhere
                title: jane cannot list pods cluster-wide
                points: 1
                timeout_s: 0
                access: {user: jane, verb: list, resource: pods, namespace: "", allowed: false}
              - id: admin-group-is-denied
                title: system:masters is denied deleting deployments
                points: 1
                timeout_s: 0
                access:
                  user: someone
                  groups: ["system:masters"]
                  verb: delete
                  resource: deployments.apps
                  allowed: false
        """,
    )
    checks = by_id(result)
    assert checks["reader-can-list-pods"].passed, render_text(result)
    assert checks["reader-cannot-delete-pods"].passed
    assert checks["jane-cannot-list-pods-anywhere"].passed
    secrets = checks["reader-can-read-secrets"]
    assert secrets.subject == (
        f"can system:serviceaccount:{scene.namespace}:reader get secrets in {scene.namespace}?"
    )
    assert [m.describe() for m in secrets.mismatches] == [
        'answer: expected "allowed", found "denied"'
    ]
    masters = checks["admin-group-is-denied"]
    assert [m.describe() for m in masters.mismatches] == [
        'answer: expected "denied", found "allowed"'
    ]


PYTHON_CHECKS = """
from kklab.grading import CheckContext, Mismatch, Outcome


def mode_is_production(context: CheckContext) -> Outcome:
    settings = context.get("v1", "ConfigMap", "settings") or {}
    mode = settings.get("data", {}).get("mode")
    return Outcome(passed=mode == "production", message=f"mode is {mode}")


def mode_is_staging(context: CheckContext) -> Outcome:
    settings = context.get("v1", "ConfigMap", "settings") or {}
    mode = settings.get("data", {}).get("mode")
    mismatch = Mismatch("data.mode", "staging", mode, "differs")
    return Outcome(passed=False, subject="ConfigMap settings", mismatches=(mismatch,))


def two_pods_run(context: CheckContext) -> Outcome:
    running = [p for p in context.list("v1", "Pod") if p["status"]["phase"] == "Running"]
    return Outcome(passed=len(running) == 2, message=f"{len(running)} pods run")


def broken(context: CheckContext) -> Outcome:
    return context.get("v1", "ConfigMap", "missing")["data"]
"""


def test_python_checks_get_the_same_context(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: python
        timeout_s: 0
        exercises:
          - id: "1"
            title: Custom
            checks:
              - {id: mode-is-production, title: production, points: 1, python: mode_is_production}
              - {id: two-pods-run, title: two pods run, points: 1, python: two_pods_run}
              - {id: mode-is-staging, title: staging, points: 1, python: mode_is_staging}
              - {id: broken-check, title: broken, points: 1, python: broken}
        """,
        python=PYTHON_CHECKS,
    )
    checks = by_id(result)
    assert checks["mode-is-production"].passed
    assert checks["two-pods-run"].passed, render_text(result)
    staging = checks["mode-is-staging"]
    assert [m.describe() for m in staging.mismatches] == [
        'data.mode: expected "staging", found "production"'
    ]
    broken = checks["broken-check"]
    assert broken.status == "error"
    assert broken.message == (
        "check function failed: TypeError: 'NoneType' object is not subscriptable"
    )
    assert "Traceback" not in _texts(result)


def test_pending_claim_of_a_first_consumer_class_is_explained(
    cluster: Any, scene: Objects, tmp_path: Path
) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: storage
        timeout_s: 0
        exercises:
          - id: "1"
            title: Claims
            checks:
              - id: data-is-bound
                title: the claim data is bound
                points: 2
                hints: [A claim of this class binds when a pod uses it.]
                assert:
                  apiVersion: v1
                  kind: PersistentVolumeClaim
                  metadata: {name: data}
                  status: {phase: Bound}
              - id: data-is-pending
                title: the claim data waits
                points: 1
                assert:
                  apiVersion: v1
                  kind: PersistentVolumeClaim
                  metadata: {name: data}
                  spec: {storageClassName: standard}
                  status: {phase: Pending}
        """,
    )
    checks = by_id(result)
    assert checks["data-is-pending"].passed
    bound = checks["data-is-bound"]
    assert [m.describe() for m in bound.mismatches] == [
        'status.phase: expected "Bound", found "Pending"'
    ]
    assert bound.why == (
        'the claim uses storageClassName "standard", which waits for the first pod that'
        ' mounts it (WaitForFirstConsumer). No pod mounts "data" yet.'
    )
    assert any("WaitForFirstConsumer" in line for line in bound.evidence)  # the claim's event
    text = render_text(bound)
    assert "Why: the claim uses storageClassName" in text
    assert "Hint: A claim of this class binds when a pod uses it." in text


def test_secret_values_never_appear(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    result = _grade(
        cluster,
        scene,
        tmp_path,
        f"""
        lab: 90-grading-test
        title: secrets
        timeout_s: 0
        exercises:
          - id: "1"
            title: Secrets
            checks:
              - id: password-is-changed
                title: the password is "changed"
                points: 1
                assert:
                  apiVersion: v1
                  kind: Secret
                  metadata: {{name: db}}
                  data: {{password: {base64.b64encode(b"changed").decode()}}}
              - id: env-has-no-password
                title: the environment shows no password
                points: 1
                exec: {{pod: web, command: [sh, -c, 'echo "$DB_PASSWORD"'], stdout_contains: x}}
              - id: password-in-a-file
                title: the password is in a file
                points: 1
                exec:
                  pod: web
                  command: [sh, -c, 'echo "$DB_PASSWORD" >&2; exit 1']
                  exit_code: 1
                  stdout_contains: x
        """,
    )
    checks = by_id(result)
    assert [c.status for c in result.checks] == ["failed", "failed", "failed"]
    (changed,) = checks["password-is-changed"].mismatches
    assert (changed.path, changed.expected, changed.found) == (
        "data.password",
        "<redacted>",
        "<redacted>",
    )
    (printed,) = checks["env-has-no-password"].mismatches
    assert printed.found == "<redacted>"
    assert checks["password-in-a-file"].evidence == ("stderr: <redacted>",)
    everything = _texts(result)
    assert SECRET_VALUE not in everything
    assert base64.b64encode(SECRET_VALUE.encode()).decode() not in everything
    assert SECRET_VALUE not in json.dumps(result.to_dict())


def test_checks_wait_for_the_expected_state(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    scene.create(pod("late", {"app": "late"}, container("main", ["sleep", "3600"])))
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: waiting
        exercises:
          - id: "1"
            title: Eventually
            checks:
              - id: late-runs
                title: late runs
                points: 1
                timeout_s: 60
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: late}
                  status: {phase: Running}
              - id: late-is-succeeded
                title: late has succeeded
                points: 1
                timeout_s: 2
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: late}
                  status: {phase: Succeeded}
        """,
    )
    checks = by_id(result)
    assert checks["late-runs"].passed, render_text(result)
    assert checks["late-runs"].waited_s > 0  # it was Pending when grading started
    never = checks["late-is-succeeded"]
    assert never.status == "failed"
    assert never.waited_s >= 1.5
    assert "(Waited 2 s for a change; this is the last state.)" in render_text(never)


def _is_waiting(scene: Objects, name: str, reasons: tuple[str, ...]) -> bool:
    return _waiting_reason(scene, name) in reasons


def _waiting_reason(scene: Objects, name: str) -> str:
    found = scene.get("v1", "Pod", name) or {}
    statuses = (found.get("status") or {}).get("containerStatuses") or []
    return str(((statuses[0]["state"].get("waiting") or {}).get("reason")) if statuses else "")


def test_frequent_mistakes_are_explained(cluster: Any, scene: Objects, tmp_path: Path) -> None:
    crash = ["sh", "-c", "echo starting; echo boom >&2; exit 1"]
    env = [
        {
            "name": "MODE",
            "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mdoe"}},
        }
    ]
    probe = {"httpGet": {"path": "/", "port": 8081}, "periodSeconds": 1}
    scene.create(
        pod(
            "pull",
            {"app": "pull"},
            {**container("main", ["sleep", "3600"]), "imagePullPolicy": "Always"},
        ),
        pod("crash", {"app": "crash"}, container("main", crash)),
        pod("bad-key", {"app": "bad-key"}, container("main", ["sleep", "3600"], env=env)),
        pod(
            "bad-probe",
            {"app": "bad-probe"},
            container(
                "web",
                ["sh", "-c", HTTPD],
                ports=[{"containerPort": 8080}],
                readinessProbe=probe,
            ),
        ),
    )
    waits = {
        "pull": ("ErrImagePull", "ImagePullBackOff"),
        "crash": ("CrashLoopBackOff",),
        "bad-key": ("CreateContainerConfigError",),
    }
    for name, reasons in waits.items():
        wait_for(functools.partial(_is_waiting, scene, name, reasons), f"{name} waiting")
    result = _grade(
        cluster,
        scene,
        tmp_path,
        """
        lab: 90-grading-test
        title: mistakes
        timeout_s: 0
        exercises:
          - id: "1"
            title: Pods that do not start
            checks:
              - id: pull-runs
                title: pull runs
                points: 1
                assert:
                  {apiVersion: v1, kind: Pod, metadata: {name: pull}, status: {phase: Running}}
              - id: crash-is-ready
                title: crash is ready
                points: 1
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: crash}
                  status:
                    (conditions[?type == 'Ready']): {status: "True"}
              - id: bad-key-runs
                title: bad-key runs
                points: 1
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: bad-key}
                  status: {phase: Running}
              - id: bad-probe-is-ready
                title: bad-probe is ready
                points: 1
                assert:
                  apiVersion: v1
                  kind: Pod
                  metadata: {name: bad-probe}
                  status:
                    (conditions[?type == 'Ready']): {status: "True"}
        """,
    )
    checks = by_id(result)
    assert [check.status for check in result.checks] == ["failed"] * 4
    pull = checks["pull-runs"]
    assert pull.why is not None
    assert pull.why.startswith('the node cannot pull image "busybox:1.35" (')
    assert "With imagePullPolicy Always it pulls on every start" in pull.why
    assert any(line.startswith("pod pull, container main: waiting (") for line in pull.evidence)
    crashed = checks["crash-is-ready"]
    assert crashed.evidence[0].startswith("pod crash, container main: waiting (CrashLoopBackOff)")
    assert "log crash/main: boom" in crashed.evidence
    assert checks["bad-key-runs"].why == (
        'container "main" reads key "mdoe" of ConfigMap "settings", which has keys: "mode".'
    )
    probe_why = checks["bad-probe-is-ready"].why or ""
    assert probe_why.startswith(
        "a probe of pod bad-probe found nothing listening on its port (Readiness probe failed:"
    )
    assert probe_why.endswith(
        ":8081: connect: connection refused): the application listens on another port, or had"
        " not started listening yet."
    )
