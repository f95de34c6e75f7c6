"""The course site in a real browser: built, served on localhost, read by Chromium.

The module builds the site with ``mkdocs build --strict`` (so it stands alone;
``make test`` builds it just before), serves ``build/site`` with Python's
``http.server`` on a free localhost port, and drives Debian's Chromium
(``/usr/bin/chromium``) through Playwright, as ``test_jupyterlab_check.py``
does. No cluster is needed. It checks that:

- the home page and the 01-pods lab page render (screenshots kept in
  ``artifacts/browser/site-home.png`` and ``site-lab-01-pods.png``);
- every request a page makes goes to the local server and succeeds (the site
  works offline: no fonts, scripts or styles from a CDN);
- the built-in search finds the pages that really discuss StatefulSets and
  readiness;
- every internal link of every built page resolves, anchors included;
- each lab page shows the learner's view: no hidden autograder cell, and every
  solution folded in a closed "Show solution" block that opens on a click;
- a lab page with a recorded solved state ends with its map, drawn (an SVG
  image that decodes) and described in words (its alt text is the outline);
- each reading page renders with its pictures loaded, asking nothing of any
  other host (screenshots ``site-reading-<page>-<palette>.png``).

Without Chromium or Playwright the tests are skipped, and fail instead when
``KKLAB_REQUIRE_CLUSTER=1`` (CI), like the other browser test.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.chromium import ARTIFACTS, CHROMIUM, REPOSITORY, chromium_context

pytestmark = [pytest.mark.browser]

SITE = REPOSITORY / "build" / "site"
MAX_LAB_PAGE_BYTES = 250_000  # issue 19: a lab page, the notebook's own CSS apart
LABS = REPOSITORY / "labs"
READING = REPOSITORY / "site" / "reading"
PICTURED = {"logging", "metrics"}
"""Reading pages that must show at least one picture (issue 19: the pipelines)."""
BUILD_S = 300
"""Longest wait for ``mkdocs build --strict`` (a few seconds on 2 cores)."""

SEARCHES = {
    # No lab teaches StatefulSets yet: the concepts index lists their lab as
    # planned, and the offline page says what 1.20 lacks for them.
    "StatefulSet": {"labs/", "offline/"},
    # Readiness probes belong to the planned 03-probes lab: only the concepts
    # index discusses them so far.
    "readiness": {"labs/"},
    # Lab 04-config grades pull secrets; the concepts index lists them too.
    "imagePullSecrets": {"labs/04-config/"},
}
"""Search query -> the pages that discuss it today, which must be among the results.

Every result must also mention the query, so a later lab on the subject may add
itself to the results without breaking the test."""


def _missing(reason: str) -> None:
    if os.environ.get("KKLAB_REQUIRE_CLUSTER") == "1":
        pytest.fail(f"KKLAB_REQUIRE_CLUSTER=1 but {reason}")
    pytest.skip(reason)


def _lab_ids() -> list[str]:
    return sorted(
        folder.name
        for folder in LABS.iterdir()
        if (folder / f"{folder.name}.ipynb").is_file() and folder.name[:2].isdigit()
    )


def _solution_cells(lab: str) -> int:
    notebook = json.loads((LABS / lab / f"{lab}.ipynb").read_text(encoding="utf-8"))
    return sum(
        1 for cell in notebook["cells"] if cell["metadata"].get("nbgrader", {}).get("solution")
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    """The freshly built site, served from ``build/site`` on a free localhost port."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_S,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}{done.stderr}"
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Traffic:
    """What the browser asked for beyond the local server, and what failed."""

    origin: str
    outside: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.outside == [], f"requests outside {self.origin}: {self.outside}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


@dataclass
class Browser:
    page: Any
    traffic: Traffic


