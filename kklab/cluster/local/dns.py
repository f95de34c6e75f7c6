"""Cluster DNS for the local provider: dnsmasq fed by a small watcher.

CoreDNS cannot be had offline, so the local cluster answers DNS with Debian's
dnsmasq listening on the node IP, behind the Service ``kube-system/kube-dns``.
This module's watcher (run as ``python -m kklab.cluster.local.dns``) reads Services
and Endpoints twice a second and writes a hosts file for dnsmasq, then tells
dnsmasq (SIGHUP) to read it again. Names served:

* ``<service>.<namespace>.svc.cluster.local``: the ClusterIP, or for a headless
  Service every ready endpoint address;
* ``<hostname>.<service>.<namespace>.svc.cluster.local``: an endpoint that has a
  hostname, such as a StatefulSet pod behind its governing Service.

Not served: SRV records, ExternalName CNAMEs and ``*.pod.cluster.local``.

Example:
    >>> services = [{"metadata": {"name": "web", "namespace": "shop"},
    ...              "spec": {"clusterIP": "10.96.0.42"}}]
    >>> host_records(services, [])
    [('10.96.0.42', 'web.shop.svc.cluster.local')]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

CLUSTER_DOMAIN = "cluster.local"

Record = tuple[str, str]


def host_records(
    services: Iterable[Mapping[str, Any]],
    endpoints: Iterable[Mapping[str, Any]],
    domain: str = CLUSTER_DOMAIN,
) -> list[Record]:
    """(IP, name) pairs for every Service and named endpoint, sorted and unique."""
    by_service: dict[tuple[str, str], Mapping[str, Any]] = {}
    for endpoint in endpoints:
        meta = endpoint.get("metadata") or {}
        by_service[(meta.get("namespace", ""), meta.get("name", ""))] = endpoint
    records: set[Record] = set()
    for service in services:
        meta = service.get("metadata") or {}
        name, namespace = meta.get("name"), meta.get("namespace")
        if not name or not namespace:
            continue
        fqdn = f"{name}.{namespace}.svc.{domain}"
        cluster_ip = (service.get("spec") or {}).get("clusterIP")
        if cluster_ip and cluster_ip != "None":
            records.add((cluster_ip, fqdn))
        endpoint = by_service.get((namespace, name), {})
        for subset in endpoint.get("subsets") or []:
            for address in subset.get("addresses") or []:
                ip = address.get("ip")
                if not ip:
                    continue
                if cluster_ip == "None":
                    records.add((ip, fqdn))
                if address.get("hostname"):
                    records.add((ip, f"{address['hostname']}.{fqdn}"))
    return sorted(records)


def hosts_file_text(records: Iterable[Record]) -> str:
    """The records in /etc/hosts format, one per line."""
    return "".join(f"{ip} {name}\n" for ip, name in records)


def _items(list_call: Any) -> list[dict[str, Any]]:
    """Call a ``list_*`` method of the client and return its items as plain dicts."""
    response = list_call(_preload_content=False, _request_timeout=5)
    data: dict[str, Any] = json.loads(response.data)
    return list(data.get("items") or [])


def watch(kubeconfig: Path, hosts_file: Path, dnsmasq_pid_file: Path, every_s: float) -> None:
    """Keep ``hosts_file`` in step with the cluster until SIGTERM."""
    from kubernetes import client, config

    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    written = None
    while not stopping:
        try:
            services = _items(core.list_service_for_all_namespaces)
            endpoints = _items(core.list_endpoints_for_all_namespaces)
        except (client.ApiException, OSError, ValueError) as err:
            print(f"dns watcher: cannot list services yet: {err}", flush=True)
            time.sleep(1)
            continue
        except Exception as err:  # urllib3 errors: keep serving, report, retry
            print(f"dns watcher: {type(err).__name__}: {err}", flush=True)
            time.sleep(1)
            continue
        text = hosts_file_text(host_records(services, endpoints))
        if text != written:
            partial = hosts_file.with_suffix(".partial")
            partial.write_text(text)
            partial.replace(hosts_file)
            written = text
            try:
                os.kill(int(dnsmasq_pid_file.read_text().strip()), signal.SIGHUP)
            except (OSError, ValueError) as err:
                print(f"dns watcher: cannot signal dnsmasq: {err}", flush=True)
            print(f"dns watcher: {text.count(chr(10))} names", flush=True)
        time.sleep(every_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kklab.cluster.local.dns")
    parser.add_argument("--kubeconfig", type=Path, required=True)
    parser.add_argument("--hosts-file", type=Path, required=True)
    parser.add_argument("--dnsmasq-pid-file", type=Path, required=True)
    parser.add_argument("--every", type=float, default=0.5)
    args = parser.parse_args(argv)
    watch(args.kubeconfig, args.hosts_file, args.dnsmasq_pid_file, args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
