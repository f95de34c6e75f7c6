"""The misconception catalogue: each entry fires on its wrong state and stays quiet otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from kklab.grading.evidence import pods_of
from kklab.grading.misconceptions import Related, explain, selector_selects

POD: dict[str, Any] = {
    "kind": "Pod",
    "metadata": {"name": "web-1", "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.19",
                "ports": [{"containerPort": 80, "name": "http"}],
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
            }
        ],
        "volumes": [],
    },
    "status": {"containerStatuses": [{"name": "web", "state": {"running": {}}}]},
}


def service(selector: dict[str, str], target: Any = 80) -> dict[str, Any]:
    return {
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": target}]},
    }


def test_selector_that_matches_no_pod() -> None:
    assert explain(service({"app": "wbe"}), Related(pods=(POD,))) == (
        "the Service selects pods labelled app=wbe, but no pod has those labels"
        " (pods here: web-1 app=web). Closest: pod web-1 needs app=wbe (has app=web)."
    )
    assert explain(service({"app": "web"}), Related(pods=(POD,))) is None


def test_a_named_target_port_must_name_a_declared_port() -> None:
    why = explain(service({"app": "web"}, "web"), Related(pods=(POD,)))
    assert why == (
        'Service port 80 forwards to targetPort "web", which names no port of pod web-1 (named'
        ' ports: "http"), so that pod gets no traffic from the Service: name the container\'s'
        ' port "web" or use the port number.'
    )
    assert explain(service({"app": "web"}, "http"), Related(pods=(POD,))) is None


def test_a_numeric_target_port_is_never_blamed_on_the_declaration() -> None:
    why = str(explain(service({"app": "web"}, 8080), Related(pods=(POD,))))
    assert why == (
        "Service port 80 forwards to port 8080 of the pods it selects, which declare"
        " containerPort 80. A declaration routes nothing: traffic goes to port 8080 either way,"
        " so what matters is the port the application listens on; if it is 80, make that the"
        " targetPort."
    )
    assert explain(service({"app": "web"}, 80), Related(pods=(POD,))) is None
    undeclared = {**POD, "spec": {"containers": [{"name": "web", "image": "nginx:1.19"}]}}
    assert explain(service({"app": "web"}, 8080), Related(pods=(undeclared,))) is None


def test_pvc_waiting_for_first_consumer() -> None:
    claim = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"storageClassName": "local-storage"},
        "status": {"phase": "Pending"},
    }
    local = {"metadata": {"name": "local-storage"}, "volumeBindingMode": "WaitForFirstConsumer"}
    why = explain(claim, Related(storage_classes=(local,)))
    assert why == (
        'the claim uses storageClassName "local-storage", which waits for the first pod that'
        ' mounts it (WaitForFirstConsumer). No pod mounts "data" yet.'
    )
    user = {**POD, "spec": {"volumes": [{"persistentVolumeClaim": {"claimName": "data"}}]}}
    assert explain(claim, Related(storage_classes=(local,), pods=(user,))) is None
    immediate = {**local, "volumeBindingMode": "Immediate"}
    assert explain(claim, Related(storage_classes=(immediate,))) is None


def _probing(port: Any) -> dict[str, Any]:
    container = {**POD["spec"]["containers"][0], "readinessProbe": {"httpGet": {"port": port}}}
    return {**POD, "spec": {"containers": [container]}}


def test_a_named_probe_port_must_name_a_declared_port() -> None:
    assert explain(_probing("web"), Related()) == (
        'the readinessProbe of container "web" checks the port named "web", but the container'
        ' declares no port of that name (named ports: "http"), so the probe cannot run: name the'
        ' port "web" in the container\'s ports or use the number.'
    )
    assert explain(_probing("http"), Related()) is None


def test_a_numeric_probe_port_is_not_blamed_on_the_declaration() -> None:
    assert explain(_probing(8080), Related()) is None  # probed whether declared or not
    assert explain(POD, Related()) is None


def _event(message: str, uid: str = "") -> dict[str, Any]:
    involved = {"kind": "Pod", "name": "web-1", **({"uid": uid} if uid else {})}
    return {"involvedObject": involved, "message": message}


def test_probe_failures_from_the_pods_events_say_what_the_kubelet_saw() -> None:
    not_found = _event("Readiness probe failed: HTTP probe failed with statuscode: 404")
    assert "serves nothing at the probe's path" in str(explain(POD, Related(events=(not_found,))))
    refused = _event("Readiness probe failed: HTTP probe failed with statuscode: 401")
    why = str(explain(POD, Related(events=(refused,))))
    assert "HTTP 401" in why and "path" not in why.split(":")[-1]
    closed = _event("Liveness probe failed: dial tcp 10.0.0.1:8080: connect: connection refused")
    why = str(explain(_probing(8080), Related(events=(closed,))))
    assert "found nothing listening on its port" in why
    healthy = _event("Started container web")
    assert explain(POD, Related(events=(healthy,))) is None


def test_secret_key_name_mismatch_quotes_keys_never_values() -> None:
    container = {
        **POD["spec"]["containers"][0],
        "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
    }
    pod = {**POD, "spec": {"containers": [container]}}
    secret = {"kind": "Secret", "metadata": {"name": "db"}, "data": {"passwd": "aHVudGVyMg=="}}
    why = explain(pod, Related(secrets=(secret,)))
    assert why == 'container "web" reads key "password" of Secret "db", which has keys: "passwd".'
    assert "aHVudGVyMg" not in str(why)
    assert "no Secret" in str(explain(pod, Related()))
    # Secrets that could not be read prove nothing about which exist.
    assert explain(pod, Related(unreadable=frozenset({"Secret"}))) is None


def _pulling(policy: str, reason: str) -> dict[str, Any]:
    container = {**POD["spec"]["containers"][0], "image": "shop:dev", "imagePullPolicy": policy}
    status = {"name": "web", "state": {"waiting": {"reason": reason}}}
    return {**POD, "spec": {"containers": [container]}, "status": {"containerStatuses": [status]}}


def test_image_pull_failure_with_pull_policy_always() -> None:
    why = str(explain(_pulling("Always", "ErrImagePull"), Related()))
    assert "imagePullPolicy Always" in why and "imagePullSecrets" in why


def test_image_pull_failure_names_private_registries_and_pull_secrets() -> None:
    why = str(explain(_pulling("IfNotPresent", "ImagePullBackOff"), Related()))
    assert why == (
        'the node cannot pull image "shop:dev" (ImagePullBackOff): the name or the tag is'
        " wrong, the registry cannot be reached from the node, or it is private and the pod has"
        " no imagePullSecrets for it."
    )


def test_pull_policy_never_is_not_explained_as_a_pull() -> None:
    why = str(explain(_pulling("Never", "ErrImageNeverPull"), Related()))
    assert why == (
        'image "shop:dev" is not on the node and imagePullPolicy Never forbids pulling it'
        " (ErrImageNeverPull): put the image on the node, or let the node pull it"
        " (imagePullPolicy IfNotPresent)."
    )
    assert "Always" not in why and "cannot pull" not in why
    assert explain(_pulling("Never", "ContainerCreating"), Related()) is None


def test_workloads_are_explained_through_their_pods() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"name": "web", "image": "shop:dev"}]}},
        },
    }
    status = {"name": "web", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
    pod = {**POD, "status": {"containerStatuses": [status]}}
    assert "cannot pull image" in str(explain(deployment, Related(pods=(pod,))))


def test_probe_events_of_an_earlier_object_of_the_same_name_do_not_explain() -> None:
    pod = {**POD, "metadata": {**POD["metadata"], "uid": "new"}}
    message = "Readiness probe failed: HTTP probe failed with statuscode: 404"
    earlier = {"involvedObject": {"kind": "Pod", "name": "web-1", "uid": "old"}, "message": message}
    assert explain(pod, Related(events=(earlier,))) is None
    current = {"involvedObject": {"kind": "Pod", "name": "web-1", "uid": "new"}, "message": message}
    assert "serves nothing at the probe's path" in str(explain(pod, Related(events=(current,))))


@pytest.mark.parametrize(
    ("requirement", "labels", "selected"),
    [
        ({"key": "tier", "operator": "In", "values": ["front"]}, {"tier": "front"}, True),
        ({"key": "tier", "operator": "In", "values": ["front"]}, {"tier": "back"}, False),
        ({"key": "tier", "operator": "In", "values": ["front"]}, {}, False),
        ({"key": "tier", "operator": "NotIn", "values": ["front"]}, {"tier": "back"}, True),
        ({"key": "tier", "operator": "NotIn", "values": ["front"]}, {}, True),
        ({"key": "tier", "operator": "NotIn", "values": ["front"]}, {"tier": "front"}, False),
        ({"key": "tier", "operator": "Exists"}, {"tier": ""}, True),
        ({"key": "tier", "operator": "Exists"}, {}, False),
        ({"key": "tier", "operator": "DoesNotExist"}, {}, True),
        ({"key": "tier", "operator": "DoesNotExist"}, {"tier": "x"}, False),
        ({"key": "tier", "operator": "Like", "values": ["x"]}, {"tier": "x"}, False),
    ],
)
def test_label_selectors_apply_match_expressions(
    requirement: dict[str, Any], labels: dict[str, str], selected: bool
) -> None:
    selector = {"matchLabels": {"app": "web"}, "matchExpressions": [requirement]}
    assert selector_selects(selector, {"app": "web", **labels}) is selected
    assert not selector_selects(selector, {"app": "db", **labels})
    assert selector_selects({"matchExpressions": [requirement]}, labels) is selected


def test_a_workload_selecting_by_expressions_is_explained_through_those_pods_only() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {
                "matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "www"]}]
            },
            "template": {"spec": {"containers": [{"name": "web", "image": "shop:dev"}]}},
        },
    }
    stuck = _pulling("IfNotPresent", "ImagePullBackOff")
    assert "cannot pull image" in str(explain(deployment, Related(pods=(stuck,))))
    other = {**stuck, "metadata": {"name": "db-1", "labels": {"app": "db"}}}
    assert explain(deployment, Related(pods=(other,))) is None
    going = {
        **stuck,
        "metadata": {**stuck["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"},
    }
    assert explain(deployment, Related(pods=(going,))) is None


def test_a_waiting_claim_names_a_pod_that_mounts_a_mistyped_claim() -> None:
    claim = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"storageClassName": "local-storage"},
        "status": {"phase": "Pending"},
    }
    local = {"metadata": {"name": "local-storage"}, "volumeBindingMode": "WaitForFirstConsumer"}
    writer = {
        **POD,
        "metadata": {"name": "writer"},
        "spec": {"volumes": [{"persistentVolumeClaim": {"claimName": "dta"}}]},
    }
    why = str(explain(claim, Related(storage_classes=(local,), pods=(writer,))))
    assert why.endswith(
        'No pod mounts "data" yet. Pod writer mounts a claim "dta": did you mean "data"?'
    )
    unrelated = {**writer, "spec": {"volumes": [{"persistentVolumeClaim": {"claimName": "logs"}}]}}
    why = str(explain(claim, Related(storage_classes=(local,), pods=(unrelated,))))
    assert why.endswith('No pod mounts "data" yet.')


def test_evidence_follows_a_workloads_match_expressions() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}},
    }
    unlabelled = {**POD, "metadata": {"name": "bare"}}
    assert pods_of(deployment, Related(pods=(POD, unlabelled))) == [POD]
