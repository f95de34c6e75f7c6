"""Helpers for writing lab notebooks from a script (used once per lab, then edit in Jupyter).

Each helper returns an nbformat cell with the nbgrader metadata kklab's format
expects (see labs/README.md): locked instructions, ``ex<N>-answer`` solution
cells, ``ex<N>-check`` autograder cells with points.
"""

from __future__ import annotations

import itertools
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

_counter = itertools.count(1)


def _nbgrader(
    grade_id: str,
    *,
    solution: bool = False,
    grade: bool = False,
    locked: bool = False,
    points: int | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str) -> Any:
    """A locked instruction cell."""
    return new_markdown_cell(
        text.strip("\n"), metadata=_nbgrader(f"text-{next(_counter)}", locked=True)
    )


def code(text: str) -> Any:
    """A cell the learner runs (not graded, editable)."""
    return new_code_cell(text.strip("\n"))


def setup(lab: str) -> Any:
    return new_code_cell(
        f"%load_ext kklab.notebook\n%lab {lab}", metadata=_nbgrader("setup", locked=True)
    )


def answer(exercise: str, text: str, *, magic: str | None = None) -> Any:
    """The learner's answer cell; ``text`` is the reference solution."""
    body = f"### BEGIN SOLUTION\n{text.strip(chr(10))}\n### END SOLUTION"
    source = f"{magic}\n{body}" if magic else body
    return new_code_cell(source, metadata=_nbgrader(f"ex{exercise}-answer", solution=True))


def check(exercise: str) -> Any:
    """The learner's Check button."""
    return new_code_cell(
        f'check("{exercise}")', metadata=_nbgrader(f"ex{exercise}-button", locked=True)
    )


def autograde(exercise: str, points: int) -> Any:
    """nbgrader's test cell: hidden from learners, restored at autograde."""
    source = f'### BEGIN HIDDEN TESTS\nautograde("{exercise}")\n### END HIDDEN TESTS'
    return new_code_cell(
        source, metadata=_nbgrader(f"ex{exercise}-check", grade=True, locked=True, points=points)
    )


def notebook(cells: list[Any]) -> Any:
    nb = new_notebook(cells=cells)
    for index, cell in enumerate(nb.cells):  # stable ids: regenerating changes nothing
        cell["id"] = f"cell-{index:03d}"
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if str(grading.get("grade_id", "")).startswith("text-"):
            grading["grade_id"] = f"text-{index:03d}"
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write(nb: Any, path: str) -> None:
    nbformat.validate(nb)
    nbformat.write(nb, path)