@pytest.fixture
def browser(site_url: str) -> Iterator[Browser]:
    """A page of Debian's Chromium in a fresh profile; nothing leaves localhost."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: run tests/browser/ensure_browser.sh as root")
    if importlib.util.find_spec("playwright") is None:
        _missing("the Python package playwright is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    traffic = Traffic(site_url)

    def route(route: Any) -> None:
        if route.request.url.startswith(site_url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            traffic.outside.append(route.request.url)
            route.abort()

    def response(response: Any) -> None:
        if response.status >= 400:
            traffic.failed.append(f"{response.status} {response.url}")

    def request_failed(request: Any) -> None:
        if request.url.startswith(site_url):
            traffic.failed.append(f"{request.failure} {request.url}")

    with chromium_context() as context:
        context.route("**/*", route)
        page = context.new_page()
        page.on("response", response)
        page.on("requestfailed", request_failed)
        page.on("pageerror", lambda error: traffic.errors.append(str(error)))
        yield Browser(page, traffic)


def _open(browser: Browser, url: str) -> Any:
    from playwright.sync_api import expect

    page = browser.page
    page.goto(url, wait_until="load")
    expect(page.locator("article.md-content__inner h1").first).to_be_visible()
    return page


def test_home_page_renders(browser: Browser, site_url: str) -> None:
    from playwright.sync_api import expect

    page = _open(browser, site_url)
    expect(page.locator("article h1").first).to_have_text(re.compile(r"^kklab"))
    quick_start = page.locator("article pre").first
    expect(quick_start).to_contain_text("make lab")
    expect(quick_start).to_contain_text("make test")
    # Material's features: tabs, search, copy buttons, the palette toggle.
    for tab in ("Home", "Get started", "Labs", "Teachers", "Reference"):
        expect(page.locator(".md-tabs__link", has_text=tab)).to_have_count(1)
    expect(page.locator("input.md-search__input")).to_have_count(1)
    expect(
        page.locator("article button.md-code__button[data-md-type='copy']").first
    ).to_be_attached()
    scheme = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    expect(page.locator("body")).not_to_have_attribute("data-md-color-scheme", scheme or "")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", scheme or "")
    page.screenshot(path=str(ARTIFACTS / "site-home.png"), full_page=False)
    browser.traffic.assert_clean()


@pytest.mark.parametrize("lab", _lab_ids())
def test_lab_page_is_the_learners_view_with_folded_solutions(
    browser: Browser, site_url: str, lab: str
) -> None:
    from playwright.sync_api import expect

    # The notebook CSS is one shared file, not inlined in every page (about 590 KB).
    assert (SITE / "labs" / lab / "index.html").stat().st_size < MAX_LAB_PAGE_BYTES
    page = _open(browser, f"{site_url}labs/{lab}/")
    rules = page.evaluate(
        "() => [...document.styleSheets].filter(s => (s.href || '').includes('/notebook-'))"
        ".map(s => s.cssRules.length)"
    )
    assert len(rules) == 1 and rules[0] > 100, f"the notebook stylesheet did not load: {rules}"
    content = page.locator("article.md-content__inner")
    expect(content.locator(".jupyter-wrapper")).to_have_count(1)
    expect(content.locator("h2", has_text="Exercise 1:")).to_be_visible()
    text = content.inner_text()
    for hidden in ("autograde(", "BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
        assert hidden not in text, f"{hidden!r} appears on the {lab} page"

    solutions = content.locator("details.kklab-solution")
    expect(solutions).to_have_count(_solution_cells(lab))
    assert content.locator("details[open]").count() == 0, "a details block is open on load"
    for index in range(solutions.count()):
        block = solutions.nth(index)
        assert block.get_attribute("open") is None
        assert block.evaluate("element => element.open") is False
        expect(block.locator("summary")).to_have_text("Show solution")
        expect(block.locator("pre").first).to_be_hidden()

    first = solutions.first
    first.scroll_into_view_if_needed()
    if lab == "01-pods":
        page.screenshot(path=str(ARTIFACTS / f"site-lab-{lab}.png"), full_page=False)
    first.locator("summary").click()
    expect(first.locator("pre").first).to_be_visible()
    assert first.evaluate("element => element.open") is True
    expect(content.locator(".kklab-check").first).to_contain_text(f"kklab check {lab} 1")
    browser.traffic.assert_clean()


def _mapped_labs() -> list[str]:
    """Labs with a recorded solved state (``labs/NN-topic/solved-map.json``)."""
    return [lab for lab in _lab_ids() if (LABS / lab / "solved-map.json").exists()]


@pytest.mark.parametrize("lab", _mapped_labs())
def test_lab_page_shows_the_map_of_its_solved_state(
    browser: Browser, site_url: str, lab: str
) -> None:
    from playwright.sync_api import expect

    page = _open(browser, f"{site_url}labs/{lab}/")
    content = page.locator("article.md-content__inner")
    expect(content.locator("h2", has_text="The solved state")).to_be_attached()
    picture = content.locator("figure.kklab-map img")
    expect(picture).to_have_count(1)
    picture.scroll_into_view_if_needed()
    picture.evaluate("image => image.decode()")  # resolves once drawn, raises if broken
    state = picture.evaluate(_PICTURE_JS)
    assert state["complete"] and state["natural"] > 0 and state["shown"] > 0, state
    assert state["alt"].startswith(f"Map of namespace lab-{lab}"), state["alt"][:80]
    picture.screenshot(path=str(ARTIFACTS / f"site-map-{lab}.png"))
    browser.traffic.assert_clean()


def _search(page: Any, site_url: str, query: str) -> set[str]:
    """The pages (paths below the site root) of the search results for ``query``."""
    from playwright.sync_api import expect

    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially(query, delay=30)  # as a person types: the search listens to keys
    # Results for the whole query carry it (lower case) in their ?h= highlight parameter.
    highlighted = f"h={urllib.parse.quote(query.lower())}"
    expect(page.locator(f"a.md-search-result__link[href*='{highlighted}']").first).to_be_attached(
        timeout=15_000
    )
    results = page.locator("li.md-search-result__item a.md-search-result__link")
    pages = set()
    for href in results.evaluate_all("links => links.map(link => link.href)"):
        url = urllib.parse.urlsplit(href)
        pages.add(url.path.removeprefix(urllib.parse.urlsplit(site_url).path))
    return pages


@pytest.mark.parametrize("query", sorted(SEARCHES))
def test_search_finds_the_pages_that_discuss_it(
    browser: Browser, site_url: str, query: str
) -> None:
    page = _open(browser, site_url)
    found = _search(page, site_url, query)
    expected = SEARCHES[query]
    assert expected <= found, f"search {query!r}: expected {expected} among {found}"
    for path in found:
        source = (SITE / path / "index.html").read_text(encoding="utf-8").lower()
        assert query.lower() in source, f"search {query!r} found {path}, which never mentions it"
    browser.traffic.assert_clean()


class _Links(html.parser.HTMLParser):
    """The ids of a page and every URL it refers to (links, scripts, styles, images)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if values.get(name):
                self.ids.add(str(values[name]))
        attribute = {"a": "href", "link": "href", "script": "src", "img": "src"}.get(tag)
        if attribute and values.get(attribute):
            self.urls.append(str(values[attribute]))


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        with contextlib.closing(error):
            return int(error.code), b""


