"""``kklab doctor``: is this machine ready for the labs, and if not, what to do.

``gather()`` looks at the machine (Docker, kind, kubectl, helm, the running
cluster's version, CPU, memory, disk, inotify limits, root); ``evaluate()`` is
a pure function from those facts to one line per check, so each verdict and
its fix is unit-tested. A check is ``ok``, ``warn`` (worth knowing, not a
failure: e.g. kind missing where the local provider works), ``fail`` (with the
fix on the same line) or ``skip`` (does not apply here). The exit code is 0
only when nothing failed.

Example:
    >>> version_minor("v1.20.2"), version_minor("Client Version: v1.32.1")
    ((1, 20), (1, 32))
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kklab.cluster import choosing
from kklab.errors import ClusterError, ToolchainError
from kklab.paths import state_dir
from kklab.shell import CommandError, run, which

KIND_WATCHES = 524288
KIND_INSTANCES = 512
MIN_MEMORY_MIB = 2048
GOOD_MEMORY_MIB = 4096
MIN_DISK_MIB = 3 * 1024
GOOD_DISK_MIB = 10 * 1024
INOTIFY_FIX = (
    f"sudo sysctl fs.inotify.max_user_watches={KIND_WATCHES} "
    f"fs.inotify.max_user_instances={KIND_INSTANCES} (put both in "
    "/etc/sysctl.d/99-kklab.conf to keep them)"
)


@dataclass(frozen=True)
class Tool:
    """A program and its version."""

    path: str | None
    """Where it is; None when it is not on PATH."""
    version: str | None
    """Its version as it reports it, e.g. ``v1.20.0``."""


@dataclass(frozen=True)
class Facts:
    """Everything the checks look at."""

    docker_version: str | None
    """The Docker daemon's version; None when no daemon answers."""
    kind: Tool
    kubectl: Tool
    helm: Tool
    graphviz: Tool
    """Graphviz's ``dot``, which draws ``%kklab map`` (a text outline without it)."""
    provider_up: str | None
    """The provider whose cluster is up, if any."""
    server_version: str | None
    """That cluster's Kubernetes version; None when none answers."""
    matching_kubectl: str | None
    """A kubectl that matches the local cluster (``toolchain.kubectl()``), if built."""
    architecture: str
    """``platform.machine()``, e.g. ``x86_64``."""
    memory_available_mib: int | None
    disk_free_mib: int | None
    disk_path: str
    inotify_watches: int | None
    """``fs.inotify.max_user_watches``; None where there is no /proc (macOS)."""
    inotify_instances: int | None
    is_root: bool
    choice: choosing.Facts
    """What the provider choice looks at (Docker, kind, local toolchain)."""


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    """What was checked, e.g. ``kubectl``."""
    status: str
    """``ok``, ``warn``, ``fail`` or ``skip``."""
    detail: str
    """What was found."""
    fix: str = ""
    """What to do about it (for ``fail`` and ``warn``)."""

    def render(self) -> str:
        mark = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}[self.status]
        line = f"{mark} {self.name:<16} {self.detail}"
        return f"{line}: {self.fix}" if self.fix and self.status in ("fail", "warn") else line


