"""With the API server unreachable, grading gives error results in bounded time.

Three ways to be unreachable: a closed port (refused at once), a blackhole (a
local socket that accepts connections and never answers, so the TLS handshake
waits), and an API server that stops answering in the middle of grading (a
local relay to the real one that freezes). The client is the cluster's own,
with credentials and TLS, pointed elsewhere.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kklab.errors import ClusterError
from kklab.grading import grade, render_json, render_text
from kklab.grading.engine import PREFLIGHT_TIMEOUT_S
from kklab.grading.transport import CONNECT_TIMEOUT_S, ApiClientTransport
from tests.cluster.grading_helpers import lab_from_yaml

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(60)]

EVERY_KIND = """
lab: 90-grading-test
title: every kind, long timeouts
timeout_s: 30
exercises:
  - id: "1"
    title: Everything
    checks:
      - id: pod-runs
        title: web runs
        points: 1
        assert: {apiVersion: v1, kind: Pod, metadata: {name: web}, status: {phase: Running}}
      - id: no-root
        title: nothing runs privileged
        points: 1
        error:
          apiVersion: v1
          kind: Pod
          spec: {containers: [{securityContext: {privileged: true}}]}
      - id: file-is-there
        title: the file is there
        points: 1
        exec: {pod: web, command: [cat, /data/hello]}
      - id: web-answers
        title: web answers
        points: 1
        reach: {url: "http://web:8080/"}
      - id: reader-reads
        title: reader reads pods
        points: 1
        access: {service_account: reader, verb: list, resource: pods, allowed: true}
      - id: custom
        title: custom
        points: 1
        python: custom
"""

CUSTOM = """
from kklab.grading import Outcome


def custom(context):
    return Outcome(passed=context.get("v1", "ConfigMap", "settings") is not None)
"""


def _client_at(cluster: Any, host: str) -> Any:
    """The cluster's client (credentials, CA) aimed at another address."""
    from kubernetes import config

    api_client = config.new_client_from_config(
        config_file=str(cluster.kubeconfig_path), context=cluster.info.context
    )
    api_client.configuration.host = host
    return api_client


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port that completes TCP connections (kernel backlog) and never sends a byte."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield int(server.getsockname()[1])
    server.close()


class FreezingRelay:
    """Relays TCP to the real API server until ``freeze()``; then it goes silent."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.frozen = threading.Event()
        self.closed = threading.Event()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = int(self.server.getsockname()[1])
        self.sockets: list[socket.socket] = [self.server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.frozen.is_set():
                continue  # accepted, never answered
            upstream = socket.create_connection(self.upstream, timeout=5)
            self.sockets.append(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        pairs = {client: upstream, upstream: client}
        while not self.closed.is_set() and not self.frozen.is_set():
            readable, _, _ = select.select(list(pairs), [], [], 0.1)
            for source in readable:
                try:
                    data = source.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if self.frozen.is_set():
                    return  # swallow: the other side waits forever
                pairs[source].sendall(data)

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self.closed.set()
        for sock in self.sockets:
            sock.close()


def _assert_all_errors(result: Any, address: str) -> None:
    assert [check.status for check in result.checks] == ["error"] * 6
    for check in result.checks:
        assert check.points_earned == 0
        assert address in check.message and "did not answer" in check.message, check.message
    shown = render_text(result) + render_json(result)
    assert "Traceback" not in shown
    assert "6 could not be checked" in render_text(result)


def test_closed_port_gives_error_results_at_once(cluster: Any, tmp_path: Path) -> None:
    lab = lab_from_yaml(tmp_path, EVERY_KIND, python=CUSTOM)
    started = time.monotonic()
    result = grade(_client_at(cluster, "https://127.0.0.1:1"), "lab-nowhere", lab)
    assert time.monotonic() - started < 2
    _assert_all_errors(result, "https://127.0.0.1:1")
    assert "Connection refused" in result.checks[0].message


def test_blackholed_api_gives_error_results_within_the_preflight(
    cluster: Any, tmp_path: Path, blackhole: int
) -> None:
    lab = lab_from_yaml(tmp_path, EVERY_KIND, python=CUSTOM)
    address = f"https://127.0.0.1:{blackhole}"
    started = time.monotonic()
    result = grade(_client_at(cluster, address), "lab-nowhere", lab)
    elapsed = time.monotonic() - started
    assert elapsed < PREFLIGHT_TIMEOUT_S + 1, elapsed
    _assert_all_errors(result, address)


def test_transport_calls_are_bounded_by_their_timeouts(cluster: Any, blackhole: int) -> None:
    transport = ApiClientTransport(_client_at(cluster, f"https://127.0.0.1:{blackhole}"))
    for call in (
        lambda: transport.request("GET", "/version", timeout_s=1),
        lambda: transport.exec("default", "web", None, ["true"], timeout_s=1),
    ):
        started = time.monotonic()
        with pytest.raises(ClusterError, match="did not answer"):
            call()
        assert time.monotonic() - started < CONNECT_TIMEOUT_S + 0.5


def test_api_lost_while_grading_ends_every_check_with_an_error(
    cluster: Any, tmp_path: Path
) -> None:
    lab = lab_from_yaml(
        tmp_path,
        """
        lab: 90-grading-test
        title: polling when the API goes away
        timeout_s: 40
        exercises:
          - id: "1"
            title: Never true
            checks:
              - id: ghost-runs
                title: a state that never comes (an expression, so it keeps polling)
                points: 1
                assert:
                  apiVersion: v1
                  kind: ServiceAccount
                  metadata: {name: default}
                  '(length(secrets) == `99`)': true
              - id: default-sa-exists
                title: the default ServiceAccount exists
                points: 1
                assert: {apiVersion: v1, kind: ServiceAccount, metadata: {name: default}}
        """,
    )
    upstream_host = cluster.api_client.configuration.host.removeprefix("https://")
    host, port = upstream_host.rsplit(":", 1)
    relay = FreezingRelay((host, int(port)))
    try:
        timer = threading.Timer(1.5, relay.freeze)
        timer.start()
        started = time.monotonic()
        result = grade(_client_at(cluster, f"https://{host}:{relay.port}"), "default", lab)
        elapsed = time.monotonic() - started
        timer.cancel()
    finally:
        relay.close()
    ghost, default = result.checks
    assert default.status == "passed"  # answered before the API went away
    assert ghost.status == "error", render_text(result)
    assert "did not answer" in ghost.message
    assert elapsed < 1.5 + 6 + 2, elapsed  # freeze + one request timeout + slack
