"""kklab: hands-on Kubernetes labs, graded against a real cluster."""

from kklab.connecting import Connection, connect
from kklab.errors import ClusterError, KklabError, ToolchainError

__all__ = ["ClusterError", "Connection", "KklabError", "ToolchainError", "connect"]
__version__ = "0.1.0"
