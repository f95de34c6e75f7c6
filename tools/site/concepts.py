"""The "Labs and concepts" page, generated from ``labs/curriculum.yaml`` and the notebooks.

Every concept of the curriculum with its status: *graded* (an exercise checks
it on the cluster; linked to that exercise's heading on the lab's page), *read*
(the lab explains it; linked to the lab) or *planned* (its lab is not written
yet; no link). A lab folder that the curriculum does not mention yet is still
listed, so a new lab is never missing from the page.

Example:
    >>> exercise_anchor("Exercise 3: Select pods with `-l`")
    'exercise-3-select-pods-with-l'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

EXERCISE_HEADING = re.compile(r"^## Exercise (?P<id>[\w-]+):\s*(?P<title>.+?)\s*$", re.MULTILINE)
TITLE_HEADING = re.compile(r"^# (?P<title>.+?)\s*$", re.MULTILINE)


def slugify(text: str) -> str:
    """The heading id mkdocs-jupyter gives a notebook heading (lower case, dashes)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _plain(markdown: str) -> str:
    """The text of an inline Markdown heading: no code ticks, emphasis or link targets."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"[`*_]", "", text)


def exercise_anchor(heading: str) -> str:
    return slugify(_plain(heading))


@dataclass(frozen=True)
class LabPage:
    """A lab that has a notebook, as the site shows it."""

    lab: str
    """The lab id, e.g. ``01-pods``."""
    title: str
    """The notebook's first ``#`` heading."""
    src_uri: str
    """The page's path in the site's sources, e.g. ``labs/01-pods.ipynb``."""
    exercises: dict[str, str] = field(default_factory=dict)
    """Exercise id -> the heading's anchor on the page."""


def lab_page(lab: str, notebook: Any) -> LabPage:
    """Title and exercise anchors of ``lab`` from its notebook's markdown cells."""
    title = lab
    exercises: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        source = str(cell.source)
        heading = TITLE_HEADING.search(source)
        if heading and title == lab:
            title = _plain(heading["title"])
        for match in EXERCISE_HEADING.finditer(source):
            exercises.setdefault(match["id"], exercise_anchor(match.group(0)[3:]))
    return LabPage(lab, title, f"labs/{lab}.ipynb", exercises)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _where(entry: dict[str, Any], page: LabPage | None) -> str:
    status = entry.get("status", "planned")
    if page is None or status == "planned":
        return "no lab yet"
    target = page.src_uri.removeprefix("labs/")
    if status == "graded":
        links = []
        for exercise in entry.get("exercises", []):
            anchor = page.exercises.get(str(exercise))
            href = f"{target}#{anchor}" if anchor else target
            links.append(f"[exercise {exercise}]({href})")
        return ", ".join(links) or f"[the lab]({target})"
    return f"[in the lab]({target})"


def concepts_markdown(
    curriculum: dict[str, Any], pages: dict[str, LabPage], reading: dict[str, str] | None = None
) -> str:
    """The page: one section per lab (written or planned), one row per concept.

    ``reading`` (a reading page's path in the site's sources -> its title) adds a
    last section linking the pages to read rather than do.
    """
    labs: dict[str, list[dict[str, Any]]] = dict(curriculum.get("labs", {}))
    for lab in pages:
        labs.setdefault(lab, [])
    counts = {"graded": 0, "read": 0, "planned": 0}
    for entries in labs.values():
        for entry in entries:
            status = str(entry.get("status", "planned"))
            counts[status] = counts.get(status, 0) + 1
    lines = [
        "# Labs and concepts",
        "",
        "<!-- Generated from labs/curriculum.yaml and the lab notebooks; do not edit. -->",
        "",
        "Every concept of the course and where it is taught. **graded**: an exercise "
        "checks it on your cluster (the link goes to that exercise). **read**: the lab "
        "explains it and you try it, without a check. **planned**: its lab is not "
        "written yet.",
        "",
        f"So far: {counts['graded']} concepts graded, {counts['read']} read, "
        f"{counts['planned']} planned.",
        "",
    ]
    for lab in sorted(labs):
        page = pages.get(lab)
        if page is not None:
            target = page.src_uri.removeprefix("labs/")
            lines += [f"## {lab}: {page.title}", "", f"[Open the lab]({target})", ""]
        else:
            lines += [f"## {lab} (planned)", ""]
        entries = labs[lab]
        if not entries:
            lines += ["No concepts listed in `labs/curriculum.yaml` yet.", ""]
            continue
        lines += ["| concept | status | where |", "|---|---|---|"]
        for entry in entries:
            status = str(entry.get("status", "planned"))
            concept = _cell(str(entry["concept"]))
            lines.append(f"| {concept} | {status} | {_where(entry, page)} |")
        lines.append("")
    if reading:
        lines += [
            "## Reading",
            "",
            "Subjects the course explains in a page to read, not in a lab:",
            "",
            *(f"- [{_cell(title)}](../{path})" for path, title in reading.items()),
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
