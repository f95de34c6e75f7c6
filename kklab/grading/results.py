"""What grading returns: one result per check, grouped by exercise and lab.

A failed check is a result (status ``failed``); a check that could not be carried
out (API unreachable, the cluster does not serve a kind) is a result with status
``error`` and a message a learner can act on. Nothing here raises.

Example:
    >>> result = CheckResult(lab="07-storage", exercise="4", check_id="pvc-is-bound",
    ...     title="The claim is bound", status="passed", points_earned=2, points_possible=2)
    >>> exercise = ExerciseResult(lab="07-storage", exercise="4", title="Mount", checks=(result,))
    >>> exercise.passed, exercise.points_earned, exercise.points_possible
    (True, 2, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kklab.errors import KklabError
from kklab.grading.matching import Mismatch

Status = Literal["passed", "failed", "error"]

# Jupyter shows a result through its ``_repr_html_``. The HTML is made by
# ``rendering``, which imports this module, so this module does not import it:
# ``rendering`` hands its ``render_html`` to ``show_html_with`` when it is imported
# (``kklab.grading`` imports it, so it is in place before any result exists).
_html_renderer: Callable[[Any], str] | None = None


def show_html_with(renderer: Callable[[Any], str]) -> None:
    """Make ``_repr_html_`` of every result return ``renderer(result)``."""
    global _html_renderer
    _html_renderer = renderer


def _html(result: Any) -> str | None:
    """The result as HTML; None (Jupyter then shows the text repr) without a renderer."""
    return None if _html_renderer is None else _html_renderer(result)


class CheckError(KklabError):
    """A check could not be carried out (as opposed to: it ran and failed)."""


@dataclass(frozen=True)
class Outcome:
    """What one attempt of a check found; every check kind returns one.

    Custom ``python`` checks return it too.

    Example:
        >>> Outcome(passed=False, subject="v1 Service lab-05/web",
        ...         mismatches=(Mismatch("spec.selector.app", "web", "wbe", "differs"),)).passed
        False
    """

    passed: bool
    """Whether the cluster is in the expected state."""

    message: str = ""
    """A sentence about the state found, shown under the check (optional)."""

    subject: str = ""
    """The object checked, e.g. ``v1 PersistentVolumeClaim lab-07-storage/data``."""

    mismatches: tuple[Mismatch, ...] = ()
    """Field-level differences between expected and found."""

    why: str | None = None
    """A specific explanation of the likely mistake (see ``misconceptions``)."""

    evidence: tuple[str, ...] = ()
    """Bounded extra facts: events, container states, last log lines."""

    subject_object: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    """The fetched object the outcome is about, used to explain and collect evidence
    (never rendered as such)."""

    settled: bool = False
    """For a failure: it will not change by itself, so report it now instead of polling
    until the timeout (``assert``/``error`` compute it; a ``python`` check sets it when it
    knows, e.g. the mismatch is in a field the learner wrote). Ignored when passed."""


@dataclass(frozen=True)
class CheckResult:
    """The result of one check, ready to render."""

    lab: str
    """Lab id, e.g. ``07-storage``."""

    exercise: str
    """Exercise id within the lab, e.g. ``4``."""

    check_id: str
    """Check id, a kebab-case statement, e.g. ``pvc-is-bound-to-local-pv``."""

    title: str
    """One-line title of the check."""

    status: Status
    """``passed``, ``failed`` (the cluster is not as expected) or ``error`` (could not check)."""

    points_earned: int
    """Points earned: all of ``points_possible`` when passed, else 0."""

    points_possible: int
    """Points the check is worth."""

    message: str = ""
    """Success message when passed, what was found when failed, the problem when error."""

    subject: str = ""
    """The object checked, e.g. ``v1 PersistentVolumeClaim lab-07-storage/data``."""

    why: str | None = None
    """A specific explanation of the likely mistake, when one is recognised."""

    hints: tuple[str, ...] = ()
    """Hints from the gentlest to the most explicit (shown on failure only)."""

    mismatches: tuple[Mismatch, ...] = ()
    """The last field-level differences seen (failed checks only)."""

    evidence: tuple[str, ...] = ()
    """Bounded extra facts collected on failure: events, container states, logs."""

    waited_s: float = 0.0
    """How long the check kept polling for the expected state before giving up."""

    duration_s: float = 0.0
    """Wall time spent on this check, including polling."""

    settled: bool = False
    """A failure reported at once, without waiting out the timeout: what differs is
    something the learner wrote and nothing in the namespace was still settling."""

    hidden: bool = False
    """Whether the check is hidden from learners (run at autograde only)."""

    @property
    def passed(self) -> bool:
        """Whether the check passed."""
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field.

        Example:
            >>> CheckResult("l", "1", "c", "T", "error", 0, 1, message="down").to_dict()["status"]
            'error'
        """
        return {
            "lab": self.lab,
            "exercise": self.exercise,
            "check": self.check_id,
            "title": self.title,
            "status": self.status,
            "points_earned": self.points_earned,
            "points_possible": self.points_possible,
            "message": self.message,
            "subject": self.subject,
            "why": self.why,
            "hints": list(self.hints),
            "mismatches": [
                {
                    "path": m.path,
                    "expected": m.expected,
                    "found": m.found,
                    "reason": m.reason,
                    "text": m.describe(),
                }
                for m in self.mismatches
            ],
            "evidence": list(self.evidence),
            "waited_s": round(self.waited_s, 3),
            "duration_s": round(self.duration_s, 3),
            "settled": self.settled,
            "hidden": self.hidden,
        }

    def _repr_html_(self) -> str | None:
        return _html(self)


