"""The course site's generated pages (tools/site), without building the site.

What the browser test cannot say cheaply: every lab's page drops every hidden
test and folds every solution; the CLI reference lists every command of the
parser; the grader-format page lists every field of the schema; the concepts
index lists every concept of the curriculum and links only to labs that exist;
and generating twice gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from nbformat.v4 import new_markdown_cell, new_notebook

from kklab.cli import build_parser
from kklab.labs.building import build_notebook
from kklab.labs.model import parse_source
from tools.site import hooks
from tools.site.cli_reference import cli_markdown
from tools.site.concepts import concepts_markdown, exercise_anchor, lab_page
from tools.site.learner_page import SOLUTION_CLASS, learner_page, solution_body
from tools.site.schema_reference import schema_markdown

REPOSITORY = Path(__file__).resolve().parents[2]
LAB_NOTEBOOKS = hooks.lab_notebooks(REPOSITORY / "labs")


def _read(path: Path) -> Any:
    return nbformat.read(str(path), as_version=4)


def test_every_lab_folder_with_a_notebook_is_a_page() -> None:
    folders = sorted(
        path.parent.name for path in (REPOSITORY / "labs").glob("[0-9][0-9]-*/*.ipynb")
    )
    assert sorted(LAB_NOTEBOOKS) == folders
    assert {"01-pods", "07-storage"} <= set(LAB_NOTEBOOKS)


@pytest.mark.parametrize("lab", sorted(LAB_NOTEBOOKS))
def test_lab_page_is_the_learners_view_with_every_solution_folded(lab: str) -> None:
    source = _read(LAB_NOTEBOOKS[lab])
    page = learner_page(source, lab)
    text = "\n".join(str(cell.source) for cell in page.cells)
    for hidden in ("autograde(", "HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
        assert hidden not in text
    solutions = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
    folded = [cell for cell in page.cells if SOLUTION_CLASS in str(cell.source)]
    assert len(folded) == len(solutions) > 0
    for cell in folded:
        assert cell.cell_type == "markdown"
        assert str(cell.source).startswith(f'<details class="success {SOLUTION_CLASS}"')
        assert "<details open" not in str(cell.source)
    # Each reference solution's content is on the page, inside its folded block.
    for solution, block in zip(solutions, folded, strict=True):
        _, body = solution_body(str(solution.source))
        assert body in str(block.source)
    assert all(not cell.get("outputs") for cell in page.cells if cell.cell_type == "code")
    nbformat.validate(page)


def _small(*cells: str) -> Any:
    """A built notebook of a small MyST source (title, then ``cells``)."""
    text = "\n\n".join(["# Demo", "+++", *cells])
    model = parse_source(text, "99-demo")
    return build_notebook(model, {e.id: 2 for e in model.exercises})


def _code(source: str, answer: bool = False) -> str:
    tags = ":tags: [answer]\n\n" if answer else ""
    return f"```{{code-cell}}\n{tags}{source}\n```"


def test_learner_page_on_a_small_notebook() -> None:
    notebook = _small(
        "## Exercise 1: Make a pod",
        _code("%%apply\napiVersion: v1\nkind: Pod", answer=True),
        _code("%kubectl get pods", answer=True),
        _code("print(1)\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS"),
        "The end.",
    )
    page = learner_page(notebook, "99-demo")
    sources = [str(cell.source) for cell in page.cells]
    # title, set-up, heading, 2 solutions, Check note, the demo, the end; no autograder cell
    assert len(sources) == 8, sources
    assert not any("autograde(" in source for source in sources)
    assert "```yaml\napiVersion: v1\nkind: Pod\n```" in sources[3]
    assert "`%%apply`" in sources[3]
    assert "```text\n%kubectl get pods\n```" in sources[4]
    assert "kklab check 99-demo 1" in sources[5] and page.cells[5].cell_type == "markdown"
    assert sources[6] == "print(1)\n"
    assert notebook.cells[7].source.startswith("print(1)\n### BEGIN HIDDEN TESTS")  # unchanged


def test_a_solution_holding_backticks_keeps_its_fence() -> None:
    notebook = _small("## Exercise 1: Print", _code('print("```")', answer=True))
    cell = learner_page(notebook, "99-demo").cells[3]
    assert '````python\nprint("```")\n````' in str(cell.source)


def _commands(parser: argparse.ArgumentParser, path: str) -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{path} {name}")
                found += _commands(sub, f"{path} {name}")
    return found


def test_cli_reference_lists_every_command_and_option() -> None:
    parser = build_parser()
    page = cli_markdown(parser)
    commands = _commands(parser, "kklab")
    assert "kklab lab solve" in commands and "kklab toolchain install" in commands
    for command in commands:
        assert f"# {command}\n" in page, command
    for option in ("--provider", "--context", "--kubeconfig", "--json", "--upto", "--path"):
        assert f"`{option}`" in page
    assert "`--fresh`" in page
    assert "## Exit codes and time bounds" in page and "2  kklab could not do" in page


def _fields(node: dict[str, Any]) -> list[str]:
    found = []
    for name, field in node.get("properties", {}).items():
        found.append(name)
        found += [f"{name}.{inner}" for inner in _fields(field)]
    return found


def test_grader_reference_lists_every_field_with_its_description() -> None:
    schema = json.loads((REPOSITORY / "kklab/schemas/grader.schema.json").read_text())
    page = schema_markdown(schema)
    nodes = [schema, *schema["$defs"].values()]
    for node in nodes:
        for name in _fields(node):
            assert f"| `{name}` |" in page, name
    for definition in schema["$defs"]:
        assert f"{{#{definition.lower()}}}" in page
    assert "Exactly one of these fields must be set: `assert`, `error`" in page


def test_concepts_index_lists_every_concept_and_links_only_to_real_pages() -> None:
    curriculum = yaml.safe_load((REPOSITORY / "labs/curriculum.yaml").read_text())
    pages = {lab: lab_page(lab, _read(path)) for lab, path in LAB_NOTEBOOKS.items()}
    page = concepts_markdown(curriculum, pages)
    for lab, entries in curriculum["labs"].items():
        for entry in entries:
            assert f"| {entry['concept']} | {entry['status']} |" in page
        if lab not in pages:
            assert f"## {lab} (planned)" in page
            assert f"({lab}.ipynb" not in page
    for lab, info in pages.items():
        for exercise, anchor in info.exercises.items():
            assert anchor.startswith(f"exercise-{exercise}-")
        for entry in curriculum["labs"].get(lab, []):
            for exercise in entry.get("exercises", []):
                assert f"[exercise {exercise}]({lab}.ipynb#{info.exercises[exercise]})" in page


def test_exercise_anchor_is_the_heading_id() -> None:
    assert exercise_anchor("Exercise 1: Run your first pod") == "exercise-1-run-your-first-pod"
    assert (
        exercise_anchor("Exercise 5: `restartPolicy` *Never*") == "exercise-5-restartpolicy-never"
    )


def test_a_new_lab_without_curriculum_entries_is_still_listed() -> None:
    notebook = new_notebook(cells=[new_markdown_cell("# Demo\n\n## Exercise 1: Do it")])
    pages = {"99-demo": lab_page("99-demo", notebook)}
    page = concepts_markdown({"labs": {}}, pages)
    assert "## 99-demo: Demo" in page
    assert "[Open the lab](99-demo.ipynb)" in page


def test_generated_pages_are_deterministic() -> None:
    def generate() -> tuple[dict[str, str], list[str]]:
        pages = {lab: lab_page(lab, _read(path)) for lab, path in LAB_NOTEBOOKS.items()}
        notebooks = [
            nbformat.writes(learner_page(_read(path), lab)) for lab, path in LAB_NOTEBOOKS.items()
        ]
        return hooks.generated_markdown(pages), notebooks

    assert generate() == generate()
