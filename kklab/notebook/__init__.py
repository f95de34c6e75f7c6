"""kklab inside Jupyter: the magics and the Check widget.

In a notebook::

    %load_ext kklab.notebook
    %lab 01-pods            # start the lab (idempotent) and show its progress

then ``%%apply`` cells, ``%kubectl`` lines, ``%kklab map`` for a drawing of the
lab's objects and their relations, ``kubectl_output("get nodes -o name")`` for
kubectl's output as a Python string, ``check("3")`` for the Check
widget of exercise 3, and ``autograde("3")`` in nbgrader's test cells.
"""

from __future__ import annotations

from typing import Any

from kklab.notebook.checking import autograde, check, open_lab
from kklab.notebook.current import current_session

__all__ = ["autograde", "check", "current_session", "load_ipython_extension", "open_lab"]


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%lab``, ``%%apply``, ``%kubectl``, ``%kklab``; make check, autograde and
    kubectl_output global."""
    from kklab.notebook.magics import kubectl_output, register

    register(ipython)
    ipython.push({"check": check, "autograde": autograde, "kubectl_output": kubectl_output})
