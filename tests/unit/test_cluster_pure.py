"""Pure parts of the local provider: no cluster, no root."""

from __future__ import annotations

from pathlib import Path

import yaml

from kklab.cluster import kubeconfigs, processes
from kklab.cluster.local import bootstrap, dns, host
from kklab.cluster.local import config as cfg


def test_chains_to_remove_keeps_docker_chains() -> None:
    listing = [
        "-P FORWARD DROP",
        "-N DOCKER",
        "-N DOCKER-USER",
        "-N KUBE-SERVICES",
        "-N CNI-FORWARD",
        "-N KUBE-FIREWALL",
    ]
    assert host.chains_to_remove(listing) == ["KUBE-SERVICES", "CNI-FORWARD", "KUBE-FIREWALL"]


def test_rules_to_remove_are_jumps_from_other_chains_only() -> None:
    listing = [
        "-A FORWARD -j DOCKER-USER",
        '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        "-A KUBE-FORWARD -j ACCEPT",
        "-A FORWARD -j CNI-FORWARD",
    ]
    rules = host.rules_to_remove(listing, ["KUBE-FORWARD", "CNI-FORWARD"])
    assert rules == [
        [
            "-D",
            "FORWARD",
            "-m",
            "comment",
            "--comment",
            "kubernetes forwarding rules",
            "-j",
            "KUBE-FORWARD",
        ],
        ["-D", "FORWARD", "-j", "CNI-FORWARD"],
    ]


def test_dns_records_for_cluster_ip_headless_and_named_endpoints() -> None:
    services = [
        {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"clusterIP": "10.96.0.5"}},
        {"metadata": {"name": "db", "namespace": "shop"}, "spec": {"clusterIP": "None"}},
    ]
    endpoints = [
        {
            "metadata": {"name": "db", "namespace": "shop"},
            "subsets": [
                {
                    "addresses": [
                        {"ip": "10.244.0.7", "hostname": "db-0"},
                        {"ip": "10.244.0.8", "hostname": "db-1"},
                    ],
                    "notReadyAddresses": [{"ip": "10.244.0.9", "hostname": "db-2"}],
                }
            ],
        },
    ]
    assert dns.host_records(services, endpoints) == [
        ("10.244.0.7", "db-0.db.shop.svc.cluster.local"),
        ("10.244.0.7", "db.shop.svc.cluster.local"),
        ("10.244.0.8", "db-1.db.shop.svc.cluster.local"),
        ("10.244.0.8", "db.shop.svc.cluster.local"),
        ("10.96.0.5", "web.shop.svc.cluster.local"),
    ]
    assert dns.hosts_file_text([("10.96.0.5", "web.shop.svc.cluster.local")]) == (
        "10.96.0.5 web.shop.svc.cluster.local\n"
    )


def test_dns_records_ignore_malformed_objects() -> None:
    assert dns.host_records([{"metadata": {}}, {"spec": None}], [{"subsets": None}]) == []


def test_kubeconfig_merge_keeps_other_entries_and_remove_restores_them() -> None:
    theirs = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "work",
        "clusters": [{"name": "work"}],
        "users": [{"name": "work"}],
        "contexts": [{"name": "work"}],
    }
    layout = cfg.Layout.at(Path("/tmp/kk"), node_name="n", node_ip="192.0.2.2")
    ours = cfg.kubeconfig(layout, "admin", "kklab-local")
    merged = kubeconfigs.merge(theirs, ours, "kklab-local")
    assert [c["name"] for c in merged["contexts"]] == ["work", "kklab-local"]
    assert merged["current-context"] == "kklab-local"
    again = kubeconfigs.merge(merged, ours, "kklab-local")
    assert [c["name"] for c in again["clusters"]] == ["work", "kklab-local"]
    removed = kubeconfigs.remove(again, "kklab-local")
    assert [c["name"] for c in removed["users"]] == ["work"]
    assert removed["current-context"] == ""


def test_kubeconfig_file_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text(yaml.safe_dump({"clusters": [{"name": "mine"}], "current-context": "m"}))
    layout = cfg.Layout.at(tmp_path, node_name="n", node_ip="192.0.2.2")
    kubeconfigs.add_context(cfg.kubeconfig(layout, "admin", "kklab-local"), "kklab-local", target)
    kubeconfigs.remove_context("kklab-local", target)
    data = yaml.safe_load(target.read_text())
    assert data["clusters"] == [{"name": "mine"}]
    assert data["contexts"] == []


def test_configs_point_at_the_layout() -> None:
    layout = cfg.Layout.at(Path("/s"), node_name="node-a", node_ip="192.0.2.9")
    kubelet = cfg.kubelet_config(layout)
    assert kubelet["clusterDNS"] == [cfg.DNS_SERVICE_IP]
    assert kubelet["imageGCHighThresholdPercent"] == 100
    assert kubelet["authentication"]["x509"]["clientCAFile"] == "/s/pki/ca.crt"
    proxy = cfg.kube_proxy_config(layout)
    assert proxy["hostnameOverride"] == "node-a"
    plugins = [plugin["type"] for plugin in cfg.cni_conflist(layout)["plugins"]]
    assert plugins == ["bridge", "portmap", "firewall"]
    assert cfg.gates_flag() == "TTLAfterFinished=true,EphemeralContainers=true"


def test_bootstrap_objects() -> None:
    service, endpoints = bootstrap.dns_objects("192.0.2.2")
    assert service["spec"]["clusterIP"] == cfg.DNS_SERVICE_IP
    assert endpoints["subsets"][0]["addresses"] == [{"ip": "192.0.2.2"}]
    classes = {sc["metadata"]["name"]: sc for sc in bootstrap.storage_classes()}
    assert list(classes) == ["standard"]  # like kind: a lab needing another class makes it
    assert classes["standard"]["volumeBindingMode"] == "WaitForFirstConsumer"
    assert classes["standard"]["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true"
    }


def test_process_records_tell_a_reused_pid_from_ours(tmp_path: Path) -> None:
    record = processes.start("sleeper", ["sleep", "30"], tmp_path / "s.log")
    assert processes.is_running(record)
    impostor = processes.ProcessRecord("sleeper", record.pid, record.start_ticks + 1, "")
    assert not processes.is_running(impostor)
    processes.stop(impostor)  # must not signal a process that is not ours
    assert processes.is_running(record)
    processes.stop(record)
    assert not processes.is_running(record)
    round_trip = processes.ProcessRecord.from_json(record.to_json())
    assert round_trip == record
