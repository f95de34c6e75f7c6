"""Reference solutions, read from the lab notebook's nbgrader solution cells.

The notebook is the one place a solution lives: ``kklab lab solve`` and the
notebook's "Show solution" button both read the cells whose nbgrader
``grade_id`` is ``ex<N>-answer``. A solution cell holds one of:

* ``%%apply`` and a YAML body (applied to the lab namespace);
* lines of ``%kubectl ...`` (run with the lab's kubeconfig and namespace);
* Python code.

Example:
    >>> strip_markers("x = 1\\n### BEGIN SOLUTION\\ny = 2\\n### END SOLUTION\\n")
    'x = 1\\ny = 2'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kklab.labs import LabError, exercise_of_grade_id

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


@dataclass(frozen=True)
class SolutionCell:
    """One solution cell of a lab notebook."""

    exercise: str
    """The exercise number it answers."""
    grade_id: str
    """nbgrader's id of the cell."""
    source: str
    """Its code without the solution markers."""


def strip_markers(source: str) -> str:
    """The cell's code with nbgrader's solution markers removed."""
    kept = [line for line in source.splitlines() if line.strip() not in (BEGIN, END)]
    return "\n".join(kept).strip("\n")


def cell_source(cell: dict[str, object]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def solution_cells(notebook: Path) -> list[SolutionCell]:
    """Every solution code cell of ``notebook``, in notebook order."""
    try:
        cells = json.loads(notebook.read_text())["cells"]
    except (OSError, ValueError, KeyError) as err:
        raise LabError(
            f"cannot read the notebook {notebook}: {err}", fix="restore it from the repository"
        ) from err
    found = []
    for cell in cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") != "code" or not meta.get("solution"):
            continue
        grade_id = str(meta.get("grade_id", ""))
        exercise = exercise_of_grade_id(grade_id)
        if exercise is not None:
            found.append(SolutionCell(exercise, grade_id, strip_markers(cell_source(cell))))
    return found


def exercises_in_order(notebook: Path) -> list[str]:
    """The exercise numbers the notebook's solution cells answer, first appearance order."""
    seen: list[str] = []
    for cell in solution_cells(notebook):
        if cell.exercise not in seen:
            seen.append(cell.exercise)
    return seen
