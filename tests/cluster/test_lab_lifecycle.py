"""`kklab lab start / solve / reset`, `kklab check` and `kklab lab list` on the real cluster."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from kklab.labs import find_lab
from tests.conftest import RunningCluster
from tests.helpers import run_kklab

pytestmark = pytest.mark.cluster


def kklab(*args: str) -> subprocess.CompletedProcess[str]:
    return run_kklab(*args)


def _namespaces(core: client.CoreV1Api) -> set[str]:
    return {ns.metadata.name for ns in core.list_namespace().items if ns.status.phase == "Active"}


def test_start_solve_check_and_reset(cluster: RunningCluster, tmp_path: Path) -> None:
    core = client.CoreV1Api(cluster.api_client)
    # Something that is not the lab's and must survive its reset.
    bystander = f"kklab-bystander-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": bystander}})
    core.create_namespaced_config_map(bystander, {"metadata": {"name": "keep-me"}})
    volume = f"bystander-{uuid.uuid4().hex[:6]}"
    core.create_persistent_volume(
        {
            "metadata": {"name": volume},
            "spec": {
                "capacity": {"storage": "1Mi"},
                "accessModes": ["ReadWriteOnce"],
                "hostPath": {"path": str(tmp_path)},
                "storageClassName": "nothing",
            },
        }
    )
    try:
        assert kklab("lab", "reset", "01-pods").returncode == 0
        started = kklab("lab", "start", "01")
        assert started.returncode == 0, started.stderr
        assert "✓ lab 01-pods ready in namespace lab-01-pods" in started.stderr
        labels = core.read_namespace("lab-01-pods").metadata.labels
        assert labels["app.kubernetes.io/managed-by"] == "kklab"
        assert labels["kklab.io/lab"] == "01-pods"
        pods = {p.metadata.name for p in core.list_namespaced_pod("lab-01-pods").items}
        assert {"cart", "payments", "storefront", "load-test", "legacy"} <= pods
        config = yaml.safe_load(cluster.kubeconfig_path.read_text())
        assert config["contexts"][0]["context"]["namespace"] == "lab-01-pods"

        assert kklab("check", "01-pods", "2").returncode == 1  # not solved yet
        solved = kklab("lab", "solve", "01-pods", "--upto", "2")
        assert solved.returncode == 0, solved.stderr
        assert "exercise 3" not in solved.stderr
        checked = kklab("check", "01-pods", "2")
        assert checked.returncode == 0, checked.stdout
        assert "Exercise 2: Labels that describe the application        6/6" in checked.stdout
        listing = kklab("lab", "list")
        assert "01-pods" in listing.stdout and "6/26 points" in listing.stdout
        as_json = kklab("check", "01-pods", "1", "--json")
        assert '"status": "passed"' in as_json.stdout

        # What a learner may add that the next start must not trip over.
        core.patch_namespace("lab-01-pods", {"metadata": {"labels": {"team": "shop"}}})
        core.create_namespaced_service_account("lab-01-pods", {"metadata": {"name": "robot"}})
        reset = kklab("lab", "reset", "01-pods")
        assert reset.returncode == 0, reset.stderr
        # Emptied and kept: only what a fresh namespace has is left.
        assert "lab-01-pods" in _namespaces(core)
        assert core.list_namespaced_pod("lab-01-pods").items == []
        accounts = core.list_namespaced_service_account("lab-01-pods").items
        assert [a.metadata.name for a in accounts] == ["default"]
        maps = core.list_namespaced_config_map("lab-01-pods").items
        assert {m.metadata.name for m in maps} <= {"kube-root-ca.crt"}
        assert "team" not in core.read_namespace("lab-01-pods").metadata.labels
        again = kklab("lab", "start", "01-pods")
        assert again.returncode == 0, again.stderr
        everything = kklab("lab", "reset", "01-pods", "--all")
        assert everything.returncode == 0, everything.stderr
        assert "lab-01-pods" not in _namespaces(core)
        assert core.read_namespaced_config_map("keep-me", bystander).metadata.name == "keep-me"
        assert core.read_persistent_volume(volume).metadata.name == volume
        assert "0/26 points" in kklab("lab", "list").stdout
    finally:
        core.delete_namespace(bystander)
        core.delete_persistent_volume(volume)


def test_reset_removes_the_labs_cluster_wide_objects_and_node_folders(
    cluster: RunningCluster,
) -> None:
    lab = find_lab("07-storage")
    assert kklab("lab", "start", lab.id).returncode == 0
    folders = [Path(lab.node_path(d)) for d in lab.setup.node_directories]
    assert folders and all(folder.is_dir() for folder in folders)
    solved = kklab("lab", "solve", lab.id, "--upto", "4")
    assert solved.returncode == 0, solved.stderr
    core = client.CoreV1Api(cluster.api_client)
    selector = f"kklab.io/lab={lab.id}"
    assert core.list_persistent_volume(label_selector=selector).items
    assert kklab("lab", "reset", lab.id).returncode == 0
    assert core.list_persistent_volume(label_selector=selector).items == []
    assert not any(folder.exists() for folder in folders)


def test_reset_takes_the_labs_own_label_off_the_node_and_leaves_the_others(
    cluster: RunningCluster,
) -> None:
    """00-cluster-tour's wrong fix labels the node kklab.dev/zone; reset undoes it."""
    lab = find_lab("00-cluster-tour")
    assert lab.setup.node_labels == ("kklab.dev/zone",)
    core = client.CoreV1Api(cluster.api_client)
    node = core.list_node().items[0].metadata.name
    assert kklab("lab", "start", lab.id).returncode == 0
    core.patch_node(node, {"metadata": {"labels": {"kklab.dev/zone": "ssd", "team": "tour"}}})
    try:
        assert kklab("lab", "reset", lab.id).returncode == 0
        labels = core.read_node(node).metadata.labels
        assert "kklab.dev/zone" not in labels
        assert labels["team"] == "tour"
    finally:
        core.patch_node(node, {"metadata": {"labels": {"kklab.dev/zone": None, "team": None}}})


def test_starting_again_keeps_what_the_learner_changed(cluster: RunningCluster) -> None:
    """A notebook rejoins its lab with `%lab`: a starting object the learner fixed
    (00-cluster-tour's greeter, made again without its nodeSelector) stays fixed."""
    lab = find_lab("00-cluster-tour")
    assert kklab("lab", "reset", lab.id).returncode == 0
    solved = kklab("lab", "solve", lab.id, "--upto", "5")
    assert solved.returncode == 0, solved.stdout + solved.stderr
    again = kklab("lab", "start", lab.id)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "pod/lab-00-cluster-tour/greeter kept" in again.stdout + again.stderr
    core = client.CoreV1Api(cluster.api_client)
    assert core.read_namespaced_pod("greeter", lab.namespace).spec.node_selector is None
    assert kklab("lab", "reset", lab.id).returncode == 0


def test_unknown_lab_and_exercise_say_what_exists() -> None:
    unknown = kklab("lab", "start", "99-nothing")
    assert unknown.returncode == 2  # no such lab: kklab could not do it
    assert unknown.stderr.strip().startswith("kklab: there is no lab '99-nothing': choose one of:")
    solve = kklab("lab", "solve", "01-pods", "--upto", "42")
    assert solve.returncode == 2
    assert "the lab has no exercise '42': choose one of: 1, 2, 3, 4, 5, 6" in solve.stderr
