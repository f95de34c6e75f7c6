"""Bounded clients and failures in words, against a fake API server on 127.0.0.1.

Each sick server (refusing, frozen, slow, cutting, 401/403/429/500, not JSON,
TLS mismatch) must end in one ``ClusterApiError`` that says what to do, and
never in a hang: the pytest-timeout marks catch a hang without asserting
times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kklab.cluster import talking
from kklab.errors import ClusterApiError, KklabError
from tests.unit.fake_apiserver import (
    Answer,
    FakeApiServer,
    closed_port,
    cutting_port,
    frozen_port,
    namespace_body,
    status_body,
    tls_pair,
    write_kubeconfig,
)

pytestmark = pytest.mark.timeout(20)


def _client(tmp_path: Path, server: str, **kwargs: Any) -> Any:
    ca_file = kwargs.pop("ca_file", None)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server, ca_file=ca_file)
    return talking.new_api_client(kubeconfig, **kwargs)


def _read_namespace(api_client: Any) -> Any:
    from kubernetes import client

    return client.CoreV1Api(api_client).read_namespace("lab-01-pods")


def _failure(api_client: Any) -> KklabError:
    with pytest.raises(ClusterApiError) as caught, talking.guarded():
        _read_namespace(api_client)
    return caught.value


def test_a_healthy_answer_goes_through(tmp_path: Path) -> None:
    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(body=namespace_body("lab-01-pods"))
        found = _read_namespace(_client(tmp_path, server.url))
    assert found.metadata.name == "lab-01-pods"


def test_refused_says_the_server_is_not_running(tmp_path: Path) -> None:
    with closed_port() as url:
        error = _failure(_client(tmp_path, url))
    assert "refused the connection (it is not running)" in error.problem
    assert error.fix is not None and "kklab up" in error.fix


def test_frozen_server_ends_in_a_timeout(tmp_path: Path) -> None:
    with frozen_port() as url:
        error = _failure(_client(tmp_path, url, timeout_s=1))
    assert "did not answer within 1 s" in error.problem
    assert "frozen" in error.problem


def test_slow_server_ends_in_a_timeout_and_the_bound_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KKLAB_API_TIMEOUT_S", "0.5")
    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(body=namespace_body("x"), delay_s=5)
        error = _failure(_client(tmp_path, server.url))
    assert "did not answer within 0.5 s" in error.problem


def test_a_call_that_names_its_own_timeout_keeps_it(tmp_path: Path) -> None:
    from kubernetes import client

    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(body=namespace_body("lab-01-pods"), delay_s=1)
        api_client = _client(tmp_path, server.url, timeout_s=0.3)
        found = client.CoreV1Api(api_client).read_namespace("lab-01-pods", _request_timeout=10)
    assert found.metadata.name == "lab-01-pods"


def test_a_cut_connection_is_tried_once_and_reported(tmp_path: Path) -> None:
    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(cut=True)
        error = _failure(_client(tmp_path, server.url))
        assert len(server.requests) == 1, "no retries"
    assert "connection to the Kubernetes API server" in error.problem
    assert "broke" in error.problem


def test_a_connection_cut_before_tls_is_a_broken_connection_not_a_tls_mismatch(
    tmp_path: Path,
) -> None:
    with cutting_port() as url:
        error = _failure(_client(tmp_path, url))
    assert "broke" in error.problem or "refused" in error.problem, error.problem
    assert "TLS handshake" not in error.problem


def test_tls_mismatch_says_the_kubeconfig_does_not_match(tmp_path: Path) -> None:
    context, other_ca = tls_pair(tmp_path / "tls")
    with FakeApiServer(tls=context) as server:
        error = _failure(_client(tmp_path, server.url, ca_file=other_ca))
    assert "TLS handshake" in error.problem
    assert error.fix is not None and "context" in error.fix


@pytest.mark.parametrize(
    ("code", "reason", "words", "fix_words"),
    [
        (401, "Unauthorized", "did not accept kklab's credentials", "current-context"),
        (403, "Forbidden", "forbade it", "more rights"),
        (429, "TooManyRequests", "too busy", "wait a few seconds"),
        (500, "InternalError", "failed to answer", "kube-apiserver log"),
        (503, "ServiceUnavailable", "failed to answer", "kklab status"),
    ],
)
def test_error_statuses_in_words(
    tmp_path: Path, code: int, reason: str, words: str, fix_words: str
) -> None:
    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(code, status_body(code, reason, "said the server"))
        error = _failure(_client(tmp_path, server.url))
    assert words in error.problem
    assert f"({code} " in error.problem and "said the server" in error.problem
    assert error.fix is not None and fix_words in error.fix


def test_an_answer_that_is_not_json_is_reported(tmp_path: Path) -> None:
    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(body="{this is not json")
        error = _failure(_client(tmp_path, server.url))
    assert "answer could not be read" in error.problem


def test_a_broken_kubeconfig_is_in_words(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncontexts: []\n")
    with pytest.raises(ClusterApiError) as caught, talking.guarded():
        talking.new_api_client(kubeconfig, "missing")
    assert "kubeconfig cannot be used" in caught.value.problem


def test_other_errors_are_left_alone() -> None:
    assert talking.explain(KeyError("x")) is None  # not raised in the client
    with pytest.raises(ZeroDivisionError), talking.guarded():
        _ = 1 / 0
    error = KklabError("mine")
    assert talking.explain(error) is error


def test_timeout_setting_falls_back_on_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KKLAB_API_TIMEOUT_S", "soon")
    assert talking.request_timeout_s() == talking.REQUEST_TIMEOUT_S
    monkeypatch.setenv("KKLAB_API_TIMEOUT_S", "-3")
    assert talking.request_timeout_s() == talking.REQUEST_TIMEOUT_S
    monkeypatch.setenv("KKLAB_API_TIMEOUT_S", "7")
    assert talking.request_timeout_s() == 7
