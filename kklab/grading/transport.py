"""The only place grading talks HTTP: raw JSON requests and pod exec, with timeouts.

Everything above works with plain dicts through the :class:`Transport` protocol,
so unit tests replace it with a fake. Client exceptions are wrapped where they
enter: HTTP statuses become :class:`ApiStatusError`, connection failures
:class:`~kklab.errors.ClusterError`.

Example:
    >>> ApiStatusError(404, "pods \\"web\\" not found").not_found
    True
"""

from __future__ import annotations

import contextlib
import json
import re
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import quote

import urllib3
import websocket
import yaml

from kklab.errors import ClusterError, KklabError

CONNECT_TIMEOUT_S: Final = 3.0
"""Longest wait for a TCP connection and TLS handshake with the API server."""

EXEC_PROTOCOL: Final = "v4.channel.k8s.io"
"""Exec stream protocol: channel byte then data; channel 3 carries the exit status."""

MAX_OUTPUT_BYTES: Final = 256 * 1024
"""Output kept per exec stream (the end is kept)."""


class ApiStatusError(KklabError):
    """The API server answered with an error status (404, 403...)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"the API server answered {status}: {message}")

    @property
    def not_found(self) -> bool:
        """Whether the status is 404 Not Found."""
        return self.status == 404


@dataclass(frozen=True)
class ExecOutput:
    """What a command run in a container produced."""

    exit_code: int | None
    """Exit code, or None when the command did not finish or could not start."""

    stdout: str
    """Standard output (decoded as UTF-8)."""

    stderr: str
    """Standard error."""

    failure: str = ""
    """Why there is no exit code (e.g. the executable does not exist), else empty."""


class Transport(Protocol):
    """What grading needs from a cluster connection."""

    @property
    def host(self) -> str:
        """The API server address, for messages."""
        ...

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        timeout_s: float,
        text: bool = False,
    ) -> Any:
        """Send a request; return the decoded JSON body (the raw text when ``text``)."""
        ...

    def exec(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        command: Sequence[str],
        timeout_s: float,
    ) -> ExecOutput:
        """Run a command in a container and wait at most ``timeout_s`` for it."""
        ...


def _unreachable(host: str, error: BaseException) -> ClusterError:
    reason = str(error).split(": ", 1)[-1][:160] or type(error).__name__
    return ClusterError(
        f"the Kubernetes API server at {host} did not answer ({reason})",
        fix="check that the cluster is running (kklab status) and try again",
    )


def _status_message(data: Any, fallback: str) -> str:
    try:
        decoded = json.loads(data) if data else {}
    except (TypeError, ValueError):
        decoded = {}
    message = decoded.get("message") if isinstance(decoded, dict) else None
    return str(message or fallback)


class ApiClientTransport:
    """A :class:`Transport` over a ``kubernetes.client.ApiClient``.

    The client supplies the address, TLS settings and credentials; requests go
    straight to its urllib3 pool without retries, so a timeout is a timeout.
    Exec opens its own websocket (``v4.channel.k8s.io``) with a connect timeout
    and an overall deadline, which ``kubernetes.stream`` cannot bound.
    """

    def __init__(self, api_client: Any) -> None:
        self.api_client = api_client
        self._ssl_options: dict[str, Any] | None = None

    @property
    def host(self) -> str:
        """The API server address from the client configuration."""
        return str(getattr(self.api_client.configuration, "host", "?"))

    def _prepare(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: dict[str, str],
    ) -> tuple[str, dict[str, str]]:
        """URL and headers (credentials included) of a request, as the client builds them."""
        _, url, header_params, _, _ = self.api_client.param_serialize(
            method,
            path,
            query_params=list(query),
            header_params=dict(headers),
            auth_settings=["BearerToken"],
        )
        return str(url), {str(k): str(v) for k, v in (header_params or {}).items()}

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        timeout_s: float,
        text: bool = False,
    ) -> Any:
        """Send one request (no retries) bounded by ``timeout_s``; return the decoded body."""
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode("utf-8")
        total = max(timeout_s, 0.1)
        timeout = urllib3.Timeout(total=total, connect=min(CONNECT_TIMEOUT_S, total))
        try:
            url, headers = self._prepare(method, path, query, headers)
            response = self.api_client.rest_client.pool_manager.request(
                method,
                url,
                body=payload,
                headers=headers,
                timeout=timeout,
                retries=False,
                redirect=False,
            )
            status, data = int(response.status), response.data
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise _unreachable(self.host, error) from error
        if status >= 400 or status == 0:
            raise ApiStatusError(status, _status_message(data, f"HTTP {status}"))
        if text:
            return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")
        return json.loads(data) if data else None

    def _sslopt(self) -> dict[str, Any]:
        """TLS options of the exec websocket: one SSL context per transport (loading
        the CA and the client certificate costs more than the handshake)."""
        if self._ssl_options is None:
            config = self.api_client.configuration
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            if config.verify_ssl:
                if config.ssl_ca_cert:
                    context.load_verify_locations(cafile=config.ssl_ca_cert)
                else:
                    context.load_default_certs(ssl.Purpose.SERVER_AUTH)
                context.check_hostname = config.assert_hostname is not False
            else:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            if config.cert_file:
                context.load_cert_chain(config.cert_file, config.key_file)
            options: dict[str, Any] = {"context": context}
            if getattr(config, "tls_server_name", None):
                options["server_hostname"] = config.tls_server_name
            self._ssl_options = options
        return self._ssl_options

    def exec(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        command: Sequence[str],
        timeout_s: float,
    ) -> ExecOutput:
        """Run ``command`` through the exec subresource; give up after ``timeout_s``."""
        query = [("command", part) for part in command]
        query += [("stdout", "true"), ("stderr", "true")]
        if container:
            query.append(("container", container))
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/exec"
        deadline = time.monotonic() + max(timeout_s, 0.1)
        try:
            url, headers = self._prepare("GET", path, query, {})
            sslopt = self._sslopt() if url.startswith("https") else {}
            socket = websocket.create_connection(
                re.sub(r"^http", "ws", url),
                timeout=min(CONNECT_TIMEOUT_S, max(timeout_s, 0.1)),
                header=[f"{k}: {v}" for k, v in headers.items() if k.lower() == "authorization"],
                subprotocols=[EXEC_PROTOCOL],
                sslopt=sslopt,
                enable_multithread=False,
            )
        except websocket.WebSocketBadStatusException as error:
            message = _status_message(error.resp_body, f"HTTP {error.status_code}")
            raise ApiStatusError(int(error.status_code), message) from error
        except (websocket.WebSocketException, urllib3.exceptions.HTTPError, OSError) as error:
            # ssl.SSLError is an OSError: a bad certificate is reported like no answer.
            raise _unreachable(self.host, error) from error
        try:
            return _read_exec(socket, deadline, timeout_s)
        except (websocket.WebSocketException, OSError) as error:
            raise _unreachable(self.host, error) from error
        finally:
            with contextlib.suppress(Exception):
                socket.close(timeout=0.2)


def _read_exec(socket: Any, deadline: float, timeout_s: float) -> ExecOutput:
    """Read channel frames until the server closes the stream or the deadline passes."""
    channels: dict[int, bytearray] = {1: bytearray(), 2: bytearray(), 3: bytearray()}
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stdout, stderr = _decoded(channels[1]), _decoded(channels[2])
            failure = f"the command was still running after {timeout_s:g} s"
            return ExecOutput(None, stdout, stderr, failure)
        socket.settimeout(remaining)
        try:
            opcode, data = socket.recv_data()
        except websocket.WebSocketTimeoutException:
            continue
        except websocket.WebSocketConnectionClosedException:
            break
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
        if data and data[0] in channels:
            buffer = channels[data[0]]
            buffer += data[1:]
            if len(buffer) > MAX_OUTPUT_BYTES:  # keep the end, which says how it ended
                del buffer[: len(buffer) - MAX_OUTPUT_BYTES]
    exit_code, failure = parse_exec_status(_decoded(channels[3]))
    return ExecOutput(exit_code, _decoded(channels[1]), _decoded(channels[2]), failure)


def _decoded(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", "replace")


def parse_exec_status(text: str) -> tuple[int | None, str]:
    """Read the exec error channel: (exit code, failure message).

    Example:
        >>> parse_exec_status('{"status": "Success"}')
        (0, '')
        >>> parse_exec_status('{"status": "Failure", "reason": "NonZeroExitCode", '
        ...     '"details": {"causes": [{"reason": "ExitCode", "message": "2"}]}}')
        (2, '')
        >>> parse_exec_status('{"status": "Failure", "message": "executable file not found"}')
        (None, 'executable file not found')
    """
    try:
        status = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        status = None
    if not isinstance(status, dict):
        return None, "the exec stream closed without a status"
    if status.get("status") == "Success":
        return 0, ""
    causes = (status.get("details") or {}).get("causes") or []
    for cause in causes:
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message", "")), ""
            except ValueError:
                break
    return None, str(status.get("message") or "the command could not be run")