@dataclass(frozen=True)
class ExerciseResult:
    """The results of every check of one exercise."""

    lab: str
    """Lab id."""

    exercise: str
    """Exercise id."""

    title: str
    """Exercise title."""

    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    """One result per check, in the order of the grader file."""

    @property
    def points_earned(self) -> int:
        """Sum of points earned."""
        return sum(check.points_earned for check in self.checks)

    @property
    def points_possible(self) -> int:
        """Sum of points possible."""
        return sum(check.points_possible for check in self.checks)

    @property
    def passed(self) -> bool:
        """Whether every check passed (an exercise without checks has not passed)."""
        return bool(self.checks) and all(check.passed for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with totals and every check."""
        return {
            "lab": self.lab,
            "exercise": self.exercise,
            "title": self.title,
            "passed": self.passed,
            "points_earned": self.points_earned,
            "points_possible": self.points_possible,
            "checks": [check.to_dict() for check in self.checks],
        }

    def _repr_html_(self) -> str | None:
        return _html(self)


@dataclass(frozen=True)
class LabResult:
    """The results of the exercises graded in one lab."""

    lab: str
    """Lab id."""

    title: str
    """Lab title."""

    exercises: tuple[ExerciseResult, ...] = field(default_factory=tuple)
    """One result per exercise graded."""

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        """Every check result, exercise by exercise."""
        return tuple(check for exercise in self.exercises for check in exercise.checks)

    @property
    def points_earned(self) -> int:
        """Sum of points earned."""
        return sum(exercise.points_earned for exercise in self.exercises)

    @property
    def points_possible(self) -> int:
        """Sum of points possible."""
        return sum(exercise.points_possible for exercise in self.exercises)

    @property
    def passed(self) -> bool:
        """Whether every check passed; the CLI exits 0 only then."""
        return bool(self.checks) and all(check.passed for check in self.checks)

    def count(self, status: Status) -> int:
        """How many checks have this status.

        Example:
            >>> LabResult("07-storage", "Storage").count("failed")
            0
        """
        return sum(1 for check in self.checks if check.status == status)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with totals and every exercise."""
        return {
            "lab": self.lab,
            "title": self.title,
            "passed": self.passed,
            "points_earned": self.points_earned,
            "points_possible": self.points_possible,
            "counts": {status: self.count(status) for status in ("passed", "failed", "error")},
            "exercises": [exercise.to_dict() for exercise in self.exercises],
        }

    def _repr_html_(self) -> str | None:
        return _html(self)
