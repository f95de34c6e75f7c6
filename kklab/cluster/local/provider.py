"""The ``local`` provider: a real single-node Kubernetes from host processes.

etcd, the control plane, kubelet (on Docker), kube-proxy and a dnsmasq-based
cluster DNS run as processes on this machine, started by ``up`` and tracked by
PID in ``cluster.json``. ``down`` stops exactly those, removes the pod
containers, kubelet mounts, the ``cni0`` bridge and the KUBE-/CNI- iptables
chains, and deletes the cluster's data (its logs are kept). Needs root and the
toolchain (``kklab toolchain install``); works with no internet.

Example:
    >>> provider = LocalProvider()
    >>> provider.name
    'local'
    >>> info = provider.up()            # doctest: +SKIP
    >>> provider.down()                 # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from kklab.cluster import docker, kubeconfigs, processes, toolchain
from kklab.cluster.base import ClusterInfo, ClusterStatus, ComponentStatus
from kklab.cluster.local import bootstrap, host, pki
from kklab.cluster.local import config as cfg
from kklab.errors import ClusterError, NotRootError, PortInUseError
from kklab.paths import state_dir
from kklab.shell import say

NAME = "kklab-local"
# What kind calls the node of kklab's kind cluster (kind names it <cluster>-control-plane).
KIND_NODE_NAME = "kklab-control-plane"
PROFILES = ("kind",)
READY_TIMEOUT_S = 120.0


class LocalProvider:
    """Start, inspect and stop the local single-node cluster."""

    name = "local"

    def __init__(self, root: Path | None = None, like: str | None = None) -> None:
        self.root = root or state_dir() / "local"
        self.like = like
        """``"kind"``: a kind-like profile; ``None``: whatever the cluster's data was made as."""

    # --- state -----------------------------------------------------------------

    def _state(self) -> dict[str, Any] | None:
        path = self.root / "cluster.json"
        if not path.exists():
            return None
        try:
            loaded: dict[str, Any] = json.loads(path.read_text())
        except ValueError:
            return {"processes": []}
        return loaded

    def _save_state(
        self,
        layout: cfg.Layout,
        records: list[processes.ProcessRecord],
        started_dockerd: processes.ProcessRecord | None,
    ) -> None:
        data = {
            "name": NAME,
            "node_name": layout.node_name,
            "node_ip": layout.node_ip,
            "like": layout.like,
            "processes": [record.to_json() for record in records],
            "dockerd": started_dockerd.to_json() if started_dockerd else None,
            "started_at": time.time(),
        }
        layout.state_file.write_text(json.dumps(data, indent=2))

    def _records(self, state: dict[str, Any]) -> list[processes.ProcessRecord]:
        return [processes.ProcessRecord.from_json(item) for item in state.get("processes", [])]

    def info(self) -> ClusterInfo | None:
        """How to reach the cluster, or None when it was not started."""
        state = self._state()
        if state is None or not state.get("processes"):
            return None
        return ClusterInfo(self.name, NAME, self.root / "kubeconfig", NAME)

    # --- status ----------------------------------------------------------------

    def status(self) -> ClusterStatus:
        """Each component's health: its process, and for those that answer, its answer.

        A process that is gone is ✗ with the last line of its log; one that is
        stopped (SIGSTOP) or does not answer is ✗ too, whatever its PID says.
        """
        state = self._state()
        if state is None:
            return ClusterStatus(self.name, exists=False)
        api_ok = _api_ready(self.root / "pki", timeout_s=3)
        components = [
            _component_status(record, api_ok=api_ok, pki_dir=self.root / "pki")
            for record in self._records(state)
        ]
        components.append(
            ComponentStatus(
                "api",
                api_ok,
                f"ready at https://127.0.0.1:{cfg.API_PORT}" if api_ok else "not answering",
            )
        )
        if state.get("like"):
            made_as = (
                f"like {state['like']}: node {state.get('node_name')}, StorageClass standard only"
            )
            components.append(ComponentStatus("profile", True, made_as))
        return ClusterStatus(self.name, exists=True, components=tuple(components))

    # --- up --------------------------------------------------------------------

    def up(self) -> ClusterInfo:
        """Start the cluster and wait until it is really ready; reuse a healthy one.

        A cluster that is there but unhealthy (a component died, the machine
        rebooted, a process is frozen) is restarted on its existing etcd data,
        certificates and node folders, so the learner's work survives; only
        ``kklab down`` (or ``kklab up --fresh``) deletes it.
        """
        started = time.monotonic()
        if os.geteuid() != 0:
            raise NotRootError(
                "the local provider runs kubelet and changes iptables, which needs root",
                fix="run it as root (sudo), or use `--provider kind` on a machine with Docker",
            )
        existing = self._state()
        if existing is not None:
            self._refuse_other_profile(existing)
            if self.status().healthy:
                say(f"✓ {NAME} is already up")
                info = self.info()
                assert info is not None
                return info
            layout = self._restartable(existing)
            if layout is not None:
                return self._restart(existing, layout, started)
            say(f"… a previous {NAME} left nothing to keep: cleaning it up first")
            self.down(quiet=True)
        programs = self._check_host()
        like = self.like or ""
        layout = cfg.Layout.at(
            self.root, node_name=expected_node_name(like), node_ip=host.node_ip(), like=like
        )
        if like:
            say(f"… profile like {like}: node {layout.node_name}, StorageClass standard only")
        self._prepare_folders(layout, keep_data=False)
        started_dockerd = self._docker(layout)
        self._write_config(layout)
        try:
            self._start_components(layout, programs, started, started_dockerd)
        except BaseException:
            say(f"✗ start-up failed: stopping what was started (logs kept in {layout.logs})")
            self.down(quiet=True)
            raise
        return self._ready(layout, started, "a new, empty cluster")

    def _restartable(self, state: dict[str, Any]) -> cfg.Layout | None:
        """The layout to restart on, None when there is no data to keep.

        Raises when there is data but this machine can no longer run it (its
        node name or IP changed): deleting it is the learner's choice.
        """
        node_name, node_ip = state.get("node_name"), state.get("node_ip")
        if not node_name or not node_ip:
            return None
        like = str(state.get("like") or "")
        layout = cfg.Layout.at(self.root, node_name=str(node_name), node_ip=str(node_ip), like=like)
        has_data = (layout.etcd_data / "member").is_dir()
        has_pki = all(
            (layout.pki / f"{stem}.crt").exists() for stem in ("ca", "apiserver", "admin")
        )
        if not has_data:
            return None
        now_name, now_ip = expected_node_name(like), host.node_ip()
        if not has_pki or (now_name, now_ip) != (node_name, node_ip):
            why = (
                "its certificates are missing"
                if not has_pki
                else f"it was made for node {node_name} at {node_ip}, this machine is now "
                f"{now_name} at {now_ip}"
            )
            raise ClusterError(
                f"the {NAME} cluster cannot be restarted with its data: {why}",
                fix="run `kklab up --fresh` for a new, empty cluster (the labs' objects are "
                "lost; start the labs again), or restore the machine's old address",
            )
        return layout

    def _refuse_other_profile(self, state: dict[str, Any]) -> None:
        """``up --like X`` on a cluster made as another profile: only ``--fresh`` may change it."""
        made_as = str(state.get("like") or "")
        if self.like is None or self.like == made_as or not state.get("processes"):
            return
        described = f"like {made_as}" if made_as else "plain local (no --like)"
        raise ClusterError(
            f"the {NAME} cluster was made {described}; its profile cannot change with its data",
            fix=f"run `kklab up --provider local --fresh --like {self.like}`"
            " for a new, empty cluster (the labs' objects are lost), or leave out --like",
        )

    def _restart(self, state: dict[str, Any], layout: cfg.Layout, started: float) -> ClusterInfo:
        """Stop what is left of the cluster and start it again on its data; keep the data
        (and the state file, so `kklab status` shows what failed) if that fails."""
        say(
            f"… {NAME} is not healthy: restarting it on its existing data "
            "(your work is kept; `kklab up --fresh` would start an empty cluster)"
        )
        old = self._records(state)
        with ThreadPoolExecutor(max_workers=len(old) + 1) as pool:
            list(pool.map(lambda record: processes.stop(record, grace_s=5.0), old))
        programs = self._check_host()
        self._prepare_folders(layout, keep_data=True)
        previous_dockerd = state.get("dockerd")
        started_dockerd = self._docker(layout)
        if started_dockerd is None and previous_dockerd:
            record = processes.ProcessRecord.from_json(previous_dockerd)
            started_dockerd = record if processes.is_running(record) else None
        self._write_config(layout, keep_pki=True)
        records: list[processes.ProcessRecord] = []
        try:
            self._start_components(layout, programs, started, started_dockerd, records)
        except BaseException:
            say(
                f"✗ restart failed: stopping what was started; the cluster's data is kept "
                f"(logs in {layout.logs}, previous ones in {layout.logs / 'previous'})"
            )
            with ThreadPoolExecutor(max_workers=len(records) + 1) as pool:
                list(pool.map(lambda record: processes.stop(record, grace_s=1.0), records))
            self._save_state(layout, records or old, started_dockerd)
            raise
        return self._ready(layout, started, "restarted on its existing data, your work kept")

    def _check_host(self) -> dict[str, str]:
        """Binaries, programs and free ports the cluster needs; the programs' paths."""
        for name in (*toolchain.SERVER_BINARIES, "kubectl"):
            toolchain.binary(name)
        programs = {
            "etcd": _require_program("etcd", "etcd-server"),
            "dnsmasq": _require_program("dnsmasq", "dnsmasq-base"),
        }
        for program, package in (("iptables", "iptables"), ("ip", "iproute2")):
            _require_program(program, package)
        if not Path("/usr/lib/cni/bridge").exists():
            raise ClusterError(
                "the CNI plugins are missing from /usr/lib/cni",
                fix="run `sudo kklab toolchain install` (installs containernetworking-plugins)",
            )
        for port, component in cfg.PORTS.items():
            owner = host.port_owner(port)
            if owner:
                raise PortInUseError(
                    f"port {port}, which {component} needs, is in use by {owner}",
                    fix="stop that program (or its cluster) and run `kklab up` again",
                )
        return programs

    def _docker(self, layout: cfg.Layout) -> processes.ProcessRecord | None:
        """Start dockerd when it does not answer (the record of ours, else None); check images."""
        started_dockerd = None
        if not docker.daemon_answers():
            started_dockerd = docker.start_daemon(layout.logs / "dockerd.log")
        for image in (toolchain.PAUSE_IMAGE, toolchain.BUSYBOX_IMAGE):
            if not docker.image_present(image):
                raise ClusterError(
                    f"the image {image} is not in Docker",
                    fix="run `sudo kklab toolchain install` (it builds the images offline)",
                )
        return started_dockerd

    def _start_components(
        self,
        layout: cfg.Layout,
        programs: dict[str, str],
        started: float,
        started_dockerd: processes.ProcessRecord | None,
        records: list[processes.ProcessRecord] | None = None,
    ) -> None:
        """Start every component in order and wait until the cluster is really ready.

        ``records`` collects what was started, for the caller to clean up on failure.
        """
        records = [] if records is None else records
        records.append(self._start_etcd(layout, programs["etcd"]))
        self._save_state(layout, records, started_dockerd)
        _wait("etcd healthy", started, lambda: _etcd_healthy(layout.pki), records, timeout_s=30)
        records.append(self._start("kube-apiserver", layout, _apiserver_args(layout)))
        self._save_state(layout, records, started_dockerd)
        _wait(
            "kube-apiserver ready",
            started,
            lambda: _api_ready(layout.pki),
            records,
            timeout_s=60,
        )
        for name, args in _node_and_controllers(layout):
            records.append(self._start(name, layout, args))
        records.append(self._start_dnsmasq(layout, programs["dnsmasq"]))
        records.append(
            self._start(
                "dns-watcher",
                layout,
                [
                    sys.executable,
                    "-m",
                    "kklab.cluster.local.dns",
                    "--kubeconfig",
                    str(layout.kubeconfig_for("admin")),
                    "--hosts-file",
                    str(layout.dns / "hosts"),
                    "--dnsmasq-pid-file",
                    str(layout.dns / "dnsmasq.pid"),
                ],
                program=None,
            )
        )
        self._save_state(layout, records, started_dockerd)
        api_client = ClusterInfo(self.name, NAME, layout.learner_kubeconfig, NAME).api_client()
        bootstrap.create_objects(api_client, layout)
        bootstrap.wait_until_ready(
            api_client,
            layout,
            started=started,
            alive=lambda: _first_dead(records),
            timeout_s=READY_TIMEOUT_S,
        )

    def _ready(self, layout: cfg.Layout, started: float, how: str) -> ClusterInfo:
        learner = cfg.kubeconfig(layout, "admin", NAME)
        target = kubeconfigs.add_context(learner, NAME)
        say(
            f"✓ {NAME} ready in {time.monotonic() - started:.1f} s ({how}); kubectl context "
            f"{NAME} added to {target}"
        )
        return ClusterInfo(self.name, NAME, layout.learner_kubeconfig, NAME)

    def _prepare_folders(self, layout: cfg.Layout, *, keep_data: bool) -> None:
        if not keep_data:
            for folder in layout.removable():
                shutil.rmtree(folder, ignore_errors=True)
        if layout.logs.exists():
            previous = layout.logs / "previous"
            shutil.rmtree(previous, ignore_errors=True)
            previous.mkdir(parents=True)
            for log in layout.logs.glob("*.log"):
                log.rename(previous / log.name)
        for folder in (
            layout.config,
            layout.logs,
            layout.dns,
            layout.cni_conf_dir,
            layout.cni_data,
            layout.kubelet_root,
            layout.etcd_data,
            layout.static_pods,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        layout.etcd_data.chmod(0o700)

    def _write_config(self, layout: cfg.Layout, *, keep_pki: bool = False) -> None:
        """Certificates (kept on a restart: the data was signed with them), then config files."""
        if not keep_pki:
            pki.create(
                layout.pki,
                node_name=layout.node_name,
                node_ip=layout.node_ip,
                service_ip=cfg.SERVICE_IP,
            )
        elif pki.create_etcd(layout.pki):
            say("… etcd now takes only clients with its own certificates (new since this cluster)")
        identities = {
            "admin": "admin",
            "controller-manager": "controller-manager",
            "scheduler": "scheduler",
            "kube-proxy": "kube-proxy",
            "kubelet": "kubelet",
        }
        for identity, stem in identities.items():
            _write_yaml(layout.kubeconfig_for(identity), cfg.kubeconfig(layout, stem, NAME))
        _write_yaml(layout.learner_kubeconfig, cfg.kubeconfig(layout, "admin", NAME))
        _write_yaml(layout.config / "kubelet.yaml", cfg.kubelet_config(layout))
        _write_yaml(layout.config / "kube-proxy.yaml", cfg.kube_proxy_config(layout))
        (layout.cni_conf_dir / "10-kklab.conflist").write_text(
            json.dumps(cfg.cni_conflist(layout), indent=2)
        )
        (layout.dns / "hosts").write_text("")

    def _start(
        self, name: str, layout: cfg.Layout, args: list[str], program: str | None = "kubernetes"
    ) -> processes.ProcessRecord:
        command = [str(toolchain.binary(name)), *args] if program else args
        return processes.start(name, command, layout.logs / f"{name}.log")

    def _start_etcd(self, layout: cfg.Layout, etcd: str) -> processes.ProcessRecord:
        """etcd on 127.0.0.1 over TLS, answering only clients with a certificate of its CA."""
        p = layout.pki
        client_url = f"https://127.0.0.1:{cfg.ETCD_CLIENT_PORT}"
        peer_url = f"https://127.0.0.1:{cfg.ETCD_PEER_PORT}"
        command = [
            etcd,
            "--name",
            "kklab",
            "--data-dir",
            str(layout.etcd_data),
            "--listen-client-urls",
            client_url,
            "--advertise-client-urls",
            client_url,
            "--listen-peer-urls",
            peer_url,
            "--initial-advertise-peer-urls",
            peer_url,
            "--initial-cluster",
            f"kklab={peer_url}",
            f"--cert-file={p / 'etcd-server.crt'}",
            f"--key-file={p / 'etcd-server.key'}",
            f"--trusted-ca-file={p / 'etcd-ca.crt'}",
            "--client-cert-auth",
            f"--peer-cert-file={p / 'etcd-server.crt'}",
            f"--peer-key-file={p / 'etcd-server.key'}",
            f"--peer-trusted-ca-file={p / 'etcd-ca.crt'}",
            "--peer-client-cert-auth",
            "--unsafe-no-fsync",
            "--log-level",
            "warn",
        ]
        return processes.start("etcd", command, layout.logs / "etcd.log")

    def _start_dnsmasq(self, layout: cfg.Layout, dnsmasq: str) -> processes.ProcessRecord:
        command = [
            dnsmasq,
            "--keep-in-foreground",
            "--no-hosts",
            "--user=root",
            f"--addn-hosts={layout.dns / 'hosts'}",
            f"--listen-address={layout.node_ip}",
            "--bind-interfaces",
            "--port=53",
            f"--local=/{cfg.CLUSTER_DOMAIN}/",
            "--domain-needed",
            f"--pid-file={layout.dns / 'dnsmasq.pid'}",
            "--log-facility=-",
        ]
        return processes.start("dnsmasq", command, layout.logs / "dnsmasq.log")

    # --- down ------------------------------------------------------------------

    def down(self, *, quiet: bool = False) -> None:
        """Stop what ``up`` started and remove what the cluster left on the host."""
        started = time.monotonic()
        state = self._state()
        if state is None:
            if not quiet:
                say(f"✓ no {NAME} cluster to stop")
            return
        layout = cfg.Layout.at(
            self.root, node_name=state.get("node_name", ""), node_ip=state.get("node_ip", "")
        )
        provisioned = (
            bootstrap.provisioned_paths(layout) if _api_ready(layout.pki, timeout_s=1) else []
        )
        records = self._records(state)
        # The cluster's data is deleted below, so a graceful shutdown buys
        # nothing; kube-apiserver alone would wait 5 s for its watchers.
        with ThreadPoolExecutor(max_workers=len(records) + 1) as pool:
            list(pool.map(lambda record: processes.stop(record, grace_s=1.0), records))
        removed = docker.remove_pod_containers() if docker.daemon_answers() else 0
        host.unmount_below(layout.kubelet_root)
        host.remove_link("cni0")
        dockerd = state.get("dockerd")
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Docker's own rules are left alone, so it can stop while we clean ours.
            stopping = (
                pool.submit(processes.stop, processes.ProcessRecord.from_json(dockerd), grace_s=15)
                if dockerd
                else None
            )
            chains = host.remove_iptables_chains()
            for path in provisioned:
                shutil.rmtree(path, ignore_errors=True)
            if stopping is not None:
                stopping.result()
        for folder in layout.removable():
            shutil.rmtree(folder, ignore_errors=True)
        layout.state_file.unlink(missing_ok=True)
        layout.learner_kubeconfig.unlink(missing_ok=True)
        kubeconfigs.remove_context(NAME)
        if not quiet:
            say(
                f"✓ {NAME} stopped in {time.monotonic() - started:.1f} s: "
                f"{len(records)} processes, {removed} containers, {chains} iptables chains "
                f"removed; logs kept in {layout.logs}"
            )


def expected_node_name(like: str) -> str:
    """The node's name: kind's ``<cluster>-control-plane`` in the kind profile, else the host's.

    >>> expected_node_name("kind")
    'kklab-control-plane'
    """
    return KIND_NODE_NAME if like == "kind" else host.node_name()


def _require_program(program: str, package: str) -> str:
    found = shutil.which(program) or next(
        (str(p) for p in (Path("/usr/sbin") / program, Path("/sbin") / program) if p.exists()),
        None,
    )
    if not found:
        raise ClusterError(
            f"{program} is not installed",
            fix=f"run `sudo kklab toolchain install` (installs {package})",
        )
    return found


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def _kubelet_healthy() -> bool:
    try:
        with urllib.request.urlopen("http://127.0.0.1:10248/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


# How to ask a running component whether it works, and where it answers.
_PROBES: dict[str, tuple[str, Callable[[Path], bool]]] = {
    "etcd": (f"https://127.0.0.1:{cfg.ETCD_CLIENT_PORT}/health", lambda pki: _etcd_healthy(pki)),
    "kubelet": ("http://127.0.0.1:10248/healthz", lambda _pki: _kubelet_healthy()),
}


def _component_status(
    record: processes.ProcessRecord, *, api_ok: bool, pki_dir: Path
) -> ComponentStatus:
    """One process's line: gone (with its log's last line), stopped, silent, or healthy."""
    state = processes.state(record)
    if state == "gone":
        last = _last_line(Path(record.log_path))
        return ComponentStatus(
            record.name,
            False,
            f"not running (PID {record.pid} is gone); its log is {record.log_path}"
            + (f": {last}" if last else "")
            + "; `kklab up` restarts the cluster with your work",
        )
    if state == "stopped":
        return ComponentStatus(
            record.name,
            False,
            f"PID {record.pid} is stopped (frozen): `kill -CONT {record.pid}` resumes it, "
            "`kklab up` restarts the cluster with your work",
        )
    if record.name == "kube-apiserver":
        answers, where = api_ok, f"https://127.0.0.1:{cfg.API_PORT}/readyz"
    elif record.name in _PROBES:
        where, probe = _PROBES[record.name]
        answers = probe(pki_dir)
    else:
        return ComponentStatus(record.name, True, f"PID {record.pid}")
    if answers:
        return ComponentStatus(record.name, True, f"PID {record.pid}, answers at {where}")
    return ComponentStatus(
        record.name,
        False,
        f"PID {record.pid} runs but gives no healthy answer at {where}; its log is "
        f"{record.log_path}",
    )


def _etcd_healthy(pki_dir: Path) -> bool:
    """etcd's /health, asked with kklab's health-check certificate (etcd takes no other).

    A cluster made before etcd had TLS serves plain HTTP until its next start.
    """
    if not (pki_dir / "etcd-healthcheck-client.crt").exists():
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{cfg.ETCD_CLIENT_PORT}/health", timeout=1
            ) as response:
                return b"true" in response.read()
        except OSError:
            return False
    context = ssl.create_default_context(cafile=str(pki_dir / "etcd-ca.crt"))
    context.load_cert_chain(
        str(pki_dir / "etcd-healthcheck-client.crt"), str(pki_dir / "etcd-healthcheck-client.key")
    )
    try:
        with urllib.request.urlopen(
            f"https://127.0.0.1:{cfg.ETCD_CLIENT_PORT}/health", timeout=1, context=context
        ) as response:
            return b"true" in response.read()
    except OSError:
        return False


def _api_ready(pki_dir: Path, timeout_s: float = 1) -> bool:
    if not (pki_dir / "admin.crt").exists():
        return False
    context = ssl.create_default_context(cafile=str(pki_dir / "ca.crt"))
    context.load_cert_chain(str(pki_dir / "admin.crt"), str(pki_dir / "admin.key"))
    try:
        with urllib.request.urlopen(
            f"https://127.0.0.1:{cfg.API_PORT}/readyz", timeout=timeout_s, context=context
        ) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _first_dead(records: list[processes.ProcessRecord]) -> processes.ProcessRecord | None:
    return next((record for record in records if not processes.is_running(record)), None)


def _wait(
    what: str,
    started: float,
    ready: Callable[[], bool],
    records: list[processes.ProcessRecord],
    *,
    timeout_s: float,
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            say(f"✓ {what} ({time.monotonic() - started:.1f} s)")
            return
        dead = _first_dead(records)
        if dead:
            raise ClusterError(
                f"{dead.name} stopped while starting: {_last_line(Path(dead.log_path))}",
                fix=f"read {dead.log_path}, fix the cause, then run `kklab up` again",
            )
        time.sleep(0.2)
    raise ClusterError(
        f"timed out waiting for {what} after {timeout_s:.0f} s",
        fix="run `kklab status` to see which component is unhealthy",
    )


def _apiserver_args(layout: cfg.Layout) -> list[str]:
    p = layout.pki
    return [
        f"--advertise-address={layout.node_ip}",
        "--bind-address=0.0.0.0",
        f"--secure-port={cfg.API_PORT}",
        "--insecure-port=0",
        f"--etcd-servers=https://127.0.0.1:{cfg.ETCD_CLIENT_PORT}",
        f"--etcd-cafile={p / 'etcd-ca.crt'}",
        f"--etcd-certfile={p / 'apiserver-etcd-client.crt'}",
        f"--etcd-keyfile={p / 'apiserver-etcd-client.key'}",
        f"--service-cluster-ip-range={cfg.SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true",
        f"--client-ca-file={p / 'ca.crt'}",
        f"--tls-cert-file={p / 'apiserver.crt'}",
        f"--tls-private-key-file={p / 'apiserver.key'}",
        f"--kubelet-client-certificate={p / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={p / 'apiserver-kubelet-client.key'}",
        f"--kubelet-certificate-authority={p / 'ca.crt'}",
        "--kubelet-preferred-address-types=InternalIP,Hostname",
        f"--service-account-key-file={p / 'service-account.pub'}",
        f"--service-account-signing-key-file={p / 'service-account.key'}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--api-audiences=https://kubernetes.default.svc.cluster.local",
        f"--feature-gates={cfg.gates_flag()}",
        "--profiling=false",
        "--v=1",
    ]


def _node_and_controllers(layout: cfg.Layout) -> list[tuple[str, list[str]]]:
    p = layout.pki
    return [
        (
            "kube-controller-manager",
            [
                f"--kubeconfig={layout.kubeconfig_for('controller-manager')}",
                f"--authentication-kubeconfig={layout.kubeconfig_for('controller-manager')}",
                f"--authorization-kubeconfig={layout.kubeconfig_for('controller-manager')}",
                "--bind-address=127.0.0.1",
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                f"--root-ca-file={p / 'ca.crt'}",
                f"--service-account-private-key-file={p / 'service-account.key'}",
                f"--cluster-signing-cert-file={p / 'ca.crt'}",
                f"--cluster-signing-key-file={p / 'ca.key'}",
                f"--service-cluster-ip-range={cfg.SERVICE_CIDR}",
                f"--cluster-cidr={cfg.POD_CIDR}",
                "--enable-hostpath-provisioner=true",
                f"--feature-gates={cfg.gates_flag()}",
                "--v=1",
            ],
        ),
        (
            "kube-scheduler",
            [
                f"--kubeconfig={layout.kubeconfig_for('scheduler')}",
                f"--authentication-kubeconfig={layout.kubeconfig_for('scheduler')}",
                f"--authorization-kubeconfig={layout.kubeconfig_for('scheduler')}",
                "--bind-address=127.0.0.1",
                "--leader-elect=false",
                f"--feature-gates={cfg.gates_flag()}",
                "--v=1",
            ],
        ),
        (
            "kubelet",
            [
                f"--config={layout.config / 'kubelet.yaml'}",
                f"--kubeconfig={layout.kubeconfig_for('kubelet')}",
                f"--root-dir={layout.kubelet_root}",
                f"--cert-dir={layout.kubelet_root / 'pki'}",
                f"--hostname-override={layout.node_name}",
                f"--node-ip={layout.node_ip}",
                "--container-runtime=docker",
                "--network-plugin=cni",
                "--cni-bin-dir=/usr/lib/cni",
                f"--cni-conf-dir={layout.cni_conf_dir}",
                f"--cni-cache-dir={layout.root / 'cni' / 'cache'}",
                f"--pod-infra-container-image={toolchain.PAUSE_IMAGE}",
                "--oom-score-adj=0",
                "--v=1",
            ],
        ),
        (
            "kube-proxy",
            [
                f"--config={layout.config / 'kube-proxy.yaml'}",
                "--v=1",
            ],
        ),
    ]
