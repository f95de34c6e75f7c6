"""The course site's generated pages (tools/site), without building the site.

What the browser test cannot say cheaply: every lab's page drops every hidden
test and folds every solution; the CLI reference lists every command of the
parser; the grader-format page lists every field of the schema; the concepts
index lists every concept of the curriculum and links only to labs that exist;
generating twice gives the same bytes; every reading page is in the nav and in
the concepts index, and every picture it shows is a well-formed SVG with a title.
"""

from __future__ import annotations

import argparse
import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from nbformat.v4 import new_markdown_cell, new_notebook

from kklab.cli import command_reference
from kklab.labs.building import build_notebook
from kklab.labs.model import parse_source
from tools.site import hooks
from tools.site.cli_reference import cli_markdown
from tools.site.concepts import concepts_markdown, exercise_anchor, lab_page
from tools.site.learner_page import SOLUTION_CLASS, learner_page, solution_body
from tools.site.schema_reference import schema_markdown

REPOSITORY = Path(__file__).resolve().parents[2]
LAB_NOTEBOOKS = hooks.lab_notebooks(REPOSITORY / "labs")
READING = REPOSITORY / "site" / "reading"
READING_PAGES = sorted(path.name for path in READING.glob("*.md"))
SVG = "{http://www.w3.org/2000/svg}"
PICTURE = re.compile(r"!\[[^\]]*\]\((?P<target>[^)\s]+\.svg)\)")


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
    parser, recorded = command_reference()
    page = cli_markdown(parser, recorded)
    # argparse's private list (read here only) is the witness that nothing was missed
    commands = _commands(parser, "kklab")
    assert commands == [" ".join(("kklab", *command.path)) for command in recorded]
    assert "kklab lab solve" in commands and "kklab toolchain install" in commands
    for command in commands:
        assert f"# {command}\n" in page, command
    for option in ("--provider", "--context", "--kubeconfig", "--json", "--upto", "--path"):
        assert option in page
    assert "--fresh" in page and "delete the cluster and everything in it" in page
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


def _nav_pages(node: Any) -> list[str]:
    """Every page path of mkdocs.yml's nav, at any depth."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in _nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    return []


def test_every_reading_page_is_in_the_nav() -> None:
    config = yaml.safe_load((REPOSITORY / "mkdocs.yml").read_text(encoding="utf-8"))
    sections = {next(iter(item)): item for item in config["nav"] if isinstance(item, dict)}
    names = list(sections)
    assert names.index("Reading") == names.index("Labs") + 1, "Reading comes right after Labs"
    listed = _nav_pages(sections["Reading"])
    assert len(READING_PAGES) >= 7, READING_PAGES  # the index and six pages (issue 19, item 5)
    assert sorted(listed) == [f"reading/{name}" for name in READING_PAGES]
    assert set(hooks.reading_pages(REPOSITORY / "site")) == {
        f"reading/{name}" for name in READING_PAGES if name != "index.md"
    }


@pytest.mark.parametrize("name", READING_PAGES)
def test_reading_page_pictures_exist_and_are_titled_svg(name: str) -> None:
    text = (READING / name).read_text(encoding="utf-8")
    assert text.startswith("# "), f"{name} starts with its title"
    for match in PICTURE.finditer(text):
        path = (READING / match["target"]).resolve()
        assert path.is_file(), f"{name}: {match['target']} does not exist"
        root = ElementTree.parse(path).getroot()  # raises when it is not well-formed XML
        assert root.tag == f"{SVG}svg"
        title = root.find(f"{SVG}title")
        assert title is not None and (title.text or "").strip(), f"{path.name} has no <title>"
        source = path.read_text(encoding="utf-8")
        # Nothing that runs or reaches out: the site works offline.
        assert root.find(f".//{SVG}script") is None
        assert not re.search(r"(href|src)=\"(https?:)?//", source), path.name
        assert "@import" not in source and "@font-face" not in source


def test_the_pipeline_pages_have_pictures() -> None:
    for name in ("logging.md", "metrics.md"):
        assert PICTURE.search((READING / name).read_text(encoding="utf-8")), name


def test_concepts_index_links_the_reading_pages() -> None:
    reading = {"reading/logging.md": "Logging architecture", "reading/a.md": "A | B"}
    page = concepts_markdown({"labs": {}}, {}, reading)
    assert "## Reading" in page
    assert "- [Logging architecture](../reading/logging.md)" in page
    assert "- [A \\| B](../reading/a.md)" in page
    assert "## Reading" not in concepts_markdown({"labs": {}}, {})
