"""Grading: declarative checks of live cluster state that say what is wrong, and why.

Public surface (the CLI, the notebook and nbgrader use only these):

- :func:`load_lab` / :func:`spec_problems` / :func:`grader_paths`: read and lint graders.
- :func:`grade_lab`: ``kklab.grade(lab, exercise=None)``, finds grader, cluster, namespace.
- :func:`check_command`: ``kklab check``, a :class:`CheckOutput` (exit code, stdout, stderr line).
- :func:`grade`: grade a lab (or one exercise) in a namespace, returns a :class:`LabResult`.
- :func:`render_text`, :func:`render_html`, :func:`render_json`: show results.
- :class:`Outcome`, :class:`CheckContext`, :func:`match`: also re-exported, with what custom
  ``python`` checks need, by :mod:`kklab.checks` (the one module graders import).
"""

from kklab.grading.commands import (
    CheckOutput,
    check_command,
    grade_lab,
    lab_namespace,
)
from kklab.grading.context import CheckContext
from kklab.grading.engine import grade, grade_with
from kklab.grading.loading import grader_paths, load_lab, parse_lab, spec_problems
from kklab.grading.matching import Mismatch, match
from kklab.grading.rendering import render_html, render_json, render_text
from kklab.grading.results import CheckError, CheckResult, ExerciseResult, LabResult, Outcome
from kklab.grading.spec import Check, Exercise, GraderSpecError, Lab

__all__ = [
    "Check",
    "CheckContext",
    "CheckError",
    "CheckOutput",
    "CheckResult",
    "Exercise",
    "ExerciseResult",
    "GraderSpecError",
    "Lab",
    "LabResult",
    "Mismatch",
    "Outcome",
    "check_command",
    "grade",
    "grade_lab",
    "grade_with",
    "grader_paths",
    "lab_namespace",
    "load_lab",
    "match",
    "parse_lab",
    "render_html",
    "render_json",
    "render_text",
    "spec_problems",
]
