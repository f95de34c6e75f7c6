"""Where kklab keeps things outside the repository.

Two roots, each overridable by an environment variable:

* the cache (``KKLAB_CACHE``, default ``~/.cache/kklab``): built Kubernetes
  binaries keyed by version, the Go build cache, helm. Survives clusters.
* the state (``KKLAB_HOME``, default ``~/.kklab``): one folder per cluster with
  its certificates, data, logs and the PIDs of the processes it started.

Example:
    >>> import os
    >>> os.environ["KKLAB_CACHE"] = "/tmp/kc"
    >>> str(cache_dir())
    '/tmp/kc'
    >>> del os.environ["KKLAB_CACHE"]
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The folder for downloads and builds that outlive any cluster."""
    configured = os.environ.get("KKLAB_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "kklab"


def state_dir() -> Path:
    """The folder that holds each cluster's runtime state."""
    configured = os.environ.get("KKLAB_HOME")
    return Path(configured) if configured else Path.home() / ".kklab"
