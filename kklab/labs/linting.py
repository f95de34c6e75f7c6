"""``kklab graders lint``: every lab checked against its grader and its built notebook.

For each lab folder and each grader file:

* the grader is valid (schema, ids, expressions, python functions), loaded
  with the default values and with a drawn variant;
* the source parses (exercise headings, ids, answer cells);
* the source's exercises and the grader's are the same ids, in the same
  order, with the same titles;
* every ``${{ name }}`` in the source, the ``start/`` manifests and the grader
  is a declared parameter, and every parameter is used;
* the committed ``NN-topic.ipynb`` is exactly what building the source gives
  (points included, so points written in the grader reach nbgrader).

Example:
    >>> print(Problem("01-pods", "exercise 2 has no checks", "add them").line())
    01-pods: exercise 2 has no checks: add them
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kklab.errors import KklabError
from kklab.labs.building import built_notebook, notebook_text
from kklab.labs.catalogue import LabDefinition, all_labs, graders_dir, labs_dir
from kklab.labs.variants import placeholders

LINT_SEED = "lint"
"""A seed that draws a non-default variant, so lint also loads every lab that way."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a lab, and what to do."""

    where: str
    problem: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.where}: {self.problem}" + (f": {self.fix}" if self.fix else "")


def write_built(lab: LabDefinition) -> bool:
    """Rebuild ``NN-topic.ipynb`` from the source; True when the file changed."""
    text = notebook_text(built_notebook(lab))
    if lab.notebook.exists() and lab.notebook.read_text(encoding="utf-8") == text:
        return False
    lab.notebook.write_text(text, encoding="utf-8")
    return True


def _texts(lab: LabDefinition) -> list[tuple[str, str]]:
    """(file, text) of everything that may name a parameter."""
    files = [lab.source, *lab.setup.start_manifests, lab.grader, lab.grader.with_suffix(".py")]
    found = []
    for path in files:
        if path.exists():
            found.append((path.name, path.read_text(encoding="utf-8")))
    return found


def lint_lab(lab: LabDefinition) -> list[Problem]:
    """Everything wrong with one lab (empty when it is consistent)."""
    from kklab.grading import load_lab, spec_problems

    where = lab.id
    if not lab.grader.exists():
        return [
            Problem(where, f"has no grader {lab.grader}", f"`kklab lab new {lab.id}` shows one")
        ]
    declared = {p.name for p in lab.setup.parameters}
    used: set[str] = set()
    problems = []
    for name, text in _texts(lab):
        for parameter in placeholders(text):
            used.add(parameter)
            if parameter not in declared:
                problems.append(
                    Problem(
                        f"{where}/{name}",
                        f"${{{{ {parameter} }}}} is not a parameter of the lab",
                        "declare it under parameters: in lab.yaml",
                    )
                )
    problems += [
        Problem(f"{where}/lab.yaml", f"parameter {unused} is never used", "use it or remove it")
        for unused in sorted(declared - used)
    ]
    if problems:
        return problems
    for seed in (None, LINT_SEED):
        values = lab.values(seed)
        grader_problems = spec_problems(lab.grader, values)
        if grader_problems:
            return [Problem(f"{where} grader", str(p)) for p in grader_problems]
        try:
            model = lab.model(seed)
        except KklabError as err:
            return [Problem(where, err.problem, err.fix or "")]
        spec = load_lab(lab.grader, values=values)
        problems += _agree(where, model.exercises, spec.exercises)
        if problems:
            return problems
    built = notebook_text(built_notebook(lab))
    committed = lab.notebook.read_text(encoding="utf-8") if lab.notebook.exists() else ""
    if built != committed:
        problems.append(
            Problem(
                where,
                f"{lab.notebook.name} is not what its source and grader build",
                f"run `kklab lab build {lab.id}` and commit both",
            )
        )
    return problems


def _agree(where: str, source: Any, grader: Any) -> list[Problem]:
    """The source's exercises and the grader's: same ids, order and titles."""
    declared = [e.id for e in source]
    graded = [e.id for e in grader]
    problems = [
        Problem(
            where,
            f"exercise {missing} of the source has no checks in the grader",
            f'add an exercise with id: "{missing}" and at least one check',
        )
        for missing in declared
        if missing not in graded
    ]
    problems += [
        Problem(
            where,
            f'the grader\'s exercise "{extra}" is not in the source '
            f"(it has: {', '.join(declared)})",
            "use the ids of the source's `## Exercise ID: Title` headings",
        )
        for extra in graded
        if extra not in declared
    ]
    if problems:
        return problems
    if declared != graded:
        problems.append(
            Problem(where, "the grader lists the exercises in another order than the source")
        )
    titles = {e.id: e.title for e in grader}
    problems += [
        Problem(
            where,
            f'exercise {e.id} is titled "{e.title}" in the source but "{titles[e.id]}" '
            "in the grader",
            "give both the same title",
        )
        for e in source
        if titles[e.id] != e.title
    ]
    return problems


def lint_all(
    labs_root: Path | None = None, graders_root: Path | None = None
) -> dict[str, list[Problem]]:
    """Every lab's problems, and every grader without a lab."""
    report = {lab.id: lint_lab(lab) for lab in all_labs()}
    graders = graders_root or graders_dir()
    folders = labs_root or labs_dir()
    for grader in sorted(graders.glob("[0-9][0-9]-*.yaml")):
        if grader.stem not in report:
            report[grader.stem] = [
                Problem(
                    grader.name,
                    f"there is no lab {folders / grader.stem / (grader.stem + '.md')}",
                    "name the grader after its lab folder (labs/NN-topic/)",
                )
            ]
    return report


def lint_command() -> tuple[int, str]:
    """``kklab graders lint``: (0 when every lab and grader is valid else 1, the report)."""
    report = lint_all()
    if not report:
        return 0, f"no labs in {labs_dir()}"
    lines = []
    for lab, problems in report.items():
        lines.append(f"{'✗' if problems else '✓'} {lab}")
        lines += [f"  {problem.line()}" for problem in problems]
    failed = sum(1 for problems in report.values() if problems)
    summary = (
        f"{len(report)} lab(s) checked, {failed} with problems"
        if failed
        else (f"{len(report)} lab(s) valid")
    )
    lines.append(summary)
    return (1 if failed else 0), "\n".join(lines)
