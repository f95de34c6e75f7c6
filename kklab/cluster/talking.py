"""Talking to a Kubernetes API server: clients with bounded time, failures in words.

Every client kklab makes goes through :func:`new_api_client`, which gives
each request a deadline (``KKLAB_API_TIMEOUT_S``, default 20 s, unless the
call passes its own ``_request_timeout``) and no retries, so a frozen or
very slow API server ends in an error, never a hang, and a dead one is
reported at once.

At the edge (``main()`` of the CLI, the notebook magics and the Check
widget), :func:`explain` turns whatever the client raised (connection
refused, a timeout, a TLS failure, 401/403, 429, 5xx, an answer that is not
JSON) into a :class:`~kklab.errors.ClusterApiError` whose message says what
happened and what to do; :func:`guarded` does it for a block of code.

Example:
    >>> print(explain(ConnectionRefusedError(111, "Connection refused")))
    the Kubernetes API server refused the connection (it is not running): run `kklab status`, then `kklab up` to start the cluster again
    >>> explain(FileNotFoundError("notes.txt")) is None
    True
"""  # noqa: E501

from __future__ import annotations

import json
import os
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from kklab.errors import ClusterApiError, KklabError

REQUEST_TIMEOUT_S: Final = 20.0
"""The longest any request to the API server may take, unless the call says otherwise."""

_STATUS_TO_CHECK = "run `kklab status`"
_RESTART = "run `kklab status`, then `kklab up` to start the cluster again"
_CONTEXT = (
    "check the context (`kubectl config current-context`), or run `kklab up` again "
    "to refresh kklab's kubeconfig"
)


def request_timeout_s() -> float:
    """``KKLAB_API_TIMEOUT_S`` when set to a positive number, else :data:`REQUEST_TIMEOUT_S`."""
    configured = os.environ.get("KKLAB_API_TIMEOUT_S", "")
    try:
        value = float(configured)
    except ValueError:
        return REQUEST_TIMEOUT_S
    return value if value > 0 else REQUEST_TIMEOUT_S


