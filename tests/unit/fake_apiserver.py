"""A small fake Kubernetes API server on 127.0.0.1, for tests of sick clusters.

Real networking, no cluster: a server that answers what the test sets
(a status, a body, after a delay), hangs, cuts the connection, speaks TLS
with a certificate the client does not trust, or a port that never accepts
(a frozen server: the kernel takes the connection, nobody answers). Every
wait is bounded, so nothing outlives its test.
"""

from __future__ import annotations

import http.server
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HANG_LIMIT_S = 30.0
"""A hanging answer gives up after this long, or when the server stops."""


@dataclass
class Answer:
    """What the server does with one request."""

    status: int = 200
    body: Any = field(default_factory=dict)
    """A dict (sent as JSON) or a string (sent as it is)."""
    content_type: str = "application/json"
    delay_s: float = 0.0
    hang: bool = False
    """Read the request, then never answer (until the server stops)."""
    cut: bool = False
    """Read the request, then close the connection without a word."""


def status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    """A ``v1 Status`` as the API server sends with an error."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def namespace_body(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": name, "labels": labels or {}},
        "status": {"phase": "Active"},
    }


class FakeApiServer:
    """An HTTP(S) server whose answers a test chooses: ``answer(method, path) -> Answer``."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.answer: Callable[[str, str], Answer] = lambda _method, _path: Answer()
        self.requests: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.requests.append((self.command, self.path))
                answer = server.answer(self.command, self.path)
                if answer.hang:
                    server.stopping.wait(HANG_LIMIT_S)
                    self.close_connection = True
                    return
                if answer.delay_s:
                    server.stopping.wait(answer.delay_s)
                if answer.cut:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = (
                    answer.body.encode()
                    if isinstance(answer.body, str)
                    else json.dumps(answer.body).encode()
                )
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.scheme = "http"
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeApiServer:
        self.thread.start()
        return self

    def __exit__(self, *_args: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@contextmanager
def closed_port() -> Iterator[str]:
    """The URL of a port where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"https://127.0.0.1:{port}"


@contextmanager
def frozen_port() -> Iterator[str]:
    """A port that takes connections and never answers (a SIGSTOPped API server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"


@contextmanager
def cutting_port() -> Iterator[str]:
    """A port that takes each connection and closes it at once (before any TLS)."""
    stopping = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)

    def serve() -> None:
        for _ in range(int(HANG_LIMIT_S / 0.1)):  # bounded: ends by itself
            if stopping.is_set():
                return
            try:
                connection, _address = listener.accept()
            except OSError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()


def write_kubeconfig(
    path: Path, server: str, *, ca_file: Path | None = None, context: str = "fake"
) -> Path:
    """A kubeconfig for ``server`` with a token user (and a CA to trust, for https)."""
    cluster: dict[str, Any] = {"server": server}
    if ca_file is not None:
        cluster["certificate-authority"] = str(ca_file)
    elif server.startswith("https"):
        cluster["insecure-skip-tls-verify"] = True
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": context, "cluster": cluster}],
                "users": [{"name": context, "user": {"token": "fake-token"}}],
                "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
                "current-context": context,
            }
        )
    )
    return path


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (EC key: quick) and its key, as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def tls_pair(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1, and the certificate of *another* CA (a mismatch)."""
    served_cert, served_key = _self_signed(folder, "served")
    other_cert, _other_key = _self_signed(folder, "other")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(served_cert), str(served_key))
    return context, other_cert
