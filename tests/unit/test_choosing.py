"""Which provider `kklab up` picks, in every situation (pure: no Docker, no network)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kklab.cluster import choosing, docker, kind, reaching, toolchain
from kklab.cluster.base import ClusterInfo, ClusterStatus
from kklab.cluster.choosing import Facts, decide
from kklab.errors import ClusterError

NOTHING = Facts(
    docker_answers=False,
    kind_on_path=False,
    kind_downloadable=False,
    local_toolchain_ready=False,
    is_root=False,
    is_debian=False,
    local_missing=("kubernetes v1.20.2 binaries (/cache)",),
)


def test_kind_when_docker_answers_and_kind_is_on_path() -> None:
    choice = decide(replace(NOTHING, docker_answers=True, kind_on_path=True))
    assert choice.provider == "kind"
    assert choice.reason == "Docker answers and kind is on PATH"


def test_kind_when_docker_answers_and_kind_can_be_downloaded() -> None:
    choice = decide(replace(NOTHING, docker_answers=True, kind_downloadable=True))
    assert (choice.provider, choice.reason) == (
        "kind",
        "Docker answers and kind can be downloaded",
    )


def test_kind_wins_over_a_ready_local_toolchain() -> None:
    facts = replace(NOTHING, docker_answers=True, kind_on_path=True, local_toolchain_ready=True)
    assert decide(facts).provider == "kind"


def test_local_when_offline_without_kind_and_the_toolchain_is_ready() -> None:
    choice = decide(replace(NOTHING, docker_answers=True, local_toolchain_ready=True))
    assert choice.provider == "local"
    assert "kind is not on PATH and cannot be downloaded" in choice.reason


def test_local_when_kind_is_there_but_docker_is_not() -> None:
    choice = decide(replace(NOTHING, kind_on_path=True, local_toolchain_ready=True))
    assert choice.provider == "local"
    assert "kind needs Docker" in choice.reason


def test_local_when_its_toolchain_can_be_installed_as_root_on_debian() -> None:
    choice = decide(replace(NOTHING, is_root=True, is_debian=True))
    assert choice.provider == "local"
    assert "`kklab toolchain install` can set it up" in choice.reason


def test_root_alone_is_not_enough_off_debian() -> None:
    with pytest.raises(ClusterError):
        decide(replace(NOTHING, is_root=True))


def test_nothing_usable_lists_each_missing_piece_and_its_fix() -> None:
    with pytest.raises(ClusterError) as caught:
        decide(NOTHING)
    message = str(caught.value)
    assert message.startswith("no provider can start a cluster here: for kind: Docker is not")
    assert "`sudo systemctl start docker`" in message
    assert "kind is not on PATH and cannot be downloaded" in message
    assert "https://kind.sigs.k8s.io/docs/user/quick-start/#installation" in message
    assert "for local: kubernetes v1.20.2 binaries (/cache) is missing" in message
    assert "`sudo kklab toolchain install`" in message
    assert "`kklab up --provider existing --context NAME`" in message


def test_missing_list_names_only_what_is_missing() -> None:
    with pytest.raises(ClusterError) as caught:
        decide(replace(NOTHING, docker_answers=True))
    message = str(caught.value)
    assert "Docker is not running" not in message
    assert "kind is not on PATH" in message


@pytest.fixture
def http_server() -> Iterator[str]:
    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(302)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/kind/v0.17.0/"
    server.shutdown()
    server.server_close()


def test_host_answers_any_http_answer_counts(http_server: str) -> None:
    assert reaching.host_answers(http_server)


def test_host_answers_false_when_nothing_listens() -> None:
    with socket_port() as port:
        assert not reaching.host_answers(f"http://127.0.0.1:{port}/", timeout_s=1)
    assert not reaching.host_answers("not a url")


class socket_port:
    """A port that was free a moment ago and has nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    def __exit__(self, *_args: object) -> None:
        pass


def _machine(
    monkeypatch: pytest.MonkeyPatch, *, docker_ok: bool, kind_path: Path | None
) -> list[str]:
    probed: list[str] = []
    monkeypatch.setattr(docker, "daemon_answers", lambda: docker_ok)
    monkeypatch.setattr(kind, "find_kind", lambda: kind_path)
    monkeypatch.setattr(reaching, "host_answers", lambda url, **_: probed.append(url) or True)
    monkeypatch.setattr(
        toolchain, "check", lambda: [toolchain.Item("helm v3.8.1", False, "/cache/helm")]
    )
    return probed


def test_gather_skips_the_network_and_the_toolchain_when_kind_is_on_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probed = _machine(monkeypatch, docker_ok=True, kind_path=Path("/usr/bin/kind"))
    facts = choosing.gather_facts()
    assert probed == []
    assert facts.kind_on_path and facts.local_toolchain_ready is None
    assert decide(facts).provider == "kind"


def test_gather_probes_the_download_host_when_kind_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probed = _machine(monkeypatch, docker_ok=True, kind_path=None)
    monkeypatch.delenv("KKLAB_OFFLINE", raising=False)
    facts = choosing.gather_facts()
    assert probed == [kind.download_url()]
    assert facts.kind_downloadable


def test_kklab_offline_says_nothing_can_be_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    probed = _machine(monkeypatch, docker_ok=True, kind_path=None)
    monkeypatch.setenv("KKLAB_OFFLINE", "1")
    facts = choosing.gather_facts()
    assert probed == []
    assert not facts.kind_downloadable
    assert facts.local_toolchain_ready is False
    assert facts.local_missing == ("helm v3.8.1 (/cache/helm)",)


class _FakeProvider:
    def __init__(self, name: str, up: bool) -> None:
        self.name = name
        self._up = up

    def info(self) -> ClusterInfo | None:
        return ClusterInfo(self.name, "c", Path("/k"), "c") if self._up else None

    def up(self) -> ClusterInfo:
        raise NotImplementedError

    def down(self) -> None:
        raise NotImplementedError

    def status(self) -> ClusterStatus:
        return ClusterStatus(self.name, exists=self._up)


def test_provider_in_use_is_the_one_whose_state_says_up() -> None:
    found = choosing.provider_in_use(lambda name: _FakeProvider(name, up=name == "existing"))
    assert found is not None and found.name == "existing"
    assert choosing.provider_in_use(lambda name: _FakeProvider(name, up=False)) is None


def test_an_unknown_provider_name_is_refused() -> None:
    with pytest.raises(ClusterError, match="use one of: kind, local, existing"):
        choosing.provider_named("minikube")
