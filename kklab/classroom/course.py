"""``kklab classroom init``: an nbgrader course directory for kklab's labs.

The directory gets an ``nbgrader_config.py`` that hands the cluster work to
kklab (see ``kklab.classroom.config``) and ``source/<lab>/<lab>.ipynb`` for
each lab that can be graded one namespace per submission. Files already
there are never overwritten: a teacher's edits are kept.

Example:
    >>> print(config_text("k8s-101").splitlines()[-1])
    configure(c, course_id='k8s-101')
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from kklab.errors import KklabError
from kklab.labs import LabDefinition, all_labs, find_lab


@dataclass
class CourseReport:
    """What ``init_course`` did, for the teacher to read."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Labs left out, with the reason."""


def config_text(course_id: str) -> str:
    """The course's ``nbgrader_config.py``."""
    return (
        '"""nbgrader configuration of a kklab course (written by `kklab classroom init`).\n'
        "\n"
        "kklab runs each submission in a namespace of its own on the cluster and grades\n"
        "its test cells from here. Settings below the configure() call override kklab's.\n"
        '"""\n'
        "\n"
        "from kklab.classroom.config import configure\n"
        "\n"
        "c = get_config()  # noqa: F821 (nbgrader provides it)\n"
        f"configure(c, course_id={course_id!r})"
    )


def gradable(lab: LabDefinition) -> str | None:
    """Why ``lab`` cannot be graded one namespace per submission, or None if it can."""
    if lab.setup.namespaced:
        return None
    needs = lab.setup.needs or "objects outside its namespace"
    return (
        f"it needs {needs}, which a submission confined to one namespace may not make; "
        f"grade it per learner with `kklab check {lab.id}`"
    )


def init_course(directory: Path, lab_names: list[str], course_id: str) -> CourseReport:
    """Create (or complete) the course directory; returns what was written and kept."""
    if directory.exists() and not directory.is_dir():
        raise KklabError(f"{directory} is a file", fix="choose a folder for the course")
    chosen = [find_lab(name) for name in lab_names] if lab_names else all_labs()
    report = CourseReport()
    for lab in chosen:
        reason = gradable(lab)
        if reason is not None:
            if lab_names:  # asked for by name: say no clearly
                raise KklabError(f"lab {lab.id} cannot be graded in a classroom: {reason}")
            report.skipped[lab.id] = reason
    labs = [lab for lab in chosen if lab.id not in report.skipped]
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "nbgrader_config.py"
    _write(config, config_text(course_id) + "\n", report)
    for lab in labs:
        target = directory / "source" / lab.id / lab.notebook.name
        if target.exists():
            report.kept.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lab.notebook, target)
        report.written.append(target)
    return report


def _write(path: Path, text: str, report: CourseReport) -> None:
    if path.exists():
        report.kept.append(path)
        return
    path.write_text(text)
    report.written.append(path)
