"""``%kklab map`` in a real browser: JupyterLab draws the SVG under the cell.

JupyterLab runs headless over a scratch folder holding a two-cell notebook
(``%load_ext kklab.notebook`` then ``%kklab map``). Its kernels are confined,
as a classroom sandbox's are (``KKLAB_KUBECONFIG``, ``KKLAB_NAMESPACE``), to a
scratch namespace of this test holding a Deployment behind a Service, so no
lab's namespace is touched. With the widgets front end the map is read on a
thread and shown in an output widget; the test waits for the drawn SVG and
finds the objects in it. The screenshot is kept in
``artifacts/browser/map-jupyterlab.png``. Skipped like the other browser test
without Chromium, Playwright or JupyterLab (a failure under
``KKLAB_REQUIRE_CLUSTER=1``), and when Graphviz is missing (``make test``
installs it).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from kklab.mapping.rendering import find_dot
from tests.browser.chromium import ARTIFACTS, chromium_context
from tests.browser.jupyterlab import (
    JupyterLab,
    code_cell,
    open_notebook,
    require_browser,
    run_cell,
    running_jupyterlab,
)
from tests.cluster.grading_helpers import Objects, container, pod, scratch_namespace, service
from tests.conftest import RunningCluster
from tests.helpers import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

SCREENSHOT = ARTIFACTS / "map-jupyterlab.png"
MAP_S = 60
"""Longest wait for the map to be read and drawn."""


def _scene() -> list[dict[str, Any]]:
    httpd = "mkdir -p /www && exec httpd -f -p 8080 -h /www"
    template = pod("template", {"app": "web"}, container("httpd", ["sh", "-c", httpd]))
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": template["spec"]},
        },
    }
    return [deployment, service("web", {"app": "web"}, 80, 8080)]


@pytest.fixture(scope="module")
def mapped_lab(cluster: RunningCluster) -> Iterator[JupyterLab]:
    """JupyterLab whose kernels are confined to a scratch namespace with a small scene."""
    require_browser()
    if find_dot() is None:
        pytest.skip("Graphviz (dot) is not installed: run tools/ensure_graphviz.sh")
    with scratch_namespace(cluster.api_client, prefix="kklab-map-browser") as namespace:
        objects = Objects(cluster.api_client, namespace)
        objects.create(*_scene())

        def served() -> bool:
            endpoints = objects.get("v1", "Endpoints", "web") or {}
            return any(subset.get("addresses") for subset in endpoints.get("subsets") or [])

        wait_for(served, "the web Service's endpoint", timeout_s=90)
        home = Path(tempfile.mkdtemp(prefix="kklab-browser-map-"))
        root = home / "work"
        root.mkdir()
        notebook = nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_code_cell("%load_ext kklab.notebook"),
                nbformat.v4.new_code_cell("%kklab map"),
            ]
        )
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nbformat.write(notebook, str(root / "map.ipynb"))
        env = {"KKLAB_KUBECONFIG": str(cluster.kubeconfig_path), "KKLAB_NAMESPACE": namespace}
        try:
            with running_jupyterlab(home, root, "jupyterlab-map.log", env) as lab:
                yield lab
        finally:
            shutil.rmtree(home, ignore_errors=True)


def test_the_map_magic_draws_an_svg_in_jupyterlab(mapped_lab: JupyterLab) -> None:
    from playwright.sync_api import expect

    with chromium_context() as context:
        page = context.new_page()
        try:
            open_notebook(page, mapped_lab, "map.ipynb")
            run_cell(page, code_cell(page, "%load_ext kklab.notebook"))
            cell = code_cell(page, "%kklab map")
            run_cell(page, cell)  # returns at once: the map is read on a thread
            drawing = cell.locator(".jp-OutputArea-output svg").first
            expect(drawing).to_be_visible(timeout=MAP_S * 1000)
            text = drawing.locator("title").evaluate_all("titles => titles.map(t => t.textContent)")
            assert "Deployment/web" in text and "Service/web" in text, text
            assert any(title.startswith("Pod/web-") for title in text), text
            expect(cell.locator(".jp-OutputArea-output", has_text="✗")).to_have_count(0)
            box = drawing.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100, box
            drawing.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOT))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "map-jupyterlab-failure.png"))
            raise
