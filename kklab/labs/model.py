"""The lab model: a lab's source parsed once into its cells and exercises.

A lab is written as one MyST Markdown file, ``labs/NN-topic/NN-topic.md``
(Jupytext's text form of a notebook). Prose is Markdown; every code cell is a
fenced ``{code-cell}`` block holding real code. The source says three things
and kklab derives the rest:

* an exercise starts at a heading ``## Exercise ID: Title``, where ``ID`` is
  the grader's exercise id (lower-case words and digits joined by dashes);
* a code cell tagged ``answer`` (``:tags: [answer]``) is an answer cell of the
  current exercise, and its code is the reference solution;
* every other code cell is a demo the learner runs.

From that, building (:mod:`kklab.labs.building`) adds the set-up cell, the
nbgrader metadata, each exercise's Check cell and hidden autograder cell
(with the grader's points) after its last answer cell. Everything that reads
a lab (``lab solve``, Show solution, lint, the classroom, the site, the
tests) reads this model, or a built notebook's cells through
:func:`cell_role`; nothing else parses notebooks.

Example:
    >>> grade_id("3", "answer", 2)
    'ex3-answer-2'
    >>> role_of_grade_id("exmount-the-claim-answer-2")
    CellRole(exercise='mount-the-claim', role='answer')
    >>> role_of_grade_id("ex3b-check")
    CellRole(exercise='3b', role='check')
    >>> strip_markers("x = 1\\n### BEGIN SOLUTION\\ny = 2\\n### END SOLUTION\\n")
    'x = 1\\ny = 2'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from kklab.labs.catalogue import LabError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
BEGIN_TESTS = "### BEGIN HIDDEN TESTS"
END_TESTS = "### END HIDDEN TESTS"
ANSWER_TAG = "answer"
ROLES = ("answer", "button", "check")
"""A cell's part in an exercise: an answer, the Check button, nbgrader's test cell."""
SETUP_ID = "setup"
_SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "grader.schema.json"


@cache
def exercise_id_pattern() -> re.Pattern[str]:
    """The exercise id grammar: the grader schema's ``kebabId``, the only copy of it."""
    schema = json.loads(_SCHEMA.read_text(encoding="utf-8"))
    return re.compile(schema["$defs"]["kebabId"]["pattern"])


HEADING = re.compile(r"^##\s+Exercise\s+(?P<id>[^\s:]+)\s*:\s*(?P<title>\S.*?)\s*$")
"""``## Exercise 3: Mount the claim``: an exercise's heading in the source."""
LOOKS_LIKE_HEADING = re.compile(r"^#{1,6}\s*Exercise\b", re.IGNORECASE)
"""Any heading that starts with "Exercise": lint rejects the ones HEADING does not read."""
SETUP_LINE = re.compile(r"^%lab\s+(?P<lab>\S+)(?:\s+--seed\s+(?P<seed>\S+))?\s*$", re.MULTILINE)
"""The set-up cell's line: ``%lab NN-topic`` or ``%lab NN-topic --seed S``."""
_GRADE_ID = re.compile(r"^ex(?P<exercise>.+?)-(?P<role>answer|button|check)(?:-[0-9]+)?$")


class CellRole(NamedTuple):
    """Which exercise a notebook cell belongs to, and as what."""

    exercise: str
    role: str


def grade_id(exercise: str, role: str, index: int = 1) -> str:
    """nbgrader's ``grade_id`` of an exercise's cell (the second answer cell is ``-2``)."""
    base = f"ex{exercise}-{role}"
    return base if index == 1 else f"{base}-{index}"


def role_of_grade_id(text: str) -> CellRole | None:
    """The exercise and role an nbgrader ``grade_id`` names, or None."""
    found = _GRADE_ID.match(text)
    if found is None or not exercise_id_pattern().match(found.group("exercise")):
        return None
    return CellRole(found.group("exercise"), found.group("role"))


def cell_role(cell: Mapping[str, Any]) -> CellRole | None:
    """The role of a built notebook's cell (teacher's, learner's or a submission's).

    Read from kklab's own cell metadata, which nbgrader keeps; cells from
    notebooks built before it existed fall back to the ``grade_id``.
    """
    metadata = cell.get("metadata") or {}
    ours = metadata.get("kklab") or {}
    if ours.get("exercise") and ours.get("role") in ROLES:
        return CellRole(str(ours["exercise"]), str(ours["role"]))
    nbgrader = metadata.get("nbgrader") or {}
    return role_of_grade_id(str(nbgrader.get("grade_id", "")))


def lab_of_notebook(cells: Iterable[Mapping[str, Any]]) -> tuple[str, str | None] | None:
    """The lab (and variant seed) a notebook's set-up cell opens, or None for other notebooks.

    Example:
        >>> lab_of_notebook([{"cell_type": "code", "source": "%lab 01-pods --seed ada"}])
        ('01-pods', 'ada')
        >>> lab_of_notebook([{"cell_type": "code", "source": "print(1)"}]) is None
        True
    """
    for cell in cells:
        if cell.get("cell_type") == "code":
            found = SETUP_LINE.search(cell_source(cell))
            if found:
                return found.group("lab"), found.group("seed")
    return None