def test_every_internal_link_resolves(site_url: str) -> None:
    pages = sorted(SITE.rglob("*.html"))
    assert len(pages) >= 9, f"only {len(pages)} pages built"
    parsed: dict[str, _Links] = {}
    status: dict[str, int] = {}

    def parse(url: str) -> _Links:
        if url not in parsed:
            code, body = _fetch(url)
            status[url] = code
            links = _Links()
            if code == 200 and url.endswith((".html", "/")):
                links.feed(body.decode("utf-8"))
            parsed[url] = links
        return parsed[url]

    problems, checked = [], 0
    for path in pages:
        page_url = urllib.parse.urljoin(site_url, path.relative_to(SITE).as_posix())
        for href in parse(page_url).urls:
            target = urllib.parse.urljoin(page_url, href)
            if not target.startswith(site_url):
                continue  # an external link (the setup page links to Docker, kind...)
            checked += 1
            document, _, anchor = target.partition("#")
            if document not in status:
                parse(document)
            if status[document] != 200:
                problems.append(f"{page_url}: {href} -> HTTP {status[document]}")
            elif anchor and urllib.parse.unquote(anchor) not in parse(document).ids:
                problems.append(f"{page_url}: {href} -> no id {anchor!r} on the page")
    print(f"{len(pages)} pages, {checked} internal links checked")
    assert checked > 100
    assert problems == [], "\n".join(problems)


