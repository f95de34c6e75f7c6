"""The map of a lab's solved state on its site page, drawn from a recorded state.

No cluster at site build: the lab tests record the lab namespace once every
exercise is solved (``labs/NN-topic/solved-map.json``, see
:mod:`kklab.mapping.recording`); this module draws it with Graphviz into a
Markdown cell appended to the lab page. The SVG is inlined as a data URI (no
request leaves the page) and its ``alt`` text is the map's outline, so the
picture reads in words too. Without Graphviz the outline is shown instead; a lab
never recorded gets no section.

Example:
    >>> from pathlib import Path
    >>> solved_map_markdown(Path("/nowhere/99-demo"), "lab-99-demo") is None
    True
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Final

from kklab.mapping import map_snapshot
from kklab.mapping.recording import recorded

MAP_CLASS: Final = "kklab-map"
"""CSS class of the figure (the browser test looks for it)."""

HEADING: Final = "## The solved state"


def solved_map_markdown(lab_folder: Path, lab_namespace: str) -> str | None:
    """The page section that shows the lab's solved state, or None when never recorded."""
    snapshot = recorded(lab_folder)
    if snapshot is None:
        return None
    drawn = map_snapshot(snapshot)
    outline = drawn.text()
    intro = (
        f"{HEADING}\n\n"
        f"The objects in `{lab_namespace}` once every exercise is solved, and how they relate, "
        "as recorded when the lab's tests last ran. In the notebook, `%kklab map` draws "
        "your own.\n\n"
    )
    if not drawn.rendering.svg:
        return intro + f'<pre class="{MAP_CLASS}">{html.escape(outline)}</pre>\n'
    encoded = base64.b64encode(drawn.rendering.svg.encode("utf-8")).decode("ascii")
    alt = html.escape(outline, quote=True).replace("\n", "&#10;")
    return (
        intro + f'<figure class="{MAP_CLASS}"><img alt="{alt}" '
        f'src="data:image/svg+xml;base64,{encoded}"/></figure>\n'
    )
