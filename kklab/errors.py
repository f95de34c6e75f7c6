"""Errors kklab raises when something outside a learner's answer goes wrong.

A failed check is never an exception: it is a result. These errors are for
real problems (no Docker, API unreachable, a missing binary). Every message
says what failed, why, and what to do next, so the CLI can print it as one
line and the notebook can show it without a traceback.

Example:
    >>> err = ToolchainError("kubelet is missing", fix="run `kklab toolchain install`")
    >>> str(err)
    'kubelet is missing: run `kklab toolchain install`'
"""

from __future__ import annotations


class KklabError(Exception):
    """Base class: a problem kklab explains in one line.

    ``fix`` is the sentence that tells the reader what to do about it.
    """

    def __init__(self, problem: str, *, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}: {fix}" if fix else problem)


class LabNotStartedError(KklabError):
    """The lab's namespace is not on the cluster: the lab was never started here (or reset)."""


class ToolchainError(KklabError):
    """A tool, package or binary that kklab needs is missing or failed to build."""


class ClusterError(KklabError):
    """A cluster could not be started, reached or stopped."""


class ClusterApiError(ClusterError):
    """The API server could not be reached in time, or refused or garbled an answer."""


class NotRootError(ClusterError):
    """An action needs root (installing packages, running kubelet)."""


class PortInUseError(ClusterError):
    """A port the local cluster needs is taken by another program."""
