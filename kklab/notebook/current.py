"""The notebook's open lab: its session and grader, and grading one of its exercises.

``checking`` (``%lab``, ``check()``, ``autograde()``) sets and reads it; the
Check widget and the lab header in ``widgets`` read it too, so ``widgets`` does
not need ``checking``, which shows them.
"""

from __future__ import annotations

import os
from typing import Any

from kklab import connecting
from kklab.errors import KklabError
from kklab.grading import grade_lab
from kklab.grading.results import LabResult
from kklab.grading.spec import Lab
from kklab.labs import progress
from kklab.labs.session import LabSession

_current: dict[str, Any] = {}


def set_current(session: LabSession, spec: Lab) -> None:
    """Make this lab, graded by ``spec``, the notebook's current lab."""
    _current.update(session=session, spec=spec)


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
    """Grade one exercise of the current lab and remember the result (the one check path)."""
    session = current_session()
    current_spec().exercise(exercise)
    connecting.require_started(session.connection, session.lab.id)
    configured = os.environ.get("KKLAB_CHECK_TIMEOUT_S")  # 0 in batch runs: check once
    return grade_lab(
        current_spec(),
        exercise,
        api_client=session.api_client,
        namespace=session.namespace,
        include_hidden=include_hidden,
        timeout_s=float(configured) if configured else None,
    )
