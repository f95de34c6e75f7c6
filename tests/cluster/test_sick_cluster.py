"""Every command survives a sick cluster: no traceback, no hang, one line that says what to do.

The real API server is killed (SIGKILL), frozen (SIGSTOP, then SIGCONT), or
reached through a TCP proxy on 127.0.0.1 that delays, cuts or swallows its
answers. Each command must end within its bound (the subprocess timeout is
the hang guard; nothing asserts wall-clock figures), print one ``kklab:`` line
and exit 2 (``kklab status``: 1, a failed health check). Every test leaves the
cluster usable: it restores it in a ``finally`` (SIGCONT, else ``kklab up``,
which restarts it on its data).

They stop parts of the cluster, so they carry the ``lifecycle`` marker: `make
test` runs them in its second pytest call, before tests/cluster/test_lifecycle.py,
which leaves the cluster stopped (tests/conftest.py orders them). Alone::

    KKLAB_REQUIRE_CLUSTER=1 .venv/bin/pytest tests/cluster/test_sick_cluster.py \\
        -m lifecycle -p no:cacheprovider -v
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from kklab.cluster import processes
from kklab.cluster.local import LocalProvider
from kklab.cluster.local.config import API_PORT
from kklab.paths import state_dir
from tests.conftest import RunningCluster
from tests.helpers import run_kklab, run_tool, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.lifecycle]

LAB = "01-pods"
COMMAND_LIMIT_S = 90.0
"""Hang guard for one command that faces a sick API server: well above every bound
(20 s per request by default, 3 s for `status`'s probe)."""
QUICK = {"KKLAB_API_TIMEOUT_S": "4"}
"""A shorter bound per request, so the frozen and delayed cases take seconds."""


def kklab(
    *args: str, env: dict[str, str] | None = None, timeout_s: float = COMMAND_LIMIT_S
) -> subprocess.CompletedProcess[str]:
    return run_kklab(*args, env=env, timeout_s=timeout_s)


def trouble(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, no traceback, one ``kklab:`` line (the last) that holds ``words``; that line."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 2, output
    lines = [line for line in result.stderr.splitlines() if line.startswith("kklab: ")]
    assert len(lines) == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == lines[0], result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _records() -> list[processes.ProcessRecord]:
    provider = LocalProvider()
    state = provider._state()
    assert state is not None, "the local cluster is not up"
    return provider._records(state)


def _component(name: str) -> processes.ProcessRecord:
    return next(record for record in _records() if record.name == name)


def _kill(record: processes.ProcessRecord) -> None:
    os.kill(record.pid, signal.SIGKILL)
    processes.stop(record)  # returns once it is really gone
    assert processes.state(record) == "gone"


def _freeze(record: processes.ProcessRecord) -> None:
    os.kill(record.pid, signal.SIGSTOP)
    wait_for(lambda: processes.state(record) == "stopped", f"{record.name} stopped", timeout_s=10)


def _restore() -> None:
    """The cluster healthy again: continue what is frozen; else `kklab up` restarts it."""
    provider = LocalProvider()
    state = provider._state()
    for record in provider._records(state) if state else []:
        if processes.state(record) == "stopped":
            os.kill(record.pid, signal.SIGCONT)
    try:
        wait_for(lambda: provider.status().healthy, "the cluster healthy again", timeout_s=60)
    except AssertionError:
        up = kklab("up", "--provider", "local", timeout_s=400)
        assert up.returncode == 0, up.stderr
    status = kklab("status")
    assert status.returncode == 0, status.stdout


def _notebook_lab_magic(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``%lab 01-pods`` as a notebook runs it (the magic's function, in a fresh Python)."""
    code = f"from kklab.notebook import magics; magics.lab_magic({LAB!r})"
    return run_tool([sys.executable, "-c", code], env=env, timeout_s=COMMAND_LIMIT_S)


# --- the API server killed -----------------------------------------------------------


@pytest.mark.timeout(900)
def test_api_server_killed(cluster: RunningCluster) -> None:
    apiserver = _component("kube-apiserver")
    try:
        _kill(apiserver)
        for args in (
            ("lab", "start", LAB),
            ("lab", "reset", LAB),
            ("lab", "solve", LAB, "--upto", "1"),
            ("check", LAB, "1"),
            ("check", LAB),
        ):
            trouble(kklab(*args), "refused the connection", "kklab up")
        as_json = kklab("check", LAB, "1", "--json")
        trouble(as_json, "refused the connection")
        assert "refused the connection" in json.loads(as_json.stdout)["error"]

        status = kklab("status")
        assert status.returncode == 1, status.stdout
        assert "✗ kube-apiserver" in status.stdout and "is gone" in status.stdout
        assert apiserver.log_path in status.stdout
        assert "Traceback" not in status.stdout + status.stderr

        doctor = kklab("doctor")
        assert doctor.returncode in (0, 1) and "Traceback" not in doctor.stdout + doctor.stderr

        magic = _notebook_lab_magic()
        assert magic.returncode == 0 and "Traceback" not in magic.stdout + magic.stderr
        assert magic.stdout.strip().startswith("✗ the Kubernetes API server"), magic.stdout

        up = kklab("up", "--provider", "local", timeout_s=400)
        assert up.returncode == 0, up.stderr
        assert "restarting it on its existing data" in up.stderr
    finally:
        _restore()


# --- the API server frozen -----------------------------------------------------------


@pytest.mark.timeout(900)
def test_api_server_frozen(cluster: RunningCluster) -> None:
    apiserver = _component("kube-apiserver")
    try:
        _freeze(apiserver)
        # The default bound (20 s a request) ends a frozen call too, never a hang.
        trouble(kklab("lab", "start", LAB), "did not answer within")
        for args in (("lab", "start", LAB), ("check", LAB, "1"), ("lab", "reset", LAB)):
            trouble(kklab(*args, env=QUICK), "did not answer within 4 s")
        as_json = kklab("check", LAB, "--json", env=QUICK)
        trouble(as_json, "did not answer")
        assert "did not answer" in json.loads(as_json.stdout)["error"]

        status = kklab("status")
        assert status.returncode == 1, status.stdout
        assert "✗ kube-apiserver" in status.stdout, status.stdout
        assert f"kill -CONT {apiserver.pid}" in status.stdout

        magic = _notebook_lab_magic(env=QUICK)
        assert "Traceback" not in magic.stdout + magic.stderr
        assert "did not answer within 4 s" in magic.stdout
    finally:
        _restore()  # SIGCONT: the same process answers again


# --- behind a proxy that delays, cuts or swallows answers ------------------------------


class Proxy:
    """A TCP relay on 127.0.0.1 to the API server that passes, delays, cuts or swallows.

    Modes: ``pass``; ``delay`` (each chunk of the server's answer waits
    ``delay_s``); ``cut`` (each connection is closed at once); ``cut-answer``
    (closed when the server starts answering); ``swallow`` (held open, never
    answered). Every loop is bounded: the proxy stops with its ``with`` block,
    and by itself after ``LIFETIME_S`` at the latest.
    """

    LIFETIME_S = 300.0

    def __init__(self, mode: str, delay_s: float = 0.0, target_port: int = API_PORT) -> None:
        self.mode, self.delay_s, self.target_port = mode, delay_s, target_port
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + self.LIFETIME_S
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def _running(self) -> bool:
        return not self.stopping.is_set() and time.monotonic() < self.deadline

    def __enter__(self) -> Proxy:
        accepting = threading.Thread(target=self._accept, daemon=True)
        accepting.start()
        self.threads.append(accepting)
        return self

    def __exit__(self, *_args: object) -> None:
        self.stopping.set()
        for thread in list(self.threads):
            thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while self._running():
            try:
                client, _address = self.listener.accept()
            except OSError:  # the 0.2 s accept timeout, or closed
                continue
            serving = threading.Thread(target=self._serve, args=(client,), daemon=True)
            serving.start()
            self.threads.append(serving)

    def _serve(self, client: socket.socket) -> None:
        with contextlib.closing(client):
            client.settimeout(10)
            if self.mode == "cut":
                return
            if self.mode == "swallow":
                self.stopping.wait(max(0.0, self.deadline - time.monotonic()))
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                return
            with contextlib.closing(upstream):
                upstream.settimeout(10)
                self._relay(client, upstream)

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        while self._running():
            readable, _, _ = select.select([client, upstream], [], [], 0.2)
            for source in readable:
                try:
                    data = source.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if source is upstream:
                    if self.mode == "cut-answer":
                        return
                    if self.mode == "delay" and self.stopping.wait(self.delay_s):
                        return
                target = client if source is upstream else upstream
                try:
                    target.sendall(data)
                except OSError:
                    return


def _home_through(proxy: Proxy, tmp_path: Path) -> dict[str, str]:
    """Environment for kklab to find the local cluster at the proxy's port."""
    real = state_dir() / "local"
    home = tmp_path / "kklab"
    (home / "local").mkdir(parents=True)
    shutil.copy(real / "cluster.json", home / "local" / "cluster.json")
    config = yaml.safe_load((real / "kubeconfig").read_text())
    for entry in config["clusters"]:
        entry["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
    (home / "local" / "kubeconfig").write_text(yaml.safe_dump(config))
    return {"KKLAB_HOME": str(home), "KUBECONFIG": str(tmp_path / "kube-config")}


@pytest.mark.timeout(600)
def test_through_a_proxy_that_passes_delays_cuts_or_swallows(
    cluster: RunningCluster, tmp_path: Path
) -> None:
    try:
        with Proxy("pass") as proxy:  # the proxy itself works: a lab starts through it
            env = _home_through(proxy, tmp_path / "pass")
            started = kklab("lab", "start", LAB, env=env, timeout_s=300)
            assert started.returncode == 0, started.stderr
            checked = kklab("check", LAB, "1", "--json", env=env, timeout_s=300)
            assert checked.returncode in (0, 1), checked.stdout + checked.stderr
            assert json.loads(checked.stdout)["lab"] == LAB
        with Proxy("delay", delay_s=10) as proxy:
            env = {**_home_through(proxy, tmp_path / "delay"), **QUICK}
            trouble(kklab("lab", "start", LAB, env=env), "did not answer within 4 s")
            trouble(kklab("check", LAB, "1", env=env), "did not answer within 4 s")
        for mode in ("cut", "cut-answer"):
            with Proxy(mode) as proxy:
                env = _home_through(proxy, tmp_path / mode)
                trouble(kklab("lab", "start", LAB, env=env), "broke")
                as_json = kklab("check", LAB, "1", "--json", env=env)
                trouble(as_json, "broke")
                assert "broke" in json.loads(as_json.stdout)["error"]
        with Proxy("swallow") as proxy:  # the default bound, 20 s a request
            env = _home_through(proxy, tmp_path / "swallow")
            trouble(kklab("check", LAB, "1", env=env), "did not answer within")
    finally:
        status = kklab("status")
        assert status.returncode == 0, status.stdout  # the cluster itself was never touched


# --- a lab never started ---------------------------------------------------------------


@pytest.mark.timeout(600)
def test_a_lab_never_started_says_so_at_once(cluster: RunningCluster) -> None:
    reset = kklab("lab", "reset", LAB, timeout_s=300)
    assert reset.returncode == 0, reset.stderr
    trouble(kklab("check", LAB), f"lab {LAB} is not started here", f"kklab lab start {LAB}")
    as_json = kklab("check", LAB, "1", "--json")
    trouble(as_json, "is not started here")
    assert "is not started here" in json.loads(as_json.stdout)["error"]
    trouble(kklab("check", LAB, "9"), f'lab {LAB} has no exercise "9"')
    trouble(kklab("check", "01-pod", "1"), "01-pod")


# --- recovery keeps the learner's work -------------------------------------------------


def _check_passes() -> subprocess.CompletedProcess[str]:
    """`kklab check` of the whole lab until it passes (pods settle after a restart)."""
    last: list[subprocess.CompletedProcess[str]] = []

    def passes() -> bool:
        last[:] = [kklab("check", LAB, timeout_s=300)]
        return last[0].returncode == 0

    try:
        wait_for(passes, f"`kklab check {LAB}` to pass", timeout_s=240)
    except AssertionError as err:
        detail = last[0].stdout[-2000:] + last[0].stderr[-500:] if last else ""
        raise AssertionError(f"{err}\n{detail}") from err
    return last[0]


@pytest.mark.timeout(1800)
def test_a_solved_lab_survives_kill_9_of_the_api_server_and_of_everything(
    cluster: RunningCluster,
) -> None:
    solved = kklab("lab", "solve", LAB, timeout_s=600)
    assert solved.returncode == 0, solved.stderr
    _check_passes()
    try:
        _kill(_component("kube-apiserver"))
        up = kklab("up", "--provider", "local", timeout_s=400)
        assert up.returncode == 0, up.stderr
        assert "restarting it on its existing data" in up.stderr
        assert "your work kept" in up.stderr
        _check_passes()

        # Everything at once, as a crash or `kill -9` of every component would.
        records = _records()
        for record in records:
            if processes.is_running(record):
                os.kill(record.pid, signal.SIGKILL)
        for record in records:
            processes.stop(record)
        status = kklab("status")
        assert status.returncode == 1 and status.stdout.count("is gone") == len(records)
        up = kklab("up", "--provider", "local", timeout_s=400)
        assert up.returncode == 0, up.stderr
        assert "restarting it on its existing data" in up.stderr
        _check_passes()
    finally:
        _restore()
        kklab("lab", "reset", LAB, timeout_s=300)
