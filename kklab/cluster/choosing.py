"""Which provider ``kklab up`` uses when none is named, and which one is up now.

The choice is a pure function of a few facts about the machine, so every
situation is unit-tested without Docker or a network:

1. ``kind`` when a Docker daemon answers and kind is on PATH, already
   downloaded, or downloadable (the download host answers and
   ``KKLAB_OFFLINE`` is not set);
2. otherwise ``local`` when its toolchain is in place, or can be installed
   (root on Debian: ``kklab toolchain install`` then builds it);
3. otherwise a ``ClusterError`` listing what is missing and how to fix each.

Example:
    >>> facts = Facts(docker_answers=True, kind_on_path=True, kind_downloadable=False,
    ...               local_toolchain_ready=None, is_root=False, is_debian=False)
    >>> decide(facts).provider
    'kind'
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kklab.cluster import reaching
from kklab.cluster.base import Provider
from kklab.errors import ClusterError

PROVIDER_NAMES = ("kind", "local", "existing")


@dataclass(frozen=True)
class Facts:
    """What the choice depends on, gathered by ``gather_facts``."""

    docker_answers: bool
    """A Docker daemon answers on this machine."""
    kind_on_path: bool
    """kind is on PATH or was downloaded by kklab before."""
    kind_downloadable: bool
    """kind's download host answered within 3 s and ``KKLAB_OFFLINE`` is not set."""
    local_toolchain_ready: bool | None
    """Everything the local provider needs is in place; None when not checked."""
    is_root: bool
    """kklab runs as root (the local provider needs it)."""
    is_debian: bool
    """Debian or a derivative with apt (the local toolchain installs there)."""
    local_missing: tuple[str, ...] = field(default_factory=tuple)
    """The local toolchain's missing parts, in words."""


@dataclass(frozen=True)
class Choice:
    """The provider chosen and why, in one sentence for the learner."""

    provider: str
    """``kind`` or ``local``."""
    reason: str
    """Why this one, e.g. "Docker answers and kind is on PATH"."""


def kind_usable(facts: Facts) -> bool:
    """True when ``kklab up --provider kind`` can work here."""
    return facts.docker_answers and (facts.kind_on_path or facts.kind_downloadable)


def local_usable(facts: Facts) -> bool:
    """True when the local provider can run here, now or after ``kklab toolchain install``."""
    return bool(facts.local_toolchain_ready) or (facts.is_root and facts.is_debian)


def decide(facts: Facts) -> Choice:
    """The provider to use; raises ``ClusterError`` naming every missing piece."""
    if kind_usable(facts):
        how = "is on PATH" if facts.kind_on_path else "can be downloaded"
        return Choice("kind", f"Docker answers and kind {how}")
    if facts.local_toolchain_ready:
        return Choice("local", "its toolchain is in place" + _why_not_kind(facts))
    if facts.is_root and facts.is_debian:
        return Choice(
            "local",
            "this is Debian and kklab runs as root, so `kklab toolchain install` can set it up"
            + _why_not_kind(facts),
        )
    missing = []
    if not facts.docker_answers:
        missing.append(
            "for kind: Docker is not running (start Docker Desktop, or `sudo systemctl start "
            "docker`; install it from https://docs.docker.com/get-docker/)"
        )
    if not (facts.kind_on_path or facts.kind_downloadable):
        missing.append(
            "for kind: kind is not on PATH and cannot be downloaded from here (install it: "
            "https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
        )
    local_needs = ", ".join(facts.local_missing) or "its toolchain"
    if not (facts.is_root and facts.is_debian):
        missing.append(
            f"for local: {local_needs} is missing and only root on Debian can install it "
            "(run `sudo kklab toolchain install`)"
        )
    raise ClusterError(
        "no provider can start a cluster here: " + "; ".join(missing),
        fix="fix one of these, or use a cluster you already have: "
        "`kklab up --provider existing --context NAME`",
    )


def _why_not_kind(facts: Facts) -> str:
    if not facts.docker_answers:
        return " (kind needs Docker, which does not answer)"
    return " (kind is not on PATH and cannot be downloaded from here)"


# --- gathering the facts -------------------------------------------------------


def gather_facts(*, check_local: bool = False) -> Facts:
    """Look at this machine. The local toolchain is checked only when kind is unusable
    (or ``check_local`` asks for it), because the check takes a second."""
    from kklab.cluster import docker, kind, toolchain

    docker_answers = docker.daemon_answers()
    kind_present = kind.find_kind() is not None
    downloadable = False
    if docker_answers and not kind_present and not reaching.offline_forced():
        downloadable = reaching.host_answers(kind.download_url())
    facts = Facts(
        docker_answers=docker_answers,
        kind_on_path=kind_present,
        kind_downloadable=downloadable,
        local_toolchain_ready=None,
        is_root=os.geteuid() == 0,
        is_debian=Path("/etc/debian_version").exists() and Path("/usr/bin/apt-get").exists(),
    )
    if kind_usable(facts) and not check_local:
        return facts
    items = toolchain.check()
    missing = tuple(f"{item.name} ({item.detail})" for item in items if not item.present)
    return Facts(
        docker_answers=facts.docker_answers,
        kind_on_path=facts.kind_on_path,
        kind_downloadable=facts.kind_downloadable,
        local_toolchain_ready=not missing,
        is_root=facts.is_root,
        is_debian=facts.is_debian,
        local_missing=missing,
    )


def choose() -> Choice:
    """Gather the facts and decide."""
    return decide(gather_facts())


# --- providers by name, and the one that is up ------------------------------------


def provider_named(
    name: str,
    *,
    context: str | None = None,
    kubeconfig_path: Path | None = None,
    like: str | None = None,
) -> Provider:
    """A provider object; only ``existing`` takes a context and kubeconfig, only ``local`` a
    profile (``like="kind"``)."""
    if like is not None and name != "local":
        raise ClusterError(
            "--like is for the local provider",
            fix=f"run `kklab up --provider local --like {like}`",
        )
    if name == "local":
        from kklab.cluster.local import LocalProvider

        return LocalProvider(like=like)
    if name == "kind":
        from kklab.cluster.kind import KindProvider

        return KindProvider()
    if name == "existing":
        from kklab.cluster.existing import ExistingProvider

        return ExistingProvider(context=context, kubeconfig_path=kubeconfig_path)
    raise ClusterError(
        f"there is no provider called {name!r}", fix="use one of: " + ", ".join(PROVIDER_NAMES)
    )


def provider_in_use(
    make: Callable[[str], Provider] = provider_named,
) -> Provider | None:
    """The provider whose state says it has a cluster (local, then kind, then existing)."""
    for name in ("local", "kind", "existing"):
        provider = make(name)
        if provider.info() is not None:
            return provider
    return None
