"""The misconception catalogue: each entry fires on its wrong state and stays quiet otherwise."""

from __future__ import annotations

from typing import Any

from kklab.grading.misconceptions import Related, explain

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
        " (pods here: web-1 app=web)."
    )
    assert explain(service({"app": "web"}), Related(pods=(POD,))) is None


def test_target_port_that_is_not_a_container_port() -> None:
    assert explain(service({"app": "web"}, 8080), Related(pods=(POD,))) == (
        "Service port 80 forwards to targetPort 8080, but the pods it selects declare"
        " containerPort 80."
    )
    assert "names no port" in str(explain(service({"app": "web"}, "web"), Related(pods=(POD,))))
    assert explain(service({"app": "web"}, "http"), Related(pods=(POD,))) is None


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


def test_probe_on_a_port_the_container_does_not_declare() -> None:
    container = {**POD["spec"]["containers"][0], "readinessProbe": {"httpGet": {"port": 8080}}}
    pod = {**POD, "spec": {"containers": [container]}}
    assert explain(pod, Related()) == (
        'the readinessProbe of container "web" checks port 8080, but the container declares'
        " port 80."
    )
    assert explain(POD, Related()) is None


def test_probe_path_not_served_from_events() -> None:
    event = {
        "involvedObject": {"name": "web-1"},
        "message": "Readiness probe failed: HTTP probe failed with statuscode: 404",
    }
    assert "path is not one the application serves" in str(explain(POD, Related(events=(event,))))


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


def test_image_pull_failure_with_pull_policy_always() -> None:
    container = {**POD["spec"]["containers"][0], "image": "shop:dev", "imagePullPolicy": "Always"}
    status = {"name": "web", "state": {"waiting": {"reason": "ErrImagePull"}}}
    pod = {**POD, "spec": {"containers": [container]}, "status": {"containerStatuses": [status]}}
    assert "imagePullPolicy Always" in str(explain(pod, Related()))


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
    assert "path is not one the application serves" in str(explain(pod, Related(events=(current,))))
