"""Lab 01-pods in a real browser: JupyterLab, the Check button, the pass result.

JupyterLab runs headless on a free localhost port, serving a temporary copy of
``labs/``; Debian's Chromium (``/usr/bin/chromium``, never a downloaded
browser) is driven by Playwright. The test opens 01-pods, runs the set-up
cell, shows the Check widget of exercise 1 and clicks it *before* the answer
exists: with nothing settling in the namespace, the missing pod is reported at
once. Then it runs the answer cell and checks again until the pass result shows
(the grader polls on a thread while the pod starts). This test used to prove
that the kernel runs cells while a check polls; since a missing pod is reported
at once, it no longer does, and no other test does yet: a known gap. The
screenshot is kept in ``artifacts/browser/01-pods-check.png``.

Without Chromium, Playwright or JupyterLab the test is skipped, and fails
instead when ``KKLAB_REQUIRE_CLUSTER=1`` (CI), like the cluster tests.
``tests/browser/ensure_browser.sh`` installs Chromium.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chromium import ARTIFACTS, CHROMIUM, REPOSITORY, chromium_context
from tests.conftest import RunningCluster
from tests.helpers import run_kklab, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

SCREENSHOT = ARTIFACTS / "01-pods-check.png"
LAB = "01-pods"
NOTEBOOK = f"{LAB}/{LAB}.ipynb"

SERVER_START_S = 90
"""Longest wait for JupyterLab to answer on its port."""
KERNEL_READY_S = 90
"""Longest wait for the notebook to open and its kernel to be connected and idle."""
RUN_STARTS_S = 15
"""Longest wait for a run keystroke to show ``[*]`` or a count (the kernel is idle by then)."""
KERNEL_IDLE = re.compile(r"Python 3 \(ipykernel\) \| Idle")
"""The status bar's kernel item once the session has a kernel and is connected to it.

Not ``.jp-Notebook-ExecutionIndicator[data-status='idle']``: JupyterLab creates
that indicator as "idle" before any kernel exists, and a Shift+Enter pressed
before the notebook's session has its kernel is dropped silently (the prompt
stays ``[ ]:``, the selection moves on; jupyterlab/jupyterlab#8490). On a cold
machine the server takes long enough to create the session for the test to
press in that window."""
CELL_S = 120
"""Longest wait for one cell (``%lab`` starts the lab: namespace, starting pods)."""
CHECK_S = 60
"""Longest wait for a check to finish (the grader polls for at most 15 s a check)."""
POD_READY_S = 240
"""Longest wait for pod hello to run when the cluster is slower than the grader's wait."""

# JupyterLab user settings that keep the page quiet and the notebook fully
# rendered (no virtual scrolling, so every cell is in the DOM).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _missing(reason: str) -> None:
    if os.environ.get("KKLAB_REQUIRE_CLUSTER") == "1":
        pytest.fail(f"KKLAB_REQUIRE_CLUSTER=1 but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_json(url: str, timeout_s: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read())


@dataclass
class JupyterLab:
    base_url: str
    token: str
    root: Path
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?token={self.token}"


def _kklab(*args: str) -> None:
    """Run the project's own CLI from this virtualenv."""
    done = run_kklab(*args, timeout_s=180)
    if done.returncode != 0:
        pytest.fail(f"kklab {' '.join(args)} failed: {done.stdout}{done.stderr}")


def _require_browser() -> None:
    """Chromium, Playwright, JupyterLab and the widgets front end are installed."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: run tests/browser/ensure_browser.sh as root")
    for module, what in (
        ("playwright", "the Python package playwright"),
        ("jupyterlab", "JupyterLab (pip install -e '.[course]')"),
        ("jupyterlab_widgets", "the ipywidgets front end (jupyterlab_widgets)"),
    ):
        if importlib.util.find_spec(module) is None:
            _missing(f"{what} is not installed")


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


@pytest.fixture(scope="module")
def jupyter_lab(cluster: RunningCluster) -> Iterator[JupyterLab]:
    """JupyterLab on a free localhost port over a temporary copy of ``labs/``."""
    _require_browser()
    # Exercise 1's pod `hello` must not exist yet: delete only this lab's objects.
    _kklab("lab", "reset", LAB)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="kklab-browser-"))
    root = home / "labs"
    shutil.copytree(REPOSITORY / "labs", root)
    env = {
        **os.environ,
        **_prepare_home(home / "jupyter"),
        "KKLAB_LABS": str(root),
        "PYTHONUNBUFFERED": "1",
    }
    for batch_only in ("NBGRADER_EXECUTION", "KKLAB_WIDGETS"):
        env.pop(batch_only, None)
    port, token = _free_port(), secrets.token_hex(16)
    log = ARTIFACTS / "jupyterlab.log"
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
            env=env,
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
                _get_json(lab.url("/api/status"))
                break
            except (OSError, urllib.error.URLError, ValueError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s; see {log}")
                time.sleep(0.5)
        specs = _get_json(lab.url("/api/kernelspecs"))
        argv = specs["kernelspecs"]["python3"]["spec"]["argv"]
        assert argv[0] == sys.executable, f"the kernel would run {argv[0]}, not this venv"
        yield lab
    finally:
        _stop(server, lab)
        shutil.rmtree(home, ignore_errors=True)


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


@pytest.fixture
def page(jupyter_lab: JupyterLab) -> Iterator[Any]:
    """A page of Debian's Chromium in a fresh profile, driven by Playwright."""
    with chromium_context() as context:
        yield context.new_page()


def _code_cell(page: Any, *texts: str) -> Any:
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


def _run(page: Any, cell: Any) -> None:
    """Put the cursor in the cell's editor and press Shift+Enter, as a learner does.

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


def _wait_done(cell: Any, timeout_s: float) -> None:
    """Until the cell's prompt shows an execution count (``[3]:``), not ``[*]:``."""
    from playwright.sync_api import expect

    expect(cell.locator(".jp-InputArea-prompt")).to_have_text(
        re.compile(r"\[\d+\]"), timeout=timeout_s * 1000
    )


def _pod_ready(cluster: RunningCluster, name: str, timeout_s: float) -> None:
    """Until the lab's pod ``name`` is Running and Ready (the kubelet may be slow)."""
    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client)

    def ready() -> bool:
        pod = core.read_namespaced_pod(name, f"lab-{LAB}")
        conditions = pod.status.conditions or []
        return pod.status.phase == "Running" and any(
            c.type == "Ready" and c.status == "True" for c in conditions
        )

    wait_for(ready, f"pod {name} in lab-{LAB} to be Running and Ready", timeout_s=timeout_s)


