"""``%kklab map``: the lab namespace's objects and relations, drawn in the notebook.

With a widget front end (JupyterLab) the cluster is read and the map drawn on a
thread, like the Check button, with the seconds shown while it works; the SVG
then appears under the cell. Without one (nbclient, nbconvert) it is drawn at
once. Without Graphviz the map is its text outline, with how to install it.
Nothing here raises at a learner: problems are one line that says what to do.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from kklab.cluster.talking import in_words
from kklab.mapping import NamespaceMap, map_lab, map_namespace

MAP_USAGE = "✗ use `%kklab map` (the open lab) or `%kklab map --lab 07-storage`"


def _read(lab: str | None) -> NamespaceMap:
    """The map of a named lab, else of the notebook's open lab, else of the namespace a
    classroom sandbox confines this kernel to (``KKLAB_NAMESPACE``)."""
    if lab is not None:
        return map_lab(lab)
    from kklab.connecting import confined_connection
    from kklab.errors import KklabError
    from kklab.notebook.current import current_session

    try:
        session = current_session()
    except KklabError:
        confined = confined_connection()
        if confined is None:
            raise
        return map_namespace(confined.api_client, confined.namespace)
    return map_namespace(session.api_client, session.namespace)


def summary(drawn: NamespaceMap) -> str:
    """The line under a map: what it shows and how long it took.

    Example:
        >>> from kklab.mapping import Snapshot, map_snapshot
        >>> summary(map_snapshot(Snapshot("lab-01", ()), draw=False))
        'lab-01: 0 objects, 0 relations (read in 0.00 s)'
    """
    graph = drawn.graph
    text = f"{graph.namespace}: {len(graph.nodes)} objects, {len(graph.edges)} relations"
    text += f" (read in {drawn.read_s:.2f} s"
    if drawn.rendering.svg:
        text += f", drawn in {drawn.rendering.seconds:.2f} s"
    return text + ")"


def display_items(drawn: NamespaceMap) -> list[Any]:
    """The SVG and the summary line under it, for ``display``; empty when not drawn."""
    from IPython.display import HTML

    if drawn.rendering.svg:
        return [HTML(drawn.rendering.svg), HTML(f"<small>{summary(drawn)}</small>")]
    return []


def show_map(lab: str | None = None) -> None:
    """Read and draw the map of ``lab`` (default: the notebook's open lab)."""
    from kklab.notebook.checking import widgets_enabled

    if widgets_enabled():
        MapView(lab).start()
        return
    try:
        drawn = _read(lab)
    except Exception as err:  # the cluster's problems in words, never a traceback
        print(f"✗ {in_words(err)}")
        return
    items = display_items(drawn)
    if items:
        from IPython.display import display

        display(*items)
    else:
        print(drawn.text())


class MapView:
    """A status line and an output area; the map is read and drawn on a thread."""

    def __init__(self, lab: str | None) -> None:
        import ipywidgets as widgets

        self.lab = lab
        self.status = widgets.HTML("Reading the cluster…")
        self.output = widgets.Output()
        self.done = threading.Event()

    def start(self) -> None:
        import ipywidgets as widgets
        from IPython.display import display

        display(widgets.VBox([self.status, self.output]))
        started = time.monotonic()

        def tick() -> None:
            while not self.done.wait(0.5):
                self.status.value = f"Reading the cluster… {time.monotonic() - started:.0f} s"

        def work() -> None:
            try:
                drawn = _read(self.lab)
                items = display_items(drawn)
                for item in items:
                    self.output.append_display_data(item)
                if not items:
                    self.output.append_stdout(drawn.text() + "\n")
                self.status.value = ""
            except Exception as err:  # never a traceback in front of a learner
                self.output.append_stdout(f"✗ {in_words(err)}\n")
                self.status.value = ""
            finally:
                self.done.set()

        threading.Thread(target=tick, daemon=True).start()
        threading.Thread(target=work, daemon=True).start()
