"""The ``local`` provider (``provider.py``) and the modules only it uses.

``config`` lays out the cluster's files, ``pki`` makes its certificates,
``bootstrap`` creates the objects a fresh cluster needs and waits until it is
really ready, ``dns`` is the cluster DNS watcher (run as a process) and ``host``
reads and cleans up the machine it runs on.
"""

from kklab.cluster.local.provider import LocalProvider

__all__ = ["LocalProvider"]
