"""The CLI and the notebook magics facing a sick cluster: one line, exit 2, no hang.

The "cluster" is a fake API server on 127.0.0.1 (or a port that refuses or
never answers) that a local-provider state folder in ``tmp_path`` points at:
kklab finds it as it finds a real one, and nothing touches the real cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kklab import cli
from kklab.cluster.local.provider import NAME
from tests.unit.fake_apiserver import (
    Answer,
    FakeApiServer,
    closed_port,
    frozen_port,
    namespace_body,
    status_body,
    write_kubeconfig,
)

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """kklab's state, HOME and KUBECONFIG in ``tmp_path``: no cluster unless a test adds one."""
    monkeypatch.setenv("KKLAB_HOME", str(tmp_path / "kklab"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kube" / "config"))
    monkeypatch.delenv("KKLAB_KUBECONFIG", raising=False)
    monkeypatch.delenv("KKLAB_NAMESPACE", raising=False)
    monkeypatch.delenv("KKLAB_DEBUG", raising=False)
    yield tmp_path


def point_local_state_at(home: Path, server: str) -> None:
    """A local provider state that says a cluster is up at ``server``."""
    root = home / "kklab" / "local"
    write_kubeconfig(root / "kubeconfig", server, context=NAME)
    record = {"name": "kube-apiserver", "pid": 999999999, "start_ticks": 1, "log_path": "x.log"}
    (root / "cluster.json").write_text(json.dumps({"processes": [record]}))


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_lab_start_on_a_dead_api_server_is_one_line_and_exit_2(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with closed_port() as url:
        point_local_state_at(home, url)
        assert cli.main(["lab", "start", "01-pods"]) == cli.EXIT_TROUBLE
    line = one_line(capsys.readouterr().err)
    assert line.startswith("kklab: the Kubernetes API server at 127.0.0.1:")
    assert "refused the connection" in line and "kklab up" in line


def test_lab_start_on_a_frozen_api_server_ends_within_the_bound(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KKLAB_API_TIMEOUT_S", "1")
    with frozen_port() as url:
        point_local_state_at(home, url)
        assert cli.main(["lab", "start", "01-pods"]) == cli.EXIT_TROUBLE
    assert "did not answer within 1 s" in one_line(capsys.readouterr().err)


def test_lab_reset_and_solve_on_a_refusing_server(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(403, status_body(403, "Forbidden", "no"))
        point_local_state_at(home, server.url)
        assert cli.main(["lab", "reset", "01-pods"]) == cli.EXIT_TROUBLE
        assert "forbade it (403 Forbidden: no)" in one_line(capsys.readouterr().err)
        assert cli.main(["lab", "solve", "01-pods"]) == cli.EXIT_TROUBLE
        assert "forbade it" in one_line(capsys.readouterr().err)


def test_check_of_a_lab_never_started_says_so_at_once(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(404, status_body(404, "NotFound", "not found"))
        point_local_state_at(home, server.url)
        assert cli.main(["check", "01-pods"]) == cli.EXIT_TROUBLE
        assert len(server.requests) == 1, "one question, not every check waiting"
    line = one_line(capsys.readouterr().err)
    assert line == (
        "kklab: lab 01-pods is not started here: run `kklab lab start 01-pods` "
        "or the notebook's first cell (`%lab 01-pods`)"
    )


def test_check_of_a_namespace_kklab_did_not_make(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApiServer() as server:
        server.answer = lambda _m, _p: Answer(body=namespace_body("lab-01-pods"))
        point_local_state_at(home, server.url)
        assert cli.main(["check", "01-pods", "--json"]) == cli.EXIT_TROUBLE
    captured = capsys.readouterr()
    assert "kklab did not make it" in json.loads(captured.out)["error"]
    assert "kklab did not make it" in one_line(captured.err)


def test_check_on_a_dead_cluster_prints_json_with_json(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with closed_port() as url:
        point_local_state_at(home, url)
        assert cli.main(["check", "01-pods", "1", "--json"]) == cli.EXIT_TROUBLE
    captured = capsys.readouterr()
    assert "refused the connection" in json.loads(captured.out)["error"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["check", "01-pods", "9"], "9"),
        (["check", "01-pod", "1"], "01-pod"),
    ],
)
def test_bad_exercise_or_lab_name_is_exit_2_with_json_too(
    home: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    # No cluster is up: the name is refused before the cluster is asked.
    assert cli.main(args) == cli.EXIT_TROUBLE
    assert words in one_line(capsys.readouterr().err)
    assert cli.main([*args, "--json"]) == cli.EXIT_TROUBLE
    assert words in json.loads(capsys.readouterr().out)["error"]


def test_no_cluster_is_exit_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lab", "start", "01-pods"]) == cli.EXIT_TROUBLE
    assert one_line(capsys.readouterr().err) == "kklab: no cluster is up: run `kklab up`"


def test_usage_error_is_exit_2(home: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["check"])
    assert caught.value.code == cli.EXIT_TROUBLE


def test_an_unexpected_error_is_one_line_unless_debugging(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "cmd_lab_list", broken)
    assert cli.main(["lab", "list"]) == cli.EXIT_TROUBLE
    line = one_line(capsys.readouterr().err)
    assert line.startswith("kklab: unexpected RuntimeError: a bug: this is a bug in kklab")
    monkeypatch.setenv("KKLAB_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["lab", "list"])


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out and "2  kklab could not do what was asked" in out


def test_magics_show_one_line_for_a_dead_cluster(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kklab.notebook import magics

    with closed_port() as url:
        point_local_state_at(home, url)
        magics.lab_magic("01-pods")
    out = capsys.readouterr().out.strip()
    assert out.startswith("✗ the Kubernetes API server at 127.0.0.1:")
    assert "\n" not in out and "Traceback" not in out