def version_minor(text: str | None) -> tuple[int, int] | None:
    """(major, minor) of the first ``vX.Y`` in ``text``."""
    found = re.search(r"v?(\d+)\.(\d+)", text or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def _planned_provider(facts: Facts) -> str | None:
    if facts.provider_up:
        return facts.provider_up
    try:
        return choosing.decide(facts.choice).provider
    except ClusterError:
        return None


def evaluate(facts: Facts) -> list[Check]:
    """One check per line, judged from the facts alone."""
    planned = _planned_provider(facts)
    local_ok = choosing.local_usable(facts.choice)
    checks = [
        _docker(facts, local_ok),
        _kind(facts, local_ok, planned),
        _kubectl(facts),
        _skew(facts),
        _helm(facts),
        _graphviz(facts),
        _architecture(facts),
        _memory(facts),
        _disk(facts),
        _inotify(facts, planned),
        _root(facts, planned),
    ]
    if planned is None:
        checks.append(
            Check(
                "provider",
                "fail",
                "no provider can start a cluster here",
                "fix the ✗ lines above (Docker and kind, or root on Debian for the local "
                "provider), or use `kklab up --provider existing --context NAME`",
            )
        )
    else:
        how = "is up" if facts.provider_up else "is what `kklab up` would use"
        checks.append(Check("provider", "ok", f"{planned} {how}"))
    return checks


def _docker(facts: Facts, local_ok: bool) -> Check:
    if facts.docker_version:
        return Check("docker", "ok", f"Docker {facts.docker_version} answers")
    if local_ok and facts.is_root:
        return Check(
            "docker",
            "warn",
            "no Docker daemon answers",
            "the local provider starts dockerd itself; kind needs it running",
        )
    return Check(
        "docker",
        "fail",
        "no Docker daemon answers",
        "start Docker (Docker Desktop, or `sudo systemctl start docker`); install it from "
        "https://docs.docker.com/get-docker/",
    )


def _kind(facts: Facts, local_ok: bool, planned: str | None) -> Check:
    if facts.kind.path:
        return Check("kind", "ok", f"{facts.kind.version or 'version unknown'} ({facts.kind.path})")
    if facts.choice.kind_downloadable:
        return Check("kind", "warn", "not on PATH", "kklab downloads its pinned kind when needed")
    if local_ok or planned in ("local", "existing"):
        return Check(
            "kind",
            "warn",
            "not on PATH and not downloadable from here",
            "not needed: the local provider works here",
        )
    return Check(
        "kind",
        "fail",
        "not on PATH and not downloadable from here",
        "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    )


def _kubectl(facts: Facts) -> Check:
    if facts.kubectl.path:
        return Check(
            "kubectl", "ok", f"{facts.kubectl.version or 'version unknown'} ({facts.kubectl.path})"
        )
    return Check(
        "kubectl",
        "fail",
        "not on PATH",
        "run `kklab toolchain install` (local provider), or install it: "
        "https://kubernetes.io/docs/tasks/tools/",
    )


def _skew(facts: Facts) -> Check:
    server = version_minor(facts.server_version)
    client = version_minor(facts.kubectl.version)
    if server is None:
        return Check("version skew", "skip", "no cluster is up: not checked")
    if client is None:
        return Check("version skew", "skip", "no kubectl version to compare")
    distance = abs(client[1] - server[1]) if client[0] == server[0] else 99
    if distance <= 1:
        return Check(
            "version skew",
            "ok",
            f"kubectl {facts.kubectl.version} works with the server {facts.server_version}",
        )
    if facts.matching_kubectl and facts.provider_up == "local":
        folder = Path(facts.matching_kubectl).parent
        fix = (
            f"use the kubectl built for this cluster: `export PATH={folder}:$PATH` "
            "(`kklab toolchain install` also links it into kklab's virtualenv)"
        )
    else:
        fix = (
            f"install kubectl v{server[0]}.{server[1]} "
            "(https://kubernetes.io/docs/tasks/tools/) and put it first on PATH"
        )
    return Check(
        "version skew",
        "fail",
        f"kubectl {facts.kubectl.version} is {distance} minor versions from the server "
        f"{facts.server_version} (at most 1 is supported)",
        fix,
    )


def _graphviz(facts: Facts) -> Check:
    if facts.graphviz.path:
        version = facts.graphviz.version or "version unknown"
        return Check("graphviz", "ok", f"dot {version} ({facts.graphviz.path})")
    return Check(
        "graphviz",
        "warn",
        "dot is not on PATH: `%kklab map` shows a text outline instead of a drawing",
        "install Graphviz: `sudo apt install graphviz` (Debian, Ubuntu) or "
        "`brew install graphviz` (macOS)",
    )


def _helm(facts: Facts) -> Check:
    if facts.helm.path:
        return Check("helm", "ok", f"{facts.helm.version or 'version unknown'} ({facts.helm.path})")
    return Check(
        "helm",
        "warn",
        "not on PATH (only the Helm lab needs it)",
        "run `kklab toolchain install`, or install Helm 3: https://helm.sh/docs/intro/install/",
    )


def _architecture(facts: Facts) -> Check:
    arch = facts.architecture.lower()
    if arch in ("x86_64", "amd64"):
        return Check("cpu", "ok", arch)
    if arch in ("arm64", "aarch64"):
        if facts.kind.path and facts.kubectl.path:
            return Check("cpu", "ok", f"{arch} (kind and kubectl are installed for it)")
        return Check(
            "cpu",
            "warn",
            f"{arch}: kklab's kind download is the amd64 build",
            "install kind and kubectl for arm64 yourself (Homebrew: `brew install kind "
            "kubectl`) so they are on PATH",
        )
    return Check("cpu", "fail", f"{arch} is not supported", "use an x86_64 or arm64 machine")


def _memory(facts: Facts) -> Check:
    mib = facts.memory_available_mib
    if mib is None:
        return Check("memory", "skip", "cannot read the free memory here")
    if mib < MIN_MEMORY_MIB:
        return Check(
            "memory",
            "fail",
            f"{mib} MiB available, the cluster needs about {MIN_MEMORY_MIB} MiB",
            "close other programs (or give Docker Desktop more memory)",
        )
    if mib < GOOD_MEMORY_MIB:
        return Check(
            "memory", "warn", f"{mib} MiB available", f"labs run best with {GOOD_MEMORY_MIB} MiB"
        )
    return Check("memory", "ok", f"{mib} MiB available")


def _disk(facts: Facts) -> Check:
    mib = facts.disk_free_mib
    if mib is None:
        return Check("disk", "skip", f"cannot read the free space of {facts.disk_path}")
    where = f"{mib / 1024:.1f} GiB free in {facts.disk_path}"
    if mib < MIN_DISK_MIB:
        return Check(
            "disk",
            "fail",
            where + f" (needs {MIN_DISK_MIB // 1024} GiB)",
            "free some space (e.g. `docker system prune`)",
        )
    if mib < GOOD_DISK_MIB:
        return Check(
            "disk", "warn", where, f"{GOOD_DISK_MIB // 1024} GiB leaves room for images and logs"
        )
    return Check("disk", "ok", where)


def _inotify(facts: Facts, planned: str | None) -> Check:
    watches, instances = facts.inotify_watches, facts.inotify_instances
    if watches is None or instances is None:
        return Check("inotify", "skip", "no /proc/sys/fs/inotify here (Docker's VM sets them)")
    detail = f"max_user_watches {watches}, max_user_instances {instances}"
    if watches >= KIND_WATCHES and instances >= KIND_INSTANCES:
        return Check("inotify", "ok", detail)
    low = detail + f" (kind recommends {KIND_WATCHES} and {KIND_INSTANCES})"
    if planned == "kind":
        return Check("inotify", "fail", low + ": pods fail with 'too many open files'", INOTIFY_FIX)
    return Check("inotify", "warn", low, "needed for kind: " + INOTIFY_FIX)


def _root(facts: Facts, planned: str | None) -> Check:
    if facts.is_root:
        return Check("root", "ok", "running as root (the local provider needs it)")
    if planned == "local":
        return Check(
            "root",
            "fail",
            "not root, and the local provider runs kubelet and changes iptables",
            "run kklab as root (sudo), or use kind on a machine with Docker",
        )
    return Check("root", "skip", f"not root: not needed for the {planned or 'kind'} provider")


# --- gathering ------------------------------------------------------------------------


def _tool(name: str, command: list[str], pattern: str = r"v\d+\.\d+\.\d+[^\s\"]*") -> Tool:
    path = which(name)
    if path is None:
        return Tool(None, None)
    try:
        output = run([str(path), *command], timeout_s=15, check=False)
    except CommandError:
        return Tool(str(path), None)
    found = re.search(pattern, output.stdout + output.stderr)
    return Tool(str(path), found.group(0) if found else None)


def _kubectl_tool() -> Tool:
    path = which("kubectl")
    if path is None:
        return Tool(None, None)
    try:
        output = run([str(path), "version", "--client", "-o", "json"], timeout_s=15, check=False)
        version = json.loads(output.stdout)["clientVersion"]["gitVersion"]
    except (CommandError, ValueError, KeyError, TypeError):
        return _tool("kubectl", ["version", "--client"])
    return Tool(str(path), str(version))


def _read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _memory_available_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        return None
    return None


def _docker_version() -> str | None:
    from kklab.cluster import docker

    if not docker.daemon_answers():
        return None
    path = which("docker")
    try:
        output = run(
            [str(path or "docker"), "version", "--format", "{{.Server.Version}}"], timeout_s=10
        )
    except CommandError:
        return None
    return output.stdout.strip() or None


def _server() -> tuple[str | None, str | None]:
    provider = choosing.provider_in_use()
    info = provider.info() if provider is not None else None
    if provider is None or info is None:
        return None, None
    try:
        from kubernetes import client

        version = client.VersionApi(info.api_client()).get_code(_request_timeout=3).git_version
    except Exception:
        return provider.name, None
    return provider.name, str(version)


def gather() -> Facts:
    """Look at this machine (takes a few seconds: it runs each tool once)."""
    from kklab.cluster import toolchain

    provider_up, server_version = _server()
    try:
        matching: str | None = str(toolchain.kubectl())
    except ToolchainError:
        matching = None
    disk_path = state_dir() if state_dir().exists() else Path.home()
    try:
        disk_free: int | None = shutil.disk_usage(disk_path).free // (1024 * 1024)
    except OSError:
        disk_free = None
    return Facts(
        docker_version=_docker_version(),
        kind=_tool("kind", ["version"]),
        kubectl=_kubectl_tool(),
        helm=_tool("helm", ["version", "--short"]),
        graphviz=_tool("dot", ["-V"], r"\d+\.\d+\.\d+"),
        provider_up=provider_up,
        server_version=server_version,
        matching_kubectl=matching,
        architecture=platform.machine(),
        memory_available_mib=_memory_available_mib(),
        disk_free_mib=disk_free,
        disk_path=str(disk_path),
        inotify_watches=_read_int("/proc/sys/fs/inotify/max_user_watches"),
        inotify_instances=_read_int("/proc/sys/fs/inotify/max_user_instances"),
        is_root=os.geteuid() == 0,
        choice=choosing.gather_facts(check_local=True),
    )


def summary(checks: list[Check]) -> str:
    """The closing line: passed, or how many failed; warnings are named as not failures."""
    failed = [check.name for check in checks if check.status == "fail"]
    warned = [check.name for check in checks if check.status == "warn"]
    warning_note = (
        f"; {len(warned)} warning{'s' if len(warned) != 1 else ''} ({', '.join(warned)}) "
        "(warnings are not failures)"
        if warned
        else ""
    )
    if failed:
        plural = "s" if len(failed) != 1 else ""
        return f"{len(failed)} check{plural} failed ({', '.join(failed)}){warning_note}"
    return "all checks passed" + warning_note
