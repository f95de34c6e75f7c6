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
``tests/browser/ensure_browser.sh`` installs Chromium; ``tests/browser/jupyterlab.py``
runs the server and makes the learner's moves.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chromium import ARTIFACTS, REPOSITORY, chromium_context
from tests.browser.jupyterlab import (
    JupyterLab,
    code_cell,
    open_notebook,
    require_browser,
    run_cell,
    running_jupyterlab,
)
from tests.conftest import RunningCluster
from tests.helpers import run_kklab, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

SCREENSHOT = ARTIFACTS / "01-pods-check.png"
LAB = "01-pods"
NOTEBOOK = f"{LAB}/{LAB}.ipynb"

CHECK_S = 60
"""Longest wait for a check to finish (the grader polls for at most 15 s a check)."""
POD_READY_S = 240
"""Longest wait for pod hello to run when the cluster is slower than the grader's wait."""


def _kklab(*args: str) -> None:
    """Run the project's own CLI from this virtualenv."""
    done = run_kklab(*args, timeout_s=180)
    if done.returncode != 0:
        pytest.fail(f"kklab {' '.join(args)} failed: {done.stdout}{done.stderr}")


@pytest.fixture(scope="module")
def jupyter_lab(cluster: RunningCluster) -> Iterator[JupyterLab]:
    """JupyterLab on a free localhost port over a temporary copy of ``labs/``."""
    require_browser()
    # Exercise 1's pod `hello` must not exist yet: delete only this lab's objects.
    _kklab("lab", "reset", LAB)
    home = Path(tempfile.mkdtemp(prefix="kklab-browser-"))
    root = home / "labs"
    shutil.copytree(REPOSITORY / "labs", root)
    try:
        with running_jupyterlab(home, root, "jupyterlab.log", {"KKLAB_LABS": str(root)}) as lab:
            yield lab
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def page(jupyter_lab: JupyterLab) -> Iterator[Any]:
    """A page of Debian's Chromium in a fresh profile, driven by Playwright."""
    with chromium_context() as context:
        yield context.new_page()


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
        open_notebook(page, jupyter_lab, NOTEBOOK)

        # The set-up cell starts the lab and shows the progress header.
        setup = code_cell(page, "%lab 01-pods")
        run_cell(page, setup)
        expect(setup.locator(".widget-hprogress")).to_be_visible(timeout=30_000)
        expect(setup.locator(".jp-OutputArea-output", has_text="✗")).to_have_count(0)

        # The Check widget of exercise 1, clicked before the answer exists.
        check_cell = code_cell(page, 'check("1")')
        run_cell(page, check_cell)
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
        answer = code_cell(page, "%%apply", "name: hello")
        run_cell(page, answer)
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
