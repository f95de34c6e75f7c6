"""The Check widget grades on a thread: the kernel is free while a check waits.

The grading itself is replaced by a function that blocks until the test lets it
go, so what is proven is the widget's own threading (the cluster tests and the
JupyterLab browser test prove the grading).
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from kklab.notebook import widgets as module


def _wait_until(condition: Any, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_click_returns_at_once_and_shows_progress_while_the_check_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    graded = threading.Event()

    def slow_checks(exercise: str) -> None:
        graded.set()
        assert release.wait(20), "the test never released the check"
        raise RuntimeError("the cluster went away")  # shown as a message, not a traceback

    monkeypatch.setattr(module.current, "run_checks", slow_checks)
    monkeypatch.setattr(module, "refresh_header", lambda: None)
    monkeypatch.setattr(module.CheckWidget, "_solution_text", lambda self: "")
    session = SimpleNamespace(lab=SimpleNamespace(id="01-pods"))
    widget = module.CheckWidget(session, SimpleNamespace(), "3")  # type: ignore[arg-type]

    widget._on_check(None)  # what a click runs on the kernel's main thread
    # It returned while the check is still waiting: the kernel can run other cells.
    _wait_until(graded.is_set, "the check to start")
    assert not release.is_set()
    assert widget.check_button.disabled and widget.reset_button.disabled
    _wait_until(lambda: "Checking…" in widget.status.value, "a progress line")

    release.set()
    _wait_until(lambda: "checked in" in widget.status.value, "the check to end")
    assert not widget.check_button.disabled
    printed = "".join(str(output.get("text", "")) for output in widget.output.outputs)
    assert "✗" in printed and "Traceback" not in printed
