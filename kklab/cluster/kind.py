"""The ``kind`` provider: a cluster in Docker, through pytest-kind-ng's ``KindCluster``.

kind and kubectl come from PATH first; otherwise pytest-kind-ng downloads its
pinned versions into kklab's cache. The cluster uses kklab's own kind config
(``kind-config.yaml`` beside this module): folders on the learner's machine for
the hostPath and local-PV exercises, and port 30080 for the NodePort exercise.
``up`` waits until a lab can really run (node, DNS, StorageClass; see
``waiting``), then loads the course images into the node so the labs work
offline. ``down`` deletes only the cluster kklab created: the one named
``kklab`` whose marker kklab wrote in ``~/.kklab/kind/cluster.json``.

Example:
    >>> provider = KindProvider()
    >>> provider.name
    'kind'
    >>> info = provider.up()           # doctest: +SKIP
    >>> provider.down()                # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from kklab.cluster import docker, kubeconfigs, reaching, toolchain, waiting
from kklab.cluster.base import ClusterInfo, ClusterStatus, ComponentStatus
from kklab.errors import ClusterError
from kklab.paths import cache_dir, state_dir
from kklab.shell import CommandError, run, say, which

NAME = "kklab"
CONFIG_RESOURCE = "kind-config.yaml"
READY_TIMEOUT_S = 300.0
KIND_RELEASES = "https://github.com/kubernetes-sigs/kind/releases"
INSTALL_KIND = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
T = TypeVar("T")


def pinned_versions() -> tuple[str, str]:
    """The kind and kubectl versions pytest-kind-ng downloads (``KIND_VERSION`` and
    ``KUBECTL_VERSION`` in the environment override them)."""
    from pytest_kind import cluster as kind_cluster  # type: ignore[import-untyped]

    return str(kind_cluster.KIND_VERSION), str(kind_cluster.KUBECTL_VERSION)


def download_url() -> str:
    """Where kind comes from when it is not on PATH (``KIND_DOWNLOAD_URL`` overrides)."""
    kind_version, _ = pinned_versions()
    return os.environ.get("KIND_DOWNLOAD_URL", f"{KIND_RELEASES}/download/{kind_version}/")


def downloaded_kind() -> Path:
    return cache_dir() / "kind" / pinned_versions()[0] / "kind"


def downloaded_kubectl() -> Path:
    return cache_dir() / "kind" / pinned_versions()[1] / "kubectl"


def find_kind() -> Path | None:
    """kind on PATH, else the one kklab downloaded before, else None."""
    found = which("kind")
    if found is not None:
        return found
    cached = downloaded_kind()
    return cached if cached.is_file() else None


# --- the cluster config --------------------------------------------------------


def config_template() -> dict[str, Any]:
    """kklab's kind config as shipped in the package."""
    text = resources.files("kklab.cluster").joinpath(CONFIG_RESOURCE).read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def render_config(template: dict[str, Any], base: Path) -> dict[str, Any]:
    """The config with every relative ``hostPath`` made absolute below ``base``."""
    rendered = copy.deepcopy(template)
    for node in rendered.get("nodes") or []:
        for mount in node.get("extraMounts") or []:
            path = Path(mount["hostPath"])
            if not path.is_absolute():
                mount["hostPath"] = str(base / path)
    return rendered


def host_folders(config: dict[str, Any]) -> list[Path]:
    """The folders on this machine that the config mounts into the node."""
    return [
        Path(mount["hostPath"])
        for node in config.get("nodes") or []
        for mount in node.get("extraMounts") or []
    ]


# --- what kklab remembers about its cluster ----------------------------------------


