"""MkDocs hooks of the course site (``hooks:`` in mkdocs.yml): the generated pages.

Nothing generated is committed; every build makes it again from its source, so
the site cannot drift from the code:

- ``labs/NN-topic.ipynb``: each ``labs/NN-topic/NN-topic.ipynb`` as the learner
  sees it (``tools.site.learner_page``), rendered by mkdocs-jupyter and added to
  the "Labs" section of the navigation, ending with the map of the lab's solved
  state when one was recorded (``tools.site.solved_map``);
- ``labs/index.md``: the concepts index from ``labs/curriculum.yaml``;
- ``reference/cli.md``: the command line, from ``kklab.cli.command_reference()``;
- ``reference/grader-format.md``: the grader files, from their JSON schema.

The learner notebooks are written to ``build/site-notebooks/`` because
mkdocs-jupyter reads notebooks from disk; the Markdown pages live in memory.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

REPOSITORY = Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:  # mkdocs loads this file by path: make `tools` importable
    sys.path.insert(0, str(REPOSITORY))

from kklab.labs import lab_namespace  # noqa: E402
from tools.site.cli_reference import cli_markdown  # noqa: E402
from tools.site.concepts import (  # noqa: E402
    TITLE_HEADING,
    LabPage,
    concepts_markdown,
    lab_page,
)
from tools.site.learner_page import learner_page  # noqa: E402
from tools.site.schema_reference import schema_markdown  # noqa: E402
from tools.site.solved_map import solved_map_markdown  # noqa: E402

LABS = REPOSITORY / "labs"
SITE = REPOSITORY / "site"
NOTEBOOKS = REPOSITORY / "build" / "site-notebooks"
LAB_FOLDER = re.compile(r"^\d{2}-[a-z0-9]+(-[a-z0-9]+)*$")
NAV_SECTION = "Labs"

# nbconvert's template always emits a MathJax <script> with the URL mkdocs-jupyter
# passes, here empty; the labs hold no math, and the site must not reach a CDN.
_EMPTY_SCRIPT = re.compile(r'<script src="">\s*</script>')
_ID = re.compile(r'\sid="([^"]+)"')
# mkdocs-jupyter inlines about 590 KB of notebook CSS into every lab page; the
# site keeps one copy per distinct stylesheet, which browsers cache across pages.
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_stylesheets: dict[str, str] = {}


def lab_notebooks(labs: Path = LABS) -> dict[str, Path]:
    """Lab id -> notebook, for every ``labs/NN-topic/NN-topic.ipynb``, in order."""
    found = {}
    for folder in sorted(labs.iterdir()):
        notebook = folder / f"{folder.name}.ipynb"
        if folder.is_dir() and LAB_FOLDER.match(folder.name) and notebook.is_file():
            found[folder.name] = notebook
    return found


def _lab_pages() -> dict[str, tuple[LabPage, Any]]:
    pages = {}
    for lab, path in lab_notebooks().items():
        notebook = nbformat.read(str(path), as_version=4)
        page = learner_page(notebook, lab)
        section = solved_map_markdown(path.parent, lab_namespace(lab))
        if section is not None:
            page.cells.append(nbformat.v4.new_markdown_cell(section, id="kklab-solved-map"))
        pages[lab] = (lab_page(lab, notebook), page)
    return pages


def _nav_title(page: LabPage) -> str:
    return f"{page.lab[:2]} · {page.title}"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Add one entry per lab to the nav's "Labs" section (after its index page)."""
    pages = _lab_pages()
    for item in config.nav or []:
        if isinstance(item, dict) and isinstance(item.get(NAV_SECTION), list):
            section: list[Any] = item[NAV_SECTION]
            listed = {next(iter(entry.values())) for entry in section if isinstance(entry, dict)}
            for page, _ in pages.values():
                if page.src_uri not in listed:
                    section.append({_nav_title(page): page.src_uri})
    return config


def reading_pages(site: Path = SITE) -> dict[str, str]:
    """``reading/<page>.md`` -> its ``#`` title, for every reading page but the index."""
    found = {}
    for path in sorted((site / "reading").glob("*.md")):
        if path.name == "index.md":
            continue
        heading = TITLE_HEADING.search(path.read_text(encoding="utf-8"))
        found[f"reading/{path.name}"] = heading["title"] if heading else path.stem
    return dict(sorted(found.items(), key=lambda item: item[1].lower()))


def generated_markdown(pages: dict[str, LabPage]) -> dict[str, str]:
    """src_uri -> Markdown of every generated page that is not a notebook."""
    from kklab.cli import command_reference

    curriculum = yaml.safe_load((LABS / "curriculum.yaml").read_text(encoding="utf-8"))
    schema_path = REPOSITORY / "kklab" / "schemas" / "grader.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return {
        "labs/index.md": concepts_markdown(curriculum, pages, reading_pages()),
        "reference/cli.md": cli_markdown(*command_reference()),
        "reference/grader-format.md": schema_markdown(schema),
    }


@event_priority(100)  # before mkdocs-jupyter's on_files, so it wraps our notebooks too
def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = _lab_pages()
    for stale in NOTEBOOKS.glob("labs/*.ipynb"):
        if stale.stem not in pages:
            stale.unlink()
    for page, notebook in pages.values():
        target = NOTEBOOKS / page.src_uri
        target.parent.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(notebook) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")  # unchanged files keep their mtime
        # A plain File with its own src_dir: mkdocs-jupyter's wrapper reads the notebook
        # through src_dir/src_uri, which a File.generated(...) does not have.
        files.append(
            File(
                page.src_uri,
                src_dir=str(NOTEBOOKS),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    markdown = generated_markdown({lab: page for lab, (page, _) in pages.items()})
    for src_uri, content in markdown.items():
        files.append(File.generated(config, src_uri, content=content))
    return files


def shared_stylesheet(html: str, page_url: str) -> tuple[str, str, str]:
    """``html`` with its inline ``<style>`` blocks replaced by one link; (html, path, css).

    >>> page = "<p>a</p><style>p {}</style><style>b {}</style>"
    >>> html, path, css = shared_stylesheet(page, "labs/01-pods/")
    >>> html == f'<p>a</p><link rel="stylesheet" href="../../{path}">', css.splitlines()
    (True, ['p {}', 'b {}'])
    """
    import hashlib

    from mkdocs.utils import get_relative_url

    blocks = _STYLE.findall(html)
    if not blocks:
        return html, "", ""
    css = "\n".join(block.strip() for block in blocks)
    path = f"assets/notebook-{hashlib.sha256(css.encode()).hexdigest()[:8]}.css"
    link = f'<link rel="stylesheet" href="{get_relative_url(path, page_url)}">'
    first = _STYLE.search(html)
    assert first is not None
    rest = _STYLE.sub("", html[first.end() :])
    return html[: first.start()] + link + rest, path, css


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        html = _EMPTY_SCRIPT.sub("", html)
        html, path, css = shared_stylesheet(html, page.url)
        if path:
            _stylesheets[path] = css
        # mkdocs-jupyter renders outside Python-Markdown, so MkDocs does not know the
        # page's anchors; telling it lets `--strict` catch a link to a missing exercise.
        page.present_anchor_ids = set(_ID.findall(html))
    return html


def on_post_build(config: MkDocsConfig) -> None:
    """Write the notebook stylesheets the lab pages link to."""
    for path, css in _stylesheets.items():
        target = Path(config.site_dir) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
