"""`kklab up` after a crash restarts on the existing data; it wipes only when asked.

The provider runs in a state folder in ``tmp_path``, and everything that would
start a real process or touch the host is replaced, so these tests decide
and record, never start a cluster.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import pytest

from kklab import cli
from kklab.cluster import processes
from kklab.cluster.base import ClusterInfo, ClusterStatus, ComponentStatus
from kklab.cluster.local import LocalProvider
from kklab.cluster.local import provider as local_provider
from kklab.errors import ClusterError

DEAD = {"name": "kube-apiserver", "pid": 999999999, "start_ticks": 1, "log_path": "/dev/null"}


class Stop(Exception):
    """Raised where a test has seen enough."""


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalProvider:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(local_provider.host, "node_name", lambda: "node-a")
    monkeypatch.setattr(local_provider.host, "node_ip", lambda: "192.0.2.10")
    made = LocalProvider(tmp_path / "local")
    sick = ClusterStatus("local", True, (ComponentStatus("kube-apiserver", False, "gone"),))
    monkeypatch.setattr(made, "status", lambda: sick)
    monkeypatch.setattr(made, "down", lambda quiet=False: (_ for _ in ()).throw(Stop("down")))
    return made


def _crashed(root: Path, *, data: bool = True, node_ip: str = "192.0.2.10") -> None:
    """The files a crashed cluster leaves: state, etcd data, certificates."""
    root.mkdir(parents=True, exist_ok=True)
    state = {"node_name": "node-a", "node_ip": node_ip, "processes": [DEAD], "dockerd": None}
    (root / "cluster.json").write_text(json.dumps(state))
    if data:
        (root / "etcd" / "member" / "snap").mkdir(parents=True)
        (root / "etcd" / "member" / "snap" / "db").write_text("the learner's work")
    (root / "pki").mkdir(exist_ok=True)
    for stem in ("ca", "apiserver", "admin"):
        (root / "pki" / f"{stem}.crt").write_text("cert")


def test_an_unhealthy_cluster_with_data_is_restarted_not_wiped(
    provider: LocalProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crashed(provider.root)
    seen: list[Any] = []

    def restart(state: dict[str, Any], layout: Any, started: float) -> ClusterInfo:
        seen.append(layout)
        return ClusterInfo("local", "kklab-local", provider.root / "kubeconfig", "kklab-local")

    monkeypatch.setattr(provider, "_restart", restart)
    provider.up()  # down() would raise Stop
    assert seen[0].node_ip == "192.0.2.10" and seen[0].root == provider.root


def test_without_data_there_is_nothing_to_keep_so_it_cleans_up(provider: LocalProvider) -> None:
    _crashed(provider.root, data=False)
    with pytest.raises(Stop, match="down"):
        provider.up()


def test_a_changed_node_address_asks_before_deleting_anything(provider: LocalProvider) -> None:
    _crashed(provider.root, node_ip="192.0.2.99")
    with pytest.raises(ClusterError) as caught:
        provider.up()
    message = str(caught.value)
    assert "made for node node-a at 192.0.2.99, this machine is now node-a at 192.0.2.10" in message
    assert "kklab up --fresh" in message
    assert (provider.root / "etcd" / "member" / "snap" / "db").exists()


def test_a_failed_restart_keeps_the_data_and_the_state(
    provider: LocalProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _crashed(provider.root)
    monkeypatch.setattr(provider, "_check_host", lambda: {"etcd": "etcd", "dnsmasq": "dnsmasq"})
    monkeypatch.setattr(provider, "_docker", lambda layout: None)

    def start_components(*args: Any) -> None:
        records: list[processes.ProcessRecord] = args[-1]
        records.append(processes.ProcessRecord.from_json({**DEAD, "name": "etcd"}))
        raise ClusterError("etcd stopped while starting: corrupt", fix="read its log")

    monkeypatch.setattr(provider, "_start_components", start_components)
    with pytest.raises(ClusterError, match="corrupt"):
        provider.up()
    assert (provider.root / "etcd" / "member" / "snap" / "db").read_text() == "the learner's work"
    assert (provider.root / "pki" / "ca.crt").read_text() == "cert", "certificates kept"
    state = json.loads((provider.root / "cluster.json").read_text())
    assert [record["name"] for record in state["processes"]] == ["etcd"]
    err = capsys.readouterr().err
    assert "restarting it on its existing data" in err
    assert "restart failed" in err and "data is kept" in err


def test_up_fresh_stops_the_cluster_first(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    class Fake:
        name = "local"

        def down(self) -> None:
            calls.append("down")

        def up(self) -> ClusterInfo:
            calls.append("up")
            return ClusterInfo("local", "kklab-local", Path("/tmp/kubeconfig"), "kklab-local")

    monkeypatch.setattr(cli.choosing, "provider_in_use", lambda: None)
    monkeypatch.setattr(cli.choosing, "provider_named", lambda *_a, **_k: Fake())
    assert cli.main(["up", "--provider", "local", "--fresh"]) == 0
    assert calls == ["down", "up"]
    calls.clear()
    assert cli.main(["up", "--provider", "local"]) == 0
    assert calls == ["up"]
    assert isinstance(cli.build_parser().parse_args(["up"]), argparse.Namespace)


def test_a_profile_cannot_change_with_the_data(provider: LocalProvider) -> None:
    """`up --like kind` on a plain cluster's data says to start fresh, and deletes nothing."""
    _crashed(provider.root)
    provider.like = "kind"
    with pytest.raises(ClusterError) as raised:
        provider.up()
    assert "made plain local" in str(raised.value)
    assert "--fresh --like kind" in (raised.value.fix or "")
    assert (provider.root / "etcd" / "member" / "snap" / "db").exists()


def test_a_kind_like_cluster_restarts_as_kind_like_without_the_flag(
    provider: LocalProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its node is named as kind names it, whatever this host is called."""
    _crashed(provider.root)
    state = json.loads((provider.root / "cluster.json").read_text())
    state.update(node_name=local_provider.KIND_NODE_NAME, like="kind")
    (provider.root / "cluster.json").write_text(json.dumps(state))
    seen: list[Any] = []

    def restart(_state: Any, layout: Any, _started: float) -> None:
        seen.append(layout)
        raise Stop("restart")

    monkeypatch.setattr(provider, "_restart", restart)
    with pytest.raises(Stop):
        provider.up()
    assert (seen[0].node_name, seen[0].like) == ("kklab-control-plane", "kind")