def test_check_button_shows_the_pass_result(
    page: Any, jupyter_lab: JupyterLab, cluster: RunningCluster
) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    try:
        page.goto(jupyter_lab.url(f"/lab/tree/{NOTEBOOK}"), timeout=60_000)
        expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible(
            timeout=KERNEL_READY_S * 1000
        )
        _wait_kernel_idle(page)

        # The set-up cell starts the lab and shows the progress header.
        setup = _code_cell(page, "%lab 01-pods")
        _run(page, setup)
        _wait_done(setup, CELL_S)
        expect(setup.locator(".widget-hprogress")).to_be_visible(timeout=30_000)
        expect(setup.locator(".jp-OutputArea-output", has_text="✗")).to_have_count(0)

        # The Check widget of exercise 1, clicked before the answer exists.
        check_cell = _code_cell(page, 'check("1")')
        _run(page, check_cell)
        _wait_done(check_cell, CELL_S)
        button = check_cell.locator("button", has_text="Check exercise 1")
        expect(button).to_be_visible(timeout=30_000)
        button.click()
        # No pod hello in a quiet namespace: a wrong answer that will not change by
        # itself, so the verdict comes at once instead of after the check's timeout.
        result = check_cell.locator(".kklab-result")
        expect(result).to_contain_text('expected Pod "hello"', timeout=CHECK_S * 1000)
        expect(button).to_be_enabled()

        # Apply the reference answer, then check again: the grader polls on a thread
        # while the pod starts, and the kernel still runs cells meanwhile.
        answer = _code_cell(page, "%%apply", "name: hello")
        _run(page, answer)
        _wait_done(answer, CELL_S)
        expect(answer.locator(".jp-OutputArea-output")).to_contain_text(
            re.compile(r"pod/\S*hello (created|configured|unchanged)")
        )
        button.click()
        status = check_cell.get_by_text(re.compile(r"checked in \d+\.\d s"))
        expect(status).to_be_visible(timeout=CHECK_S * 1000)
        expect(result).to_contain_text("Exercise 1: Run your first pod")
        expect(
            result.locator(".check.passed", has_text="hello-runs-the-pinned-busybox-image")
        ).to_have_count(1)

        passed = result.locator(".check.passed")
        if passed.count() != 3:
            # The grader waits 15 s a check; a loaded kubelet can take longer to
            # report the pod Running. Click again once it is, as a learner would.
            print("first check was not 3/3 (a slow kubelet); checking again once hello is Ready")
            _pod_ready(cluster, "hello", POD_READY_S)
            expect(button).to_be_enabled()
            button.click()

        # The pass result, as the learner sees it (in place of any earlier one).
        expect(result.locator(".check.passed")).to_have_count(3, timeout=CHECK_S * 1000)
        expect(result).to_have_count(1)
        expect(result.locator(".check.failed, .check.error")).to_have_count(0)
        expect(result.locator(".check.passed .mark").first).to_have_text("✓")
        expect(result.locator(".points").first).to_have_text("3/3")
        expect(button).to_be_enabled()

        answer.scroll_into_view_if_needed()
        result.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOT))
    except Exception:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / "01-pods-check-failure.png"))
        raise
    finally:
        print(f"browser test took {time.monotonic() - started:.1f} s")
