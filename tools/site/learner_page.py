"""A lab notebook as the course site shows it: the learner's view, solutions folded.

The site has no cluster and no kernel, so the page is the learner's copy of the
notebook with two changes that only make sense on a web page:

- each reference solution (an nbgrader ``solution`` cell, ``exN-answer``) becomes
  a closed ``<details>`` block "Show solution" in place of the empty answer cell;
- each Check cell (``exN-button``) becomes a short note saying how to check the
  exercise in JupyterLab or from a terminal.

The hidden autograder cells (``exN-check``, nbgrader ``grade`` cells that are not
solutions) are dropped, and so is any ``### BEGIN HIDDEN TESTS`` block left in
another cell. Outputs are cleared. The result is an ordinary notebook that
mkdocs-jupyter renders; the same input always gives the same output.

Example:
    >>> solution_body("%%apply\\n### BEGIN SOLUTION\\nkind: Pod\\n### END SOLUTION")
    ('%%apply', 'kind: Pod')
"""

from __future__ import annotations

import copy
import html
import re
from typing import Any

import nbformat

from kklab.labs.model import cell_role

SOLUTION_CLASS = "kklab-solution"
"""CSS class of every folded solution (the browser test looks for it)."""

CHECK_CLASS = "kklab-check"
"""CSS class of the note that replaces a Check cell."""

_HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.DOTALL)
_SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def _grading(cell: Any) -> dict[str, Any]:
    meta: dict[str, Any] = cell.get("metadata", {}).get("nbgrader", {})
    return meta


def is_hidden_test(cell: Any) -> bool:
    """An autograder cell: graded, not a solution (nbgrader removes or hides it)."""
    grading = _grading(cell)
    return bool(grading.get("grade")) and not grading.get("solution")


def is_solution(cell: Any) -> bool:
    return bool(_grading(cell).get("solution"))


def solution_body(source: str) -> tuple[str | None, str]:
    """The cell magic (``%%apply``) if any, and the solution without its markers."""
    text = _SOLUTION_MARKERS.sub("", source).strip("\n")
    first, _, rest = text.partition("\n")
    if first.startswith("%%"):
        return first.strip(), rest.strip("\n")
    return None, text


def _fence(code: str, language: str) -> str:
    """A fenced block that no backtick run inside ``code`` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{code}\n{ticks}"


def _language(magic: str | None, code: str) -> str:
    if magic == "%%apply":
        return "yaml"
    if magic is not None:
        return "text"
    lines = [line for line in code.splitlines() if line.strip() and not line.startswith("#")]
    if lines and all(line.startswith("%") for line in lines):
        return "text"  # IPython line magics (%kubectl ...): not Python syntax
    return "python"


def solution_markdown(cell: Any) -> str:
    """A closed "Show solution" block holding the cell's reference solution."""
    magic, body = solution_body(str(cell.source))
    if cell.cell_type == "markdown":
        inner = body
    else:
        lead = f"Run this in a cell that starts with `{magic}`:\n\n" if magic else ""
        inner = lead + _fence(body, _language(magic, body))
    grade_id = html.escape(str(_grading(cell).get("grade_id", "")), quote=True)
    return (
        f'<details class="success {SOLUTION_CLASS}" data-grade-id="{grade_id}">\n'
        "<summary>Show solution</summary>\n\n"
        f"{inner}\n\n"
        "</details>"
    )


def check_markdown(exercise: str, lab: str) -> str:
    """What the Check cell does, said in words (the site has no kernel)."""
    return (
        f'<div class="admonition tip {CHECK_CLASS}">\n'
        '<p class="admonition-title">Check</p>\n\n'
        f'In JupyterLab this cell, `check("{exercise}")`, shows a **Check** button that grades '
        f"exercise {exercise} on your cluster and says what is wrong and why. From a terminal: "
        f"`kklab check {lab} {exercise}`.\n\n"
        "</div>"
    )


def learner_page(notebook: Any, lab: str) -> Any:
    """The notebook the site renders for ``lab`` (``notebook`` is left unchanged)."""
    page = copy.deepcopy(notebook)
    cells = []
    for cell in page.cells:
        if is_hidden_test(cell):
            continue
        source = _HIDDEN_TESTS.sub("", str(cell.source))
        if is_solution(cell):
            cell.source = source
            folded = nbformat.v4.new_markdown_cell(solution_markdown(cell))
            folded["id"] = cell.get("id", folded["id"])
            cells.append(folded)
            continue
        role = cell_role(cell) if cell.cell_type == "code" else None
        if role is not None and role.role == "button":
            note = nbformat.v4.new_markdown_cell(check_markdown(role.exercise, lab))
            note["id"] = cell.get("id", note["id"])
            cells.append(note)
            continue
        if not source.strip():
            continue  # a cell that held nothing but hidden tests
        cell.source = source
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    page.cells = cells
    return page
