"""Fixtures shared by every test.

Cluster tests carry ``@pytest.mark.cluster``. Without a running kklab cluster
they are skipped with the reason, except when ``KKLAB_REQUIRE_CLUSTER=1`` (as
`make test` and CI set it): then a missing cluster fails the run, so a green
run always means the cluster tests ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kklab.cluster.base import ClusterInfo
from kklab.cluster.local import LocalProvider


def _require_cluster() -> bool:
    return os.environ.get("KKLAB_REQUIRE_CLUSTER") == "1"


class RunningCluster:
    """The cluster under test: how to reach it and a configured client."""

    def __init__(self, info: ClusterInfo) -> None:
        self.info = info
        self.kubeconfig_path = info.kubeconfig_path
        self.api_client: Any = info.api_client()


def _find_cluster() -> ClusterInfo | None:
    provider = LocalProvider()
    info = provider.info()
    if info is None or not provider.status().healthy:
        return None
    return info


@pytest.fixture(scope="session")
def cluster() -> RunningCluster:
    info = _find_cluster()
    if info is None:
        message = "no healthy kklab cluster: start one with `kklab up --provider local`"
        if _require_cluster():
            pytest.fail(f"KKLAB_REQUIRE_CLUSTER=1 but {message}")
        pytest.skip(message)
    return RunningCluster(info)


@pytest.fixture
def namespace(cluster: RunningCluster) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (without waiting)."""
    from kubernetes import client

    name = f"kklab-test-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(cluster.api_client)
    core.create_namespace(
        {
            "metadata": {
                "name": name,
                "labels": {"app.kubernetes.io/managed-by": "kklab", "kklab.io/test": "true"},
            }
        }
    )
    # Pods need the namespace's default ServiceAccount, made by a controller.
    from tests.helpers import wait_for

    wait_for(
        lambda: any(
            sa.metadata.name == "default" for sa in core.list_namespaced_service_account(name).items
        ),
        "the default ServiceAccount",
        timeout_s=30,
    )
    yield name
    core.delete_namespace(name, propagation_policy="Background", grace_period_seconds=0)


def _run_order(item: pytest.Item) -> int:
    """0 for most tests; 1 for lifecycle tests that restore the cluster (tests/cluster/
    test_sick_cluster.py); 2 for those that leave it stopped (a module says so with
    ``LEAVES_CLUSTER_DOWN = True``), which must come after every other."""
    if item.get_closest_marker("lifecycle") is None:
        return 0
    module = getattr(item, "module", None)
    return 2 if getattr(module, "LEAVES_CLUSTER_DOWN", False) else 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Cluster tests of the lifecycle kind run last: they stop the cluster."""
    items.sort(key=_run_order)


# --- the per-lab time table printed at the end of a run -------------------------------

_LAB_SECONDS: dict[str, float] = {}


def _lab_of(nodeid: str) -> str | None:
    """The lab a test item is about: its parameters name one (``[07-storage-...]``)."""
    from kklab.labs import all_labs

    if "[" not in nodeid:
        return None
    parameters = nodeid.split("[", 1)[1]
    return next((lab.id for lab in all_labs() if parameters.startswith(lab.id)), None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    lab = _lab_of(report.nodeid)
    if lab is not None:
        _LAB_SECONDS[lab] = _LAB_SECONDS.get(lab, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Seconds spent on each lab's tests (setup, run and teardown), for the time budget."""
    if not _LAB_SECONDS:
        return
    terminalreporter.section("time per lab")
    for lab, seconds in sorted(_LAB_SECONDS.items()):
        terminalreporter.write_line(f"{lab:<22} {seconds:7.1f} s")
    terminalreporter.write_line(f"{'all labs':<22} {sum(_LAB_SECONDS.values()):7.1f} s")