def cell_source(cell: Mapping[str, Any]) -> str:
    """A notebook cell's source as one string."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def strip_markers(source: str) -> str:
    """The cell's code with nbgrader's solution markers removed."""
    kept = [line for line in source.splitlines() if line.strip() not in (BEGIN, END)]
    return "\n".join(kept).strip("\n")


@dataclass(frozen=True)
class Answer:
    """One answer cell of an exercise; its code is the reference solution."""

    exercise: str
    """The exercise it answers."""
    index: int
    """1 for the exercise's first answer cell, 2 for the second, ..."""
    source: str
    """The reference solution as the learner would type it (magic line included)."""

    @property
    def magic(self) -> str:
        """``%%apply`` for a manifest cell, else ``""``."""
        first = self.source.split("\n", 1)[0]
        return first.strip() if first.startswith("%%") else ""

    @property
    def body(self) -> str:
        """The code after a cell magic's line (the whole source without one)."""
        return self.source.partition("\n")[2] if self.magic else self.source

    @property
    def grade_id(self) -> str:
        return grade_id(self.exercise, "answer", self.index)


@dataclass(frozen=True)
class Exercise:
    """One exercise as the source declares it."""

    id: str
    """The grader's exercise id (``kklab check LAB ID``)."""
    title: str
    """The heading's title."""
    answers: tuple[Answer, ...]
    """Its answer cells, in order."""


@dataclass(frozen=True)
class SourceCell:
    """One cell of the source, with what kklab made of it."""

    kind: str
    """``markdown`` or ``code``."""
    source: str
    """Its text."""
    exercise: str | None
    """The exercise it sits in (after that exercise's heading), if any."""
    answer: Answer | None = None
    """Set for an answer cell."""
    metadata: Mapping[str, Any] | None = None
    """The cell's own metadata from the source (tags removed for answer cells)."""


@dataclass(frozen=True)
class LabModel:
    """A lab's source, parsed: its title, cells and exercises."""

    lab: str
    """``NN-topic``."""
    title: str
    """The first ``# `` heading."""
    cells: tuple[SourceCell, ...]
    """Every cell of the source, in order."""
    exercises: tuple[Exercise, ...]
    """The exercises, in order."""

    def exercise(self, exercise_id: str) -> Exercise:
        """One exercise; a LabError listing the lab's ids otherwise."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise LabError(
            f"lab {self.lab} has no exercise {exercise_id!r}",
            fix=f"choose one of: {', '.join(self.ids)}",
        )

    @property
    def ids(self) -> list[str]:
        return [exercise.id for exercise in self.exercises]

    def answers(self, upto: str | None = None) -> list[Answer]:
        """Every answer cell in order, or only those of the exercises up to ``upto``."""
        if upto is not None:
            self.exercise(upto)  # an unknown id raises the error that lists the lab's ids
        chosen = self.ids if upto is None else self.ids[: self.ids.index(upto) + 1]
        return [a for e in self.exercises if e.id in chosen for a in e.answers]


def _title(cells: list[SourceCell], lab: str) -> str:
    for cell in cells:
        if cell.kind == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return lab


def parse_source(text: str, lab: str, origin: str = "<source>") -> LabModel:
    """Parse a lab's MyST source (placeholders already filled in) into its model.

    Raises a LabError naming the line's problem: a heading that looks like an
    exercise but does not follow ``## Exercise ID: Title``, an id outside the
    grammar or used twice, an answer cell before any exercise, an exercise
    without an answer cell.
    """
    import jupytext

    try:
        notebook = jupytext.reads(text, fmt="md:myst")
    except Exception as err:  # jupytext raises plain exceptions for malformed text
        raise LabError(f"{origin}: not a MyST notebook ({err})", fix=_FIX) from err
    cells: list[SourceCell] = []
    exercises: list[Exercise] = []
    current: dict[str, Any] | None = None

    def close() -> None:
        if current is None:
            return
        if not current["answers"]:
            raise LabError(
                f"{origin}: exercise {current['id']} has no answer cell",
                fix="tag the cell the learner writes in with `:tags: [answer]`",
            )
        exercises.append(Exercise(current["id"], current["title"], tuple(current["answers"])))

    for raw in notebook.cells:
        source = cell_source(raw).strip("\n")
        metadata = dict(raw.get("metadata") or {})
        if raw.get("cell_type") == "markdown":
            for line in source.splitlines():
                if not LOOKS_LIKE_HEADING.match(line):
                    continue
                found = HEADING.match(line)
                if found is None or not exercise_id_pattern().match(found.group("id")):
                    raise LabError(
                        f"{origin}: cannot read the exercise heading {line!r}",
                        fix="write `## Exercise ID: Title`, ID in lower-case words and "
                        "digits joined by dashes (e.g. 3 or mount-the-claim)",
                    )
                if found.group("id") in [e.id for e in exercises] or (
                    current and current["id"] == found.group("id")
                ):
                    raise LabError(
                        f"{origin}: exercise {found.group('id')} is declared twice",
                        fix="give every exercise its own id",
                    )
                close()
                current = {"id": found.group("id"), "title": found.group("title"), "answers": []}
            exercise = current["id"] if current else None
            cells.append(SourceCell("markdown", source, exercise, metadata=metadata))
            continue
        tags = list(metadata.get("tags") or [])
        if ANSWER_TAG not in tags:
            cells.append(
                SourceCell("code", source, current["id"] if current else None, None, metadata)
            )
            continue
        if current is None:
            raise LabError(
                f"{origin}: an answer cell comes before any `## Exercise ID: Title` heading",
                fix="move it below its exercise's heading",
            )
        tags.remove(ANSWER_TAG)
        if tags:
            metadata["tags"] = tags
        else:
            metadata.pop("tags", None)
        answer = Answer(current["id"], len(current["answers"]) + 1, source)
        current["answers"].append(answer)
        cells.append(SourceCell("code", source, current["id"], answer, metadata))
    close()
    return LabModel(lab, _title(cells, lab), tuple(cells), tuple(exercises))


_FIX = "open it with `jupytext --to ipynb` to see where it breaks"
