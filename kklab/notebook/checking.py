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

from kklab.cluster.talking import in_words
from kklab.errors import KklabError
from kklab.grading import render_text
from kklab.labs import lifecycle
from kklab.labs.session import LabSession
from kklab.labs.variants import DEFAULT_SEED, variant_notice
from kklab.notebook.current import (
    current_session,
    current_spec,
    progress_line,
    run_checks,
    set_current,
)


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


def open_lab(name: str, seed: str | None = None) -> LabSession:
    """Start (or rejoin) a lab, for the variant ``seed``, as the notebook's current lab.

    A notebook whose first cell names no seed shows the default values in its text;
    when the learner's variant is another (``KKLAB_SEED``, a hub user's name, a seed
    used before), a notice lists the values that differ.
    """
    session = lifecycle.start(name, seed)
    spec = session.grader()
    set_current(session, spec)
    if seed is None and session.seed != DEFAULT_SEED:
        lab = session.lab
        notice = variant_notice(
            lab.setup.parameters, session.seed, lab.values(session.seed), lab.values(None)
        )
        if notice:
            print(notice)
    if widgets_enabled():
        from kklab.notebook.widgets import show_lab_header

        show_lab_header(session, spec)
    else:
        print(progress_line(session.lab.id, spec))
    return session


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
    try:
        result = run_checks(exercise)
    except Exception as err:  # the cluster's problems in words, never a traceback
        print(f"✗ {in_words(err)}")
        return None
    print(render_text(result))
    return None


def autograde(exercise: str) -> float:
    """Every check of ``exercise``, hidden ones too; prints the report, returns points."""
    try:
        result = run_checks(exercise, include_hidden=True)
    except Exception as err:
        print(f"✗ {in_words(err)}")
        return 0.0
    print(render_text(result))
    return float(result.points_earned)
