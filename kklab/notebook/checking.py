"""Checking an exercise from a notebook: a Check widget, or plain text without one.

With a widget front end (JupyterLab), ``check("3")`` shows a Check button; a
click grades exercise 3 on a background thread, so the notebook never
freezes, and shows elapsed seconds while the checks wait for the cluster.
Without one (nbclient, nbconvert, nbgrader autograde, or ``KKLAB_WIDGETS=0``)
the same call grades at once and prints the text report.

``autograde("3")`` is for nbgrader's test cells: it runs every check,
hidden ones too, prints the report and returns the points earned, which
nbgrader takes as partial credit.
"""

from __future__ import annotations

import os
from typing import Any

from kklab import lifecycle, progress
from kklab.errors import KklabError
from kklab.grading import grade, load_lab, render_text
from kklab.grading.results import LabResult
from kklab.grading.spec import Lab
from kklab.session import LabSession

_current: dict[str, Any] = {}


def widgets_enabled() -> bool:
    """True in a live notebook front end; False in batch execution or when turned off."""
    if os.environ.get("NBGRADER_EXECUTION") or os.environ.get("KKLAB_WIDGETS") == "0":
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def open_lab(name: str) -> LabSession:
    """Start (or rejoin) a lab and make it the notebook's current lab."""
    session = lifecycle.start(name)
    spec = load_lab(session.lab.grader)
    _current.update(session=session, spec=spec)
    if widgets_enabled():
        from kklab.notebook.widgets import show_lab_header

        show_lab_header(session, spec)
    else:
        print(progress_line(session.lab.id, spec))
    return session


def current_session() -> LabSession:
    session = _current.get("session")
    if session is None:
        raise KklabError(
            "no lab is open in this notebook",
            fix="run the first cell of the notebook (`%lab NN-topic`)",
        )
    return session  # type: ignore[no-any-return]


def current_spec() -> Lab:
    current_session()
    return _current["spec"]  # type: ignore[no-any-return]


def progress_line(lab_id: str, spec: Lab) -> str:
    """``01-pods: 6/20 points, 2 of 7 exercises done``."""
    best = progress.summary(lab_id)
    possible = sum(check.points for exercise in spec.exercises for check in exercise.checks)
    earned = sum(item["earned"] for item in best.values())
    done = sum(1 for item in best.values() if item["earned"] == item["possible"])
    return f"{lab_id}: {earned}/{possible} points, {done} of {len(spec.exercises)} exercises done"


def run_checks(exercise: str, *, include_hidden: bool = False) -> LabResult:
    """Grade one exercise of the current lab and remember the result."""
    session = current_session()
    spec = current_spec()
    configured = os.environ.get("KKLAB_CHECK_TIMEOUT_S")  # 0 in batch runs: check once
    result = grade(
        session.api_client,
        session.namespace,
        spec,
        exercise,
        include_hidden=include_hidden,
        timeout_s=float(configured) if configured else None,
    )
    if not include_hidden:
        progress.record(
            spec.id, exercise, earned=result.points_earned, possible=result.points_possible
        )
    return result


def check(exercise: str) -> Any:
    """The Check widget for ``exercise`` (text report without a widget front end)."""
    try:
        current_spec().exercise(exercise)
    except KklabError as err:
        print(f"✗ {err}")
        return None
    if widgets_enabled():
        from kklab.notebook.widgets import CheckWidget

        return CheckWidget(current_session(), current_spec(), exercise).display()
    print(render_text(run_checks(exercise)))
    return None


def autograde(exercise: str) -> float:
    """Every check of ``exercise``, hidden ones too; prints the report, returns points."""
    try:
        result = run_checks(exercise, include_hidden=True)
    except KklabError as err:
        print(f"✗ {err}")
        return 0.0
    print(render_text(result))
    return float(result.points_earned)
