"""DOT text to SVG with Graphviz's ``dot``: a result, never an exception.

``dot`` runs as a subprocess with a timeout. When it is not installed, or fails,
the :class:`Rendering` says so in words and how to fix it, and the caller shows
the map's text outline instead.

Example:
    >>> rendering = render_svg("digraph { a -> b }", dot_path="/no/such/dot")
    >>> rendering.svg, rendering.problem.startswith("Graphviz is not installed")
    ('', True)
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from typing import Final

DOT_TIMEOUT_S: Final = 20.0
"""Longest wait for ``dot`` to lay out one map."""

INSTALL_HINT: Final = (
    "install it to draw maps: `sudo apt install graphviz` (Debian, Ubuntu) "
    "or `brew install graphviz` (macOS)"
)


@dataclass(frozen=True)
class Rendering:
    """An SVG drawn by Graphviz, or why there is none."""

    svg: str
    """The SVG document (starting at ``<svg``), or empty when it could not be drawn."""

    problem: str = ""
    """Why there is no SVG and what to do, in words; empty when drawn."""

    seconds: float = 0.0
    """How long ``dot`` took."""


def find_dot() -> str | None:
    """The path of Graphviz's ``dot``, or None when it is not installed."""
    return shutil.which("dot")


def render_svg(
    dot_text: str, *, dot_path: str | None = None, timeout_s: float = DOT_TIMEOUT_S
) -> Rendering:
    """Lay out ``dot_text`` with ``dot -Tsvg`` (at ``dot_path``, default: on PATH)."""
    program = dot_path or find_dot()
    if program is None or (dot_path is not None and shutil.which(dot_path) is None):
        return Rendering(
            "", f"Graphviz is not installed, so the map is shown as text; {INSTALL_HINT}"
        )
    started = time.monotonic()
    try:
        completed = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Rendering("", f"Graphviz took more than {timeout_s:g} s to draw the map")
    except OSError as error:
        return Rendering("", f"Graphviz could not run ({error}); {INSTALL_HINT}")
    seconds = time.monotonic() - started
    output = completed.stdout.decode("utf-8", "replace")
    if completed.returncode != 0 or "<svg" not in output:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        last = message[-1] if message else f"exit status {completed.returncode}"
        return Rendering("", f"Graphviz could not draw the map: {last}", seconds)
    return Rendering(output[output.index("<svg") :], "", seconds)