def bound(api_client: Any, timeout_s: float | None = None) -> Any:
    """Give every request of ``api_client`` a deadline and no retries; return it.

    A call that passes ``_request_timeout`` keeps its own. Streams that read
    forever (``watch``) must pass theirs.
    """
    import urllib3

    deadline = timeout_s if timeout_s is not None else request_timeout_s()
    rest = api_client.rest_client
    if getattr(rest, "_kklab_bounded", False):
        return api_client
    # Retries would multiply the wait on a frozen server: one attempt, then an error.
    rest.pool_manager.connection_pool_kw["retries"] = urllib3.Retry(
        total=0, redirect=0, raise_on_redirect=False
    )
    original = rest.request

    def request(
        method: str,
        url: str,
        headers: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        return original(
            method,
            url,
            headers=headers,
            body=body,
            post_params=post_params,
            _request_timeout=_request_timeout or deadline,
        )

    rest.request = request
    rest._kklab_bounded = True
    return api_client


def new_api_client(
    kubeconfig_path: Path | str, context: str | None = None, *, timeout_s: float | None = None
) -> Any:
    """A ``kubernetes.client.ApiClient`` for ``context`` of a kubeconfig, with bounded time."""
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(
        config_file=str(kubeconfig_path),
        context=context,
        client_configuration=configuration,
        persist_config=False,
    )
    return bound(client.ApiClient(configuration=configuration), timeout_s)


# --- failures in words ---------------------------------------------------------------


def _where(error: BaseException) -> str:
    pool = getattr(error, "pool", None)
    host, port = getattr(pool, "host", None), getattr(pool, "port", None)
    return f" at {host}:{port}" if host and port else ""


def _status_message(body: Any) -> str:
    try:
        decoded = json.loads(body) if body else {}
    except (TypeError, ValueError):
        return ""
    message = decoded.get("message") if isinstance(decoded, dict) else None
    return str(message)[:200] if message else ""


def _from_status(status: int, reason: str, body: Any) -> ClusterApiError:
    said = _status_message(body)
    answer = f"{status} {reason}".strip() + (f": {said}" if said else "")
    if status == 401:
        return ClusterApiError(
            f"the API server did not accept kklab's credentials ({answer})", fix=_CONTEXT
        )
    if status == 403:
        return ClusterApiError(
            f"the API server forbade it ({answer})",
            fix="use a context with more rights (`kklab up --provider existing --context NAME`) "
            "or ask the cluster's administrator",
        )
    if status == 429:
        return ClusterApiError(
            f"the API server is too busy to answer ({answer})",
            fix="wait a few seconds and try again; `kklab status` shows its health",
        )
    if status >= 500:
        return ClusterApiError(
            f"the API server failed to answer ({answer})",
            fix="try again; if it persists, run `kklab status` and read the kube-apiserver log",
        )
    if status == 0:
        return ClusterApiError(
            f"the API server's answer could not be read ({reason or 'no status'})",
            fix=f"{_CONTEXT}; {_STATUS_TO_CHECK}",
        )
    return ClusterApiError(f"the API server answered {answer}", fix=_STATUS_TO_CHECK)


def _from_connection(error: BaseException, where: str) -> ClusterApiError | None:
    """Timeouts, refusals, resets and TLS failures (plain or wrapped by urllib3)."""
    import urllib3.exceptions as u3

    text = str(error)
    # NewConnectionError is a ConnectTimeoutError to urllib3: ask about refusals first.
    if isinstance(error, ConnectionRefusedError) or "Connection refused" in text:
        return ClusterApiError(
            f"the Kubernetes API server{where} refused the connection (it is not running)",
            fix=_RESTART,
        )
    if isinstance(error, u3.NameResolutionError) or "Name or service not known" in text:
        return ClusterApiError(
            f"the Kubernetes API server's address{where} does not resolve", fix=_CONTEXT
        )
    if isinstance(error, (u3.TimeoutError, TimeoutError, socket.timeout)):
        return ClusterApiError(
            f"the Kubernetes API server{where} did not answer within "
            f"{_timeout_of(error):g} s (it is frozen, stopped or overloaded)",
            fix=_RESTART,
        )
    cut = "EOF occurred" in text or "UNEXPECTED_EOF" in text or "reset by peer" in text
    if isinstance(error, (u3.SSLError, ssl.SSLError)) and not cut:
        detail = text.split(": ", 1)[-1][:160]
        return ClusterApiError(
            f"the TLS handshake with the Kubernetes API server{where} failed ({detail}): "
            "kklab's kubeconfig does not match the server that answers there",
            fix=_CONTEXT,
        )
    if cut or isinstance(error, (u3.ProtocolError, u3.SSLError, ssl.SSLError, ConnectionError)):
        inner = error.args[-1] if isinstance(error, u3.ProtocolError) and error.args else error
        detail = "it closed the connection" if cut else str(inner).split(": ", 1)[-1][:160]
        return ClusterApiError(
            f"the connection to the Kubernetes API server{where} broke ({detail})",
            fix=_RESTART,
        )
    return None


def _timeout_of(error: BaseException) -> float:
    """The timeout urllib3 names in its message ("read timeout=20"), else the default."""
    text = str(error)
    for marker in ("timeout=", "timed out after "):
        if marker in text:
            number = text.split(marker, 1)[1].split(")")[0].split(" ")[0].strip(".,)")
            try:
                return round(float(number), 1)
            except ValueError:
                break
    return request_timeout_s()


def _raised_in_client(error: BaseException) -> bool:
    """True when the traceback passes through the kubernetes client or urllib3."""
    frame: TracebackType | None = error.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename.replace("\\", "/")
        if "/kubernetes/" in filename or "/urllib3/" in filename:
            return True
        frame = frame.tb_next
    return False


def explain(error: BaseException) -> KklabError | None:
    """The kklab error that says what ``error`` means, or None when it is not about the cluster.

    A :class:`KklabError` is returned as it is.
    """
    if isinstance(error, KklabError):
        return error
    import urllib3.exceptions as u3
    from kubernetes.client import ApiException
    from kubernetes.config import ConfigException

    if isinstance(error, ApiException):
        return _from_status(int(error.status or 0), str(error.reason or ""), error.body)
    if isinstance(error, ConfigException):
        return ClusterApiError(
            f"the kubeconfig cannot be used ({str(error)[:160]})",
            fix=f"{_CONTEXT}; `kklab status` shows which cluster is up",
        )
    where = _where(error)
    if isinstance(error, u3.MaxRetryError) and error.reason is not None:
        return _from_connection(error.reason, where) or ClusterApiError(
            f"the Kubernetes API server{where} could not be reached ({error.reason})",
            fix=_RESTART,
        )
    connection = _from_connection(error, where)
    if connection is not None:
        return connection
    if isinstance(error, (ValueError, TypeError, AttributeError, KeyError)) and _raised_in_client(
        error
    ):
        return ClusterApiError(
            "the API server's answer could not be read "
            f"({type(error).__name__}: {str(error)[:120]})",
            fix=f"is this a Kubernetes API server? {_CONTEXT}",
        )
    return None


def in_words(error: BaseException) -> KklabError:
    """:func:`explain`, or for anything else (a bug in kklab) an error that says so.

    Example:
        >>> print(in_words(RuntimeError("oops")))
        unexpected RuntimeError: oops: this is a bug in kklab; run it again with KKLAB_DEBUG=1 and report what it prints
    """  # noqa: E501
    return explain(error) or KklabError(
        f"unexpected {type(error).__name__}: {error}",
        fix="this is a bug in kklab; run it again with KKLAB_DEBUG=1 and report what it prints",
    )


@contextmanager
def guarded() -> Iterator[None]:
    """Raise what :func:`explain` makes of a client failure in the block, from the original.

    Example:
        >>> try:
        ...     with guarded():
        ...         raise ConnectionRefusedError(111, "Connection refused")
        ... except ClusterApiError as err:
        ...     print(err.problem)
        the Kubernetes API server refused the connection (it is not running)
    """
    try:
        yield
    except KklabError:
        raise
    except Exception as error:
        explained = explain(error)
        if explained is None:
            raise
        raise explained from error
