"""IPython magics: ``%lab``, ``%%apply``, ``%kubectl`` and ``%kklab map``; and
``kubectl_output()``, kubectl's output as text for Python code.

Every problem is shown as one sentence that says what to do; a learner never
sees a traceback from these magics.
"""

from __future__ import annotations

import shlex
from typing import Any

from kklab.cluster.talking import explain, in_words
from kklab.errors import KklabError
from kklab.notebook.checking import open_lab
from kklab.notebook.current import current_session


def _explain(err: BaseException) -> None:
    print(f"✗ {in_words(err)}")


def lab_magic(line: str) -> None:
    """``%lab 01-pods [--seed S]``: start (or rejoin) a lab, your variant, and show progress."""
    words = line.split()
    seed = None
    if len(words) == 3 and words[1] == "--seed":
        seed = words[2]
    elif len(words) != 1:
        print("✗ name the lab, e.g. `%lab 01-pods` (or `%lab 01-pods --seed S` for a variant)")
        return
    try:
        open_lab(words[0], seed)
    except Exception as err:  # the cluster's problems too, in words: never a traceback
        _explain(err)


def apply_magic(line: str, cell: str) -> None:
    """``%%apply``: apply the cell's YAML to the lab namespace."""
    if not cell.strip() or all(
        not text.strip() or text.lstrip().startswith("#") for text in cell.splitlines()
    ):
        print("✗ this cell has no manifest yet: write the YAML below `%%apply`, then run it")
        return
    try:
        applied = current_session().apply(cell)
    except KklabError as err:
        _explain(err)
        return
    except Exception as err:  # the cluster's problems in words; anything else is the manifest's
        explained = explain(err)
        _explain(
            explained
            or KklabError(
                f"{type(err).__name__}: {err}", fix="fix the manifest and run the cell again"
            )
        )
        return
    for item in applied:
        print(item.describe())


def _words(line: str) -> list[str] | None:
    """The words of a kubectl command line, or None (and why, printed) if it cannot be read."""
    try:
        return shlex.split(line)
    except ValueError as err:
        print(f"✗ cannot read that command line: {err}")
        return None


def kubectl_magic(line: str) -> None:
    """``%kubectl get pods``: kubectl with the lab's kubeconfig and namespace."""
    args = _words(line)
    if args is None:
        return
    if "|" in args:
        print(
            "✗ %kubectl runs kubectl alone, without a shell: drop the `| ...` part, "
            "or run the whole line in a JupyterLab terminal"
        )
        return
    try:
        print(current_session().kubectl(args))
    except Exception as err:
        _explain(err)


def kubectl_output(command: str) -> str:
    """kubectl's output as text, for Python code: what ``%kubectl`` would print.

    Example (in a lab's notebook)::

        node = kubectl_output("get nodes -o jsonpath={.items[0].metadata.name}")

    A problem (no lab open, a line that cannot be read) is printed as one sentence
    and gives ``""``; kubectl's own errors are in the text, as in a terminal.
    """
    args = _words(command)
    if args is None:
        return ""
    try:
        return current_session().kubectl(args)
    except Exception as err:
        _explain(err)
        return ""


def kklab_magic(line: str) -> None:
    """``%kklab map [--lab 07-storage]``: draw the lab namespace's objects and relations."""
    from kklab.notebook.maps import MAP_USAGE, show_map

    words = line.split()
    if words == ["map"]:
        show_map()
    elif len(words) == 3 and words[0] == "map" and words[1] == "--lab":
        show_map(words[2])
    else:
        print(MAP_USAGE)


def register(ipython: Any) -> None:
    ipython.register_magic_function(lab_magic, "line", "lab")
    ipython.register_magic_function(apply_magic, "cell", "apply")
    ipython.register_magic_function(kubectl_magic, "line", "kubectl")
    ipython.register_magic_function(kklab_magic, "line", "kklab")