@dataclass(frozen=True)
class Marker:
    """Written before ``kind create cluster``: proof that kklab made this cluster."""

    name: str
    """The kind cluster's name (always ``kklab``)."""
    kind_path: str
    """The kind executable used."""
    kubectl_path: str
    """The kubectl used (on PATH or downloaded)."""
    kubeconfig_path: str
    """The kubeconfig kind wrote for kklab."""
    context: str
    """Its context (``kind-kklab``); empty until the cluster exists."""
    ready: bool
    """True once ``up`` saw the cluster ready."""
    created_at: float
    """When ``up`` started creating it."""


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    # KindCluster() makes a ``.pytest-kind`` folder in the current directory:
    # keep it in kklab's state folder rather than the learner's.
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def _kind_step(what: str, action: Callable[[], T], fix: str) -> T:
    """Run one KindCluster call, turning its failures into a ClusterError."""
    try:
        return action()
    except subprocess.CalledProcessError as err:
        command = " ".join(str(part) for part in err.cmd)
        output = (err.output or err.stderr or "").strip()[-300:]
        raise ClusterError(
            f"{what} failed: `{command}` exited with {err.returncode}"
            + (f": {output}" if output else " (its output is above)"),
            fix=fix,
        ) from err
    except OSError as err:
        raise ClusterError(f"{what} failed: {err}", fix=fix) from err


