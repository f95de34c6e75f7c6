"""What every cluster provider gives the rest of kklab.

A provider starts and stops a cluster; once it is up, everything else needs
only a ``ClusterInfo``: which kubeconfig and context reach it.

Example:
    >>> info = ClusterInfo("local", "kklab-local", Path("/tmp/kubeconfig"), "kklab-local")
    >>> info.describe()
    'kklab-local (local provider, context kklab-local)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class ClusterInfo:
    """How to reach a running cluster."""

    provider: str
    """``local``, ``kind`` or ``existing``; ``classroom`` for a graded submission."""
    name: str
    """The cluster's name."""
    kubeconfig_path: Path
    """A kubeconfig file that reaches it."""
    context: str
    """The context in that file to use."""

    def describe(self) -> str:
        return f"{self.name} ({self.provider} provider, context {self.context})"

    def api_client(self) -> Any:
        """A configured ``kubernetes.client.ApiClient`` for this cluster.

        Every request it makes ends within a bound (see :mod:`kklab.cluster.talking`).
        """
        from kklab.cluster.talking import new_api_client

        return new_api_client(self.kubeconfig_path, self.context)


@dataclass(frozen=True)
class ComponentStatus:
    """One part of a cluster and whether it is working."""

    name: str
    """The component, e.g. ``kubelet``."""
    healthy: bool
    """True when it runs (or answers)."""
    detail: str
    """PID, address, or what went wrong and where its log is."""


@dataclass(frozen=True)
class ClusterStatus:
    """The state of a provider's cluster, component by component."""

    provider: str
    """The provider asked."""
    exists: bool
    """False when no cluster of this provider was started."""
    components: tuple[ComponentStatus, ...] = field(default_factory=tuple)
    """Each component's status."""

    @property
    def healthy(self) -> bool:
        return self.exists and all(component.healthy for component in self.components)


class Provider(Protocol):
    """A way to get a cluster: ``local``, ``kind`` or ``existing``."""

    name: str

    def up(self) -> ClusterInfo: ...

    def down(self) -> None: ...

    def status(self) -> ClusterStatus: ...

    def info(self) -> ClusterInfo | None: ...