# The contrast of a colour pair, as WCAG 2 defines it (4.5 for body text).
_CONTRAST_JS = """
(element) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const opaque = (node) => {
    for (; node; node = node.parentElement) {
      const [r, g, b, a = 1] = rgb(getComputedStyle(node).backgroundColor);
      if (a > 0.5) return [r, g, b];
    }
    return [255, 255, 255];
  };
  const luminance = ([r, g, b]) => {
    const linear = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  const fore = luminance(rgb(getComputedStyle(element).color).slice(0, 3));
  const back = luminance(opaque(element));
  return (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
}
"""


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("lab", _lab_ids())
def test_lab_page_reads_well_in_both_palettes(
    browser: Browser, site_url: str, lab: str, scheme: str
) -> None:
    """Prose and every kind of code token keep WCAG AA contrast, light and dark (issue 19)."""
    from playwright.sync_api import expect

    page = _open(browser, f"{site_url}labs/{lab}/")
    body = page.locator("body")
    for _toggle in range(2):
        if body.get_attribute("data-md-color-scheme") == scheme:
            break
        page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    expect(body).to_have_attribute("data-md-color-scheme", scheme)
    content = page.locator("article.md-content__inner .jupyter-wrapper")
    samples = {
        "prose": content.locator(".jp-RenderedMarkdown p").first,
        "inline code": content.locator(".jp-RenderedMarkdown p code").first,
        "solution": content.locator("details.kklab-solution summary").first,
    }
    # One of each kind of token the code cells colour (names, operators, strings...).
    tokens = content.locator(".jp-CodeCell .highlight-ipynb pre span[class]")
    for index in range(tokens.count()):
        kind = tokens.nth(index).get_attribute("class") or ""
        samples.setdefault(f"code .{kind}", tokens.nth(index))
    low = {}
    for what, element in samples.items():
        ratio = float(element.evaluate(_CONTRAST_JS))
        if ratio < 4.5:
            low[what] = round(ratio, 2)
    page.screenshot(path=str(ARTIFACTS / f"site-lab-{lab}-{scheme}.png"), full_page=False)
    assert low == {}, f"text too faint to read in the {scheme} palette: {low}"


def _reading_pages() -> list[str]:
    return sorted(path.stem for path in READING.glob("*.md"))


# Whether an <img> has finished loading, and how big it came out.
_PICTURE_JS = """
(image) => ({
  complete: image.complete,
  natural: image.naturalWidth,
  shown: image.getBoundingClientRect().width * image.getBoundingClientRect().height,
  alt: image.alt,
})
"""


@pytest.mark.parametrize("name", _reading_pages())
def test_reading_page_renders_with_its_pictures(browser: Browser, site_url: str, name: str) -> None:
    from playwright.sync_api import expect

    url = f"{site_url}reading/" if name == "index" else f"{site_url}reading/{name}/"
    page = _open(browser, url)
    content = page.locator("article.md-content__inner")
    expect(page.locator(".md-tabs__item--active")).to_have_text(re.compile("Reading"))
    pictures = content.locator("img")
    if name in PICTURED:
        assert pictures.count() >= 1, f"the {name} page shows no picture"
    for index in range(pictures.count()):
        picture = pictures.nth(index)
        picture.scroll_into_view_if_needed()
        picture.evaluate("image => image.decode()")  # resolves once loaded, raises if broken
        state = picture.evaluate(_PICTURE_JS)
        assert state["complete"] and state["natural"] > 0 and state["shown"] > 0, state
        assert len(state["alt"]) > 20, f"picture {index} of {name} needs a description"
    for scheme in ("default", "slate"):
        body = page.locator("body")
        if body.get_attribute("data-md-color-scheme") != scheme:
            page.locator("label.md-header__button[for^='__palette']:visible").first.click()
        expect(body).to_have_attribute("data-md-color-scheme", scheme)
        if pictures.count():
            pictures.first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"site-reading-{name}-{scheme}.png"))
    browser.traffic.assert_clean()
