"""Building a lab's notebook from its source: the one way an ``.ipynb`` is made.

``labs/NN-topic/NN-topic.md`` is what an author edits; ``NN-topic.ipynb``
beside it is built from it with the default values and committed, so
JupyterLab, nbgrader and the site can open it. ``kklab lab build`` rewrites
it and ``kklab graders lint`` fails when the two disagree.

A built notebook has, beyond the source's cells:

* the set-up cell ``%load_ext kklab.notebook`` / ``%lab NN-topic`` after the
  first cell (``--seed S`` added for a variant other than the defaults);
* nbgrader metadata on every cell: instructions locked, answer cells
  ``solution`` with the reference between ``### BEGIN SOLUTION`` and ``###
  END SOLUTION`` (after the cell magic's line);
* after each exercise's last answer cell, a locked Check cell
  ``check("ID")`` and nbgrader's hidden test cell ``autograde("ID")``
  worth the sum of the grader's points for that exercise;
* kklab's own cell metadata ``{"kklab": {"exercise": ID, "role": ...}}``
  (:func:`kklab.labs.model.cell_role` reads it);
* stable cell ids, so building twice gives the same file.

Example:
    >>> setup_source("01-pods", None)
    '%load_ext kklab.notebook\\n%lab 01-pods'
    >>> setup_source("01-pods", "ada")
    '%load_ext kklab.notebook\\n%lab 01-pods --seed ada'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kklab.labs.model import (
    BEGIN,
    BEGIN_TESTS,
    END,
    END_TESTS,
    SETUP_ID,
    Answer,
    LabModel,
    grade_id,
)
from kklab.labs.variants import DEFAULT_SEED

if TYPE_CHECKING:
    from kklab.labs.catalogue import LabDefinition

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def setup_source(lab: str, seed: str | None) -> str:
    """The first code cell: load kklab's magics and start the lab (with its variant)."""
    line = f"%lab {lab}" if seed in (None, DEFAULT_SEED) else f"%lab {lab} --seed {seed}"
    return f"%load_ext kklab.notebook\n{line}"


def _nbgrader(
    cell_id: str,
    *,
    solution: bool = False,
    grade: bool = False,
    locked: bool = False,
    points: int | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": cell_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _answer_source(answer: Answer) -> str:
    body = f"{BEGIN}\n{answer.body.strip(chr(10))}\n{END}"
    return f"{answer.magic}\n{body}" if answer.magic else body


def _role(exercise: str, role: str) -> dict[str, str]:
    return {"exercise": exercise, "role": role}


def build_notebook(model: LabModel, points: Mapping[str, int], seed: str | None = None) -> Any:
    """The teacher's notebook of ``model``: nbgrader cells, Check cells, points.

    ``points`` gives each exercise's points (the sum of its checks in the
    grader); an exercise missing from it is a LabError, raised by lint first.
    """
    from kklab.labs.catalogue import LabError

    last_answer = {e.id: e.answers[-1] for e in model.exercises}
    cells: list[Any] = []
    for index, cell in enumerate(model.cells):
        metadata = dict(cell.metadata or {})
        if cell.kind == "markdown":
            metadata["nbgrader"] = _nbgrader("text", locked=True)
            cells.append(new_markdown_cell(cell.source, metadata=metadata))
        elif cell.answer is None:
            cells.append(new_code_cell(cell.source, metadata=metadata))
        else:
            answer = cell.answer
            metadata["nbgrader"] = _nbgrader(answer.grade_id, solution=True)
            metadata["kklab"] = _role(answer.exercise, "answer")
            cells.append(new_code_cell(_answer_source(answer), metadata=metadata))
            if last_answer[answer.exercise] is answer:
                if answer.exercise not in points:
                    raise LabError(
                        f"exercise {answer.exercise} of {model.lab} has no checks in its grader",
                        fix=f'add exercise id: "{answer.exercise}" to graders/{model.lab}.yaml',
                    )
                cells += _check_cells(answer.exercise, points[answer.exercise])
        if index == 0:
            setup = new_code_cell(
                setup_source(model.lab, seed),
                metadata={"nbgrader": _nbgrader(SETUP_ID, locked=True)},
            )
            cells.append(setup)
    notebook = new_notebook(cells=cells)
    for number, built in enumerate(notebook.cells):
        built["id"] = f"cell-{number:03d}"
        grading = built.metadata.get("nbgrader", {})
        if grading.get("grade_id") == "text":
            grading["grade_id"] = f"text-{number:03d}"
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["kklab"] = {"lab": model.lab, "seed": seed or DEFAULT_SEED}
    nbformat.validate(notebook)
    return notebook


def _check_cells(exercise: str, points: int) -> list[Any]:
    button = new_code_cell(
        f'check("{exercise}")',
        metadata={
            "nbgrader": _nbgrader(grade_id(exercise, "button"), locked=True),
            "kklab": _role(exercise, "button"),
        },
    )
    test = new_code_cell(
        f'{BEGIN_TESTS}\nautograde("{exercise}")\n{END_TESTS}',
        metadata={
            "nbgrader": _nbgrader(
                grade_id(exercise, "check"), grade=True, locked=True, points=points
            ),
            "kklab": _role(exercise, "check"),
        },
    )
    return [button, test]


def grader_points(lab: LabDefinition, seed: str | None = None) -> dict[str, int]:
    """Each exercise's points: the sum of its checks' points in the grader."""
    spec = lab.load_grader(seed)
    return {e.id: sum(check.points for check in e.checks) for e in spec.exercises}


def built_notebook(lab: LabDefinition, seed: str | None = None) -> Any:
    """The teacher's notebook of ``lab`` for the variant ``seed`` (defaults for None)."""
    chosen = None if seed in (None, DEFAULT_SEED) else seed
    return build_notebook(lab.model(chosen), grader_points(lab, chosen), chosen)


def notebook_text(notebook: Any) -> str:
    """The notebook as the committed file holds it (nbformat's own layout)."""
    return str(nbformat.writes(notebook)) + "\n"