class KindProvider:
    """Create, inspect and delete kklab's kind cluster."""

    name = "kind"

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or state_dir() / "kind"

    @property
    def marker_path(self) -> Path:
        return self.root / "cluster.json"

    @property
    def kubeconfig_path(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def config_path(self) -> Path:
        return self.root / "kind-config.yaml"

    def marker(self) -> Marker | None:
        """kklab's record of the cluster it created, or None."""
        try:
            return Marker(**json.loads(self.marker_path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _save_marker(self, marker: Marker) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.marker_path.write_text(json.dumps(asdict(marker), indent=2))

    def host_folder(self, node_path: str) -> Path:
        """Where a folder under the node's /var/local/kklab is on this machine."""
        relative = Path(node_path).relative_to("/var/local/kklab")
        return self.root / "volumes" / "node" / relative

    def info(self) -> ClusterInfo | None:
        """How to reach the cluster, or None when kklab created none."""
        marker = self.marker()
        if marker is None:
            return None
        return ClusterInfo(
            self.name, marker.name, Path(marker.kubeconfig_path), marker.context or f"kind-{NAME}"
        )

    def _kind_cluster(self, kind_path: Path, kubectl_path: Path) -> Any:
        from pytest_kind import KindCluster

        self.root.mkdir(parents=True, exist_ok=True)
        with _inside(self.root):
            cluster = KindCluster(
                NAME,
                kubeconfig=self.kubeconfig_path,
                image=os.environ.get("KKLAB_KIND_IMAGE") or None,
                kind_path=kind_path,
                kubectl_path=kubectl_path,
            )
        with contextlib.suppress(OSError):  # it stays empty: we pass every path
            (self.root / ".pytest-kind" / NAME).rmdir()
            (self.root / ".pytest-kind").rmdir()
        return cluster

    # --- up ------------------------------------------------------------------------

    def up(self) -> ClusterInfo:
        """Create the cluster (or reuse kklab's), wait until it is ready, load images."""
        started = time.monotonic()
        marker = self.marker()
        if marker is not None and marker.ready and self.status().healthy:
            say(f"✓ kind cluster {NAME} is already up")
            info = self.info()
            assert info is not None
            return info
        if not docker.daemon_answers():
            raise ClusterError(
                "kind needs Docker, and no Docker daemon answers",
                fix="start Docker (Docker Desktop, or `sudo systemctl start docker`), "
                "then run `kklab up` again",
            )
        kind_path = self._kind_path()
        kubectl_path = which("kubectl") or downloaded_kubectl()
        cluster = self._kind_cluster(kind_path, kubectl_path)
        _kind_step(
            f"downloading kind {pinned_versions()[0]}",
            cluster.ensure_kind,
            fix=f"install kind yourself ({INSTALL_KIND}), or use `--provider local`",
        )
        existing = _cluster_names(kind_path)
        if NAME in existing and marker is None:
            raise ClusterError(
                f"a kind cluster named {NAME} exists, but kklab did not create it",
                fix=f"if it is yours to delete, run `kind delete cluster --name {NAME}`, "
                "then `kklab up` again",
            )
        config = render_config(config_template(), self.root)
        for folder in host_folders(config):
            folder.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        marker = Marker(
            name=NAME,
            kind_path=str(kind_path),
            kubectl_path=str(kubectl_path),
            kubeconfig_path=str(self.kubeconfig_path),
            context=marker.context if marker else "",
            ready=False,
            created_at=marker.created_at if marker else time.time(),
        )
        self._save_marker(marker)
        if NAME in existing:
            say(f"… kind cluster {NAME} exists (kklab made it): checking it is ready")
        else:
            say(f"… creating kind cluster {NAME} (the first time pulls kind's node image)")
        try:
            _kind_step(
                "creating the kind cluster",
                lambda: cluster.create(config_file=self.config_path),
                fix="read kind's output above; `kklab doctor` checks Docker, memory and "
                "inotify limits",
            )
        except ClusterError:
            if NAME not in _cluster_names(kind_path):
                self._forget(marker)
            raise
        context = _current_context(self.kubeconfig_path)
        marker = Marker(**{**asdict(marker), "context": context})
        self._save_marker(marker)
        say(f"✓ kind cluster {NAME} created ({time.monotonic() - started:.1f} s)")
        info = ClusterInfo(self.name, NAME, self.kubeconfig_path, context)
        kept = (
            "the cluster is kept: `kklab status` shows it, `kklab up` tries again, "
            "`kklab down` deletes it"
        )
        waiting.wait_in_turn(
            waiting.readiness_steps(info.api_client()),
            started=started,
            timeout_s=READY_TIMEOUT_S,
            fix=kept,
        )
        preload_images(cluster, toolchain.COURSE_IMAGES, started=started)
        self._ensure_kubectl(cluster, kubectl_path)
        self._save_marker(Marker(**{**asdict(marker), "ready": True}))
        target = kubeconfigs.add_context(_load_yaml(self.kubeconfig_path), context)
        say(
            f"✓ kind cluster {NAME} ready in {time.monotonic() - started:.1f} s; "
            f"kubectl context {context} added to {target}"
        )
        return info

    def _kind_path(self) -> Path:
        found = find_kind()
        if found is not None:
            return found
        if reaching.offline_forced() or not reaching.host_answers(download_url()):
            raise ClusterError(
                "kind is not on PATH and cannot be downloaded from here"
                + (" (KKLAB_OFFLINE is set)" if reaching.offline_forced() else ""),
                fix=f"install kind ({INSTALL_KIND}), or use `--provider local`",
            )
        target = downloaded_kind()
        target.parent.mkdir(parents=True, exist_ok=True)
        say(f"… kind is not on PATH: downloading kind {pinned_versions()[0]} to {target}")
        return target

    def _ensure_kubectl(self, cluster: Any, kubectl_path: Path) -> None:
        if kubectl_path.is_file():
            return
        kubectl_path.parent.mkdir(parents=True, exist_ok=True)
        say(f"… kubectl is not on PATH: downloading kubectl {pinned_versions()[1]}")
        try:
            cluster.ensure_kubectl()
        except Exception as err:  # the cluster works without it; the learner needs it later
            say(
                f"! could not download kubectl ({err}); install it: https://kubernetes.io/docs/tasks/tools/"
            )
            return
        say(f"✓ kubectl downloaded to {kubectl_path}; add its folder to PATH")

    # --- status ----------------------------------------------------------------------

    def status(self) -> ClusterStatus:
        """Whether kind still lists the cluster, the API answers and the node is Ready."""
        marker = self.marker()
        if marker is None:
            return ClusterStatus(self.name, exists=False)
        components = []
        try:
            listed = NAME in _cluster_names(Path(marker.kind_path))
            detail = (
                "listed by `kind get clusters`"
                if listed
                else "not listed by `kind get clusters`: run `kklab down`, then `kklab up`"
            )
        except ClusterError as err:
            listed, detail = False, str(err)
        components.append(ComponentStatus(f"kind cluster {NAME}", listed, detail))
        if not marker.ready:
            components.append(
                ComponentStatus(
                    "ready", False, "`kklab up` did not finish: run it again, or `kklab down`"
                )
            )
        if listed:
            components.extend(_api_components(self.info()))
        return ClusterStatus(self.name, exists=True, components=tuple(components))

    # --- down ------------------------------------------------------------------------

    def down(self, *, quiet: bool = False) -> None:
        """Delete the cluster kklab created; any other kind cluster is left alone."""
        started = time.monotonic()
        marker = self.marker()
        if marker is None:
            if not quiet:
                say("✓ no kind cluster created by kklab to delete")
            return
        kind_path = Path(marker.kind_path)
        if kind_path.is_file() and marker.name in _cluster_names(kind_path):
            cluster = self._kind_cluster(kind_path, Path(marker.kubectl_path))
            _kind_step(
                "deleting the kind cluster",
                cluster.delete,
                fix=f"run `kind delete cluster --name {marker.name}` yourself",
            )
        self._forget(marker)
        if not quiet:
            say(f"✓ kind cluster {marker.name} deleted in {time.monotonic() - started:.1f} s")

    def _forget(self, marker: Marker) -> None:
        if marker.context:
            kubeconfigs.remove_context(marker.context)
        for path in (self.kubeconfig_path, self.config_path, self.marker_path):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.root / "volumes", ignore_errors=True)


def preload_images(cluster: Any, images: tuple[str, ...], *, started: float) -> None:
    """Pull each image once (when Docker lacks it), then ``kind load docker-image``."""
    for image in images:
        if not docker.image_present(image):
            say(f"… pulling {image}")
            run(
                [str(which("docker") or "docker"), "pull", image],
                timeout_s=900,
                fix="the labs need this image once; check the internet connection",
            )
        _kind_step(
            f"loading {image} into the node",
            lambda image=image: cluster.load_docker_image(image),  # type: ignore[misc]
            fix="run `kklab down`, then `kklab up` again",
        )
        say(f"✓ image {image} loaded into the node ({time.monotonic() - started:.1f} s)")


def _cluster_names(kind_path: Path) -> list[str]:
    try:
        listed = run([str(kind_path), "get", "clusters"], timeout_s=60)
    except CommandError as err:
        raise ClusterError(err.problem, fix="check that Docker answers: `docker ps`") from err
    return [line.strip() for line in listed.stdout.splitlines() if line.strip()]


def _load_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text()) if path.exists() else None
    return loaded if isinstance(loaded, dict) else {}


def _current_context(kubeconfig_path: Path) -> str:
    context = _load_yaml(kubeconfig_path).get("current-context")
    if not context:
        raise ClusterError(
            f"kind wrote no usable kubeconfig to {kubeconfig_path}",
            fix="run `kklab down`, then `kklab up` again",
        )
    return str(context)


def _api_components(info: ClusterInfo | None) -> list[ComponentStatus]:
    if info is None:
        return []
    from kubernetes import client

    try:
        api_client = info.api_client()
        version = client.VersionApi(api_client).get_code(_request_timeout=3).git_version
        nodes = client.CoreV1Api(api_client).list_node(_request_timeout=3).items
    except Exception as err:
        return [ComponentStatus("api", False, f"not answering: {str(err).strip()[:150]}")]
    ready = [
        node.metadata.name
        for node in nodes
        for condition in node.status.conditions or []
        if condition.type == "Ready" and condition.status == "True"
    ]
    return [
        ComponentStatus("api", True, f"Kubernetes {version} at {api_client.configuration.host}"),
        ComponentStatus(
            "node",
            bool(ready),
            f"{', '.join(ready)} Ready" if ready else "no node is Ready",
        ),
    ]
