"""kklab: hands-on Kubernetes labs, graded against a real cluster."""

from kklab.errors import ClusterError, KklabError, ToolchainError

__all__ = ["ClusterError", "KklabError", "ToolchainError"]
__version__ = "0.1.0"
