"""How a kklab course configures nbgrader (called from the course's ``nbgrader_config.py``).

``configure(c)`` sets, on nbgrader's config object ``c``:

* the stub left in answer cells: a comment, since answers are YAML or ``%kubectl``;
* autograding through ``KklabExecute`` (a sandbox per submission, test cells
  graded from the teacher's side);
* feedback without the hidden test cells' source;
* a cell timeout long enough for cluster waits, short enough that a looping
  cell ends.

Example:
    >>> from traitlets.config import Config
    >>> c = Config()
    >>> configure(c, course_id="k8s-101")
    >>> c.CourseDirectory.course_id, c.Execute.timeout
    ('k8s-101', 180)
    >>> [p.__name__ for p in c.Autograde.autograde_preprocessors][0]
    'KklabExecute'
"""

from __future__ import annotations

from typing import Any

from kklab.labs.student import STUB

CELL_TIMEOUT_S = 180
"""Seconds one cell may run: pods start within this; a loop does not get longer."""


def configure(c: Any, *, course_id: str = "kklab") -> None:
    """Wire kklab into nbgrader's config ``c``."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearHiddenTests,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from kklab.classroom.execute import KklabExecute

    c.CourseDirectory.course_id = course_id
    c.ClearSolutions.code_stub = {"python": STUB}
    c.Execute.timeout = CELL_TIMEOUT_S
    c.Execute.interrupt_on_timeout = True
    c.Autograde.autograde_preprocessors = [
        KklabExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
