"""Whether kklab may and can reach a download host (kind's, for one).

``KKLAB_OFFLINE=1`` forbids trying; otherwise a HEAD request that gets any HTTP
answer within a few seconds says the host can be reached. Used by ``choosing``
(is kind downloadable?) and by the ``kind`` provider (download it, or say why not).

Example:
    >>> host_answers("not a url")
    False
"""

from __future__ import annotations

import http.client
import os
import urllib.parse

PROBE_TIMEOUT_S = 3.0


def offline_forced() -> bool:
    """``KKLAB_OFFLINE=1`` says: do not try to download anything."""
    return os.environ.get("KKLAB_OFFLINE", "").lower() in ("1", "true", "yes")


def host_answers(url: str, *, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """True when a HEAD request to ``url`` gets any HTTP answer within ``timeout_s``."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return False
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=timeout_s)
    try:
        connection.request("HEAD", parts.path or "/")
        connection.getresponse()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return True
