"""Build students' submissions from a released (student) notebook, for tests and benchmarks.

A submission is the released notebook with some answer cells filled in: with
the reference solution, or with anything else a student might write, and
with extra cells of the student's own after any cell.

Example:
    >>> cell = {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "ex2-answer"}}}
    >>> _exercise(cell)
    '2'
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any

from kklab.labs.model import cell_role, cell_source, strip_markers


def _exercise(cell: dict[str, Any]) -> str | None:
    role = cell_role(cell)
    return role.exercise if role and role.role == "answer" else None


def _grade_id(cell: dict[str, Any]) -> str:
    return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))


def _own_cell(source: str) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": uuid.uuid4().hex[:8],
        "metadata": {},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def write_submission(
    course: Path,
    lab: str,
    student: str,
    *,
    solved: Collection[str] = (),
    answers: dict[str, str] | None = None,
    after: dict[str, str] | None = None,
    variant: str | None = None,
) -> Path:
    """``submitted/<student>/<lab>/<lab>.ipynb``, as ``nbgrader collect`` leaves it.

    ``solved``: exercises answered with the reference solution of the variant
    ``variant`` (default: the student's own, as autograde grades it; another
    student's name makes a copied answer); ``answers``: exercise → the student's
    own answer; ``after``: exercise → a cell of the student's own inserted after
    that exercise's answer cell.
    """
    from kklab.labs import find_lab
    from kklab.labs.building import built_notebook

    release = course / "release" / lab / f"{lab}.ipynb"
    notebook = json.loads(release.read_text())
    source = built_notebook(find_lab(lab), variant or student)
    reference = {
        _grade_id(cell): strip_markers(cell_source(cell))
        for cell in source["cells"]
        if _exercise(cell) is not None
    }
    answers = answers or {}
    after = after or {}
    cells = []
    for cell in notebook["cells"]:
        exercise = _exercise(cell)
        if exercise in solved:
            cell["source"] = reference[_grade_id(cell)]
        if exercise in answers:
            cell["source"] = answers[exercise]
        cells.append(cell)
        if exercise in after:
            cells.append(_own_cell(after[exercise]))
    notebook["cells"] = cells
    target = course / "submitted" / student / lab / f"{lab}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(notebook, indent=1))
    return target
