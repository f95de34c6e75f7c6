"""A headless JupyterLab for the browser tests, and the notebook moves a learner makes.

:func:`running_jupyterlab` serves a folder on a free localhost port with a fresh
Jupyter home (config, data, settings, a kernel spec running this virtualenv's
Python) and shuts it down afterwards, kernels included. The page helpers find a
code cell, wait for the kernel, run a cell with Shift+Enter and wait for it, as a
learner's clicks and keys would. Skips (failures under ``KKLAB_REQUIRE_CLUSTER=1``)
say what is missing: Chromium, Playwright, JupyterLab or the widgets front end.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chromium import ARTIFACTS, CHROMIUM

SERVER_START_S = 90
"""Longest wait for JupyterLab to answer on its port."""
KERNEL_READY_S = 90
"""Longest wait for the notebook to open and its kernel to be connected and idle."""
RUN_STARTS_S = 15
"""Longest wait for a run keystroke to show ``[*]`` or a count (the kernel is idle by then)."""
CELL_S = 120
"""Longest wait for one cell (``%lab`` starts the lab: namespace, starting pods)."""
KERNEL_IDLE = re.compile(r"Python 3 \(ipykernel\) \| Idle")
"""The status bar's kernel item once the session has a kernel and is connected to it.

Not ``.jp-Notebook-ExecutionIndicator[data-status='idle']``: JupyterLab creates
that indicator as "idle" before any kernel exists, and a Shift+Enter pressed
before the notebook's session has its kernel is dropped silently (the prompt
stays ``[ ]:``, the selection moves on; jupyterlab/jupyterlab#8490). On a cold
machine the server takes long enough to create the session for the test to
press in that window."""

# JupyterLab user settings that keep the page quiet and the notebook fully
# rendered (no virtual scrolling, so every cell is in the DOM).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass
class JupyterLab:
    base_url: str
    token: str
    root: Path
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?token={self.token}"


def missing(reason: str) -> None:
    """Skip, or fail under ``KKLAB_REQUIRE_CLUSTER=1`` (CI), like the cluster tests."""
    if os.environ.get("KKLAB_REQUIRE_CLUSTER") == "1":
        pytest.fail(f"KKLAB_REQUIRE_CLUSTER=1 but {reason}")
    pytest.skip(reason)


def require_browser() -> None:
    """Chromium, Playwright, JupyterLab and the widgets front end are installed."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: run tests/browser/ensure_browser.sh as root")
    for module, what in (
        ("playwright", "the Python package playwright"),
        ("jupyterlab", "JupyterLab (pip install -e '.[course]')"),
        ("jupyterlab_widgets", "the ipywidgets front end (jupyterlab_widgets)"),
    ):
        if importlib.util.find_spec(module) is None:
            missing(f"{what} is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str, timeout_s: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read())


def _prepare_home(home: Path) -> dict[str, str]:
    """Jupyter's config, data, runtime and settings dirs, all fresh, and the kernel spec."""
    kernel_dir = home / "path" / "kernels" / "python3"
    kernel_dir.mkdir(parents=True)
    # The kernel is this virtualenv's Python (kklab, ipykernel, ipywidgets 8).
    (kernel_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
        )
    )
    for name, values in LAB_SETTINGS.items():
        target = home / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    dirs = {
        "JUPYTER_PATH": home / "path",
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
        "IPYTHONDIR": home / "ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return {name: str(path) for name, path in dirs.items()}


@contextmanager
def running_jupyterlab(
    home: Path, root: Path, log_name: str, env: Mapping[str, str] | None = None
) -> Iterator[JupyterLab]:
    """JupyterLab serving ``root``, its Jupyter home under ``home``, its log in
    ``artifacts/browser/<log_name>``; ``env`` adds to this process's environment
    (e.g. ``KKLAB_LABS`` or a sandbox's ``KKLAB_NAMESPACE``). Kernels run this
    virtualenv's Python; the batch-only switches of kklab are left out."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        **_prepare_home(home / "jupyter"),
        **(env or {}),
        "PYTHONUNBUFFERED": "1",
    }
    for batch_only in ("NBGRADER_EXECUTION", "KKLAB_WIDGETS"):
        environment.pop(batch_only, None)
    port, token = _free_port(), secrets.token_hex(16)
    log = ARTIFACTS / log_name
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI runs as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.terminals_enabled=False",
    ]
    with log.open("w") as log_file:
        server = subprocess.Popen(
            command,
            env=environment,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, kernels included
        )
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}; see {log}")
            try:
                get_json(lab.url("/api/status"))
                break
            except (OSError, urllib.error.URLError, ValueError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s; see {log}")
                time.sleep(0.5)
        specs = get_json(lab.url("/api/kernelspecs"))
        argv = specs["kernelspecs"]["python3"]["spec"]["argv"]
        assert argv[0] == sys.executable, f"the kernel would run {argv[0]}, not this venv"
        yield lab
    finally:
        _stop(server, lab)


def _stop(server: subprocess.Popen[bytes], lab: JupyterLab) -> None:
    """Shut JupyterLab down (kernels first), then make sure its process group is gone."""
    with contextlib.suppress(OSError, urllib.error.URLError):
        request = urllib.request.Request(lab.url("/api/shutdown"), method="POST")
        urllib.request.urlopen(request, timeout=10).close()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.pid, signal.SIGKILL)  # a kernel left behind


# ------------------------------------------------------------- the learner's moves


def open_notebook(page: Any, lab: JupyterLab, path: str) -> None:
    """Open the notebook at ``path`` and wait until its kernel is connected and idle."""
    from playwright.sync_api import expect

    page.goto(lab.url(f"/lab/tree/{path}"), timeout=60_000)
    expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible(
        timeout=KERNEL_READY_S * 1000
    )
    _wait_kernel_idle(page)


def code_cell(page: Any, *texts: str) -> Any:
    """The code cell whose input holds every one of ``texts``."""
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    for text in texts:
        cells = cells.filter(has=page.locator(".jp-Cell-inputArea", has_text=text))
    return cells.first


def _kernel_status(page: Any) -> str:
    """The status bar's kernel item, e.g. ``Python 3 (ipykernel) | Idle``."""
    items = page.locator("#jp-main-statusbar .jp-StatusBar-Item", has_text="|")
    return " / ".join(items.all_inner_texts()) or "(no kernel item in the status bar)"


def _wait_kernel_idle(page: Any) -> None:
    """Until the notebook's session has its kernel, connected and idle."""
    from playwright.sync_api import expect

    item = page.locator("#jp-main-statusbar .jp-StatusBar-Item", has_text=KERNEL_IDLE)
    try:
        expect(item).to_have_count(1, timeout=KERNEL_READY_S * 1000)
    except AssertionError as err:
        raise AssertionError(
            f"the notebook's kernel was not connected and idle within {KERNEL_READY_S} s "
            f"(status bar: {_kernel_status(page)}); see the JupyterLab log"
        ) from err


def run_cell(page: Any, cell: Any, timeout_s: float = CELL_S) -> None:
    """Put the cursor in the cell's editor, press Shift+Enter as a learner does, and
    wait until the prompt shows an execution count (``[3]:``), not ``[*]:``.

    The run must start: the prompt shows ``[*]`` or a count. A keystroke that
    JupyterLab dropped (the prompt stays ``[ ]``) fails here, saying so, rather
    than as a cell that never finishes.
    """
    from playwright.sync_api import expect

    cell.scroll_into_view_if_needed()
    cell.locator(".jp-Cell-inputArea .cm-content").click()
    page.keyboard.press("Shift+Enter")
    prompt = cell.locator(".jp-InputArea-prompt")
    try:
        expect(prompt).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=RUN_STARTS_S * 1000)
    except AssertionError as err:
        raise AssertionError(
            f"Shift+Enter reached the notebook but the cell did not start running within "
            f"{RUN_STARTS_S} s (prompt {prompt.inner_text()!r}, kernel: {_kernel_status(page)}): "
            "JupyterLab dropped the run request"
        ) from err
    expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=timeout_s * 1000)
