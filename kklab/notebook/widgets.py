"""The Check widget and the lab header (ipywidgets 8).

Everything a callback shows goes through an ``Output`` widget (a ``print``
in a callback would vanish in JupyterLab), and grading runs on a thread.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import ipywidgets as widgets
from IPython.display import HTML, Markdown, display

from kklab.cluster.talking import in_words
from kklab.errors import KklabError
from kklab.grading import render_html
from kklab.grading.results import LabResult
from kklab.grading.spec import Lab
from kklab.labs import lifecycle
from kklab.labs.session import LabSession
from kklab.mapping import map_namespace
from kklab.mapping.marking import looked_at
from kklab.notebook import current
from kklab.notebook.maps import display_items

_header: dict[str, Any] = {}


def show_lab_header(session: LabSession, spec: Lab) -> None:
    """A progress bar of points earned out of the lab's total."""
    bar = widgets.FloatProgress(
        min=0, max=1, bar_style="success", layout=widgets.Layout(width="40%")
    )
    label = widgets.HTML()
    _header.update(bar=bar, label=label, lab=session.lab.id, spec=spec)
    refresh_header()
    display(widgets.HBox([widgets.HTML(f"<b>{spec.title}</b>&nbsp;"), bar, label]))


def refresh_header() -> None:
    if not _header:
        return
    line = current.progress_line(_header["lab"], _header["spec"])
    earned, possible = line.split(": ", 1)[1].split(" points")[0].split("/")
    _header["bar"].max = max(float(possible), 1.0)
    _header["bar"].value = float(earned)
    _header["label"].value = line.split(": ", 1)[1]


class CheckWidget:
    """Check, hint, solution and reset controls for one exercise; after a failed check,
    a button that draws the lab's map with the objects the failed checks looked at marked."""

    def __init__(self, session: LabSession, spec: Lab, exercise: str) -> None:
        self.session, self.spec, self.exercise = session, spec, exercise
        self.result: LabResult | None = None
        self.hint_level = 1
        self.check_button = widgets.Button(
            description=f"Check exercise {exercise}", button_style="primary", icon="check"
        )
        self.hint_button = widgets.Button(description="Show another hint", disabled=True)
        self.solution_button = widgets.Button(description="Show solution")
        self.reset_button = widgets.Button(description="Reset exercise", icon="undo")
        self.map_button = widgets.Button(description="Show the map", icon="sitemap")
        self.map_button.layout.display = "none"  # shown once a check has failed
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.check_button.on_click(self._on_check)
        self.hint_button.on_click(self._on_hint)
        self.solution_button.on_click(self._on_solution)
        self.reset_button.on_click(self._on_reset)
        self.map_button.on_click(self._on_map)
        self.solution_button.layout.display = None if self._solution_text() else "none"

    def display(self) -> None:
        controls = widgets.HBox(
            [
                self.check_button,
                self.hint_button,
                self.solution_button,
                self.map_button,
                self.reset_button,
                self.status,
            ]
        )
        display(widgets.VBox([controls, self.output]))

    def _busy(self, busy: bool) -> None:
        for button in (self.check_button, self.reset_button, self.map_button):
            button.disabled = busy

    def _on_check(self, _button: Any) -> None:
        self._busy(True)
        started = time.monotonic()
        finished = threading.Event()

        def tick() -> None:
            while not finished.wait(0.5):
                self.status.value = f"Checking… {time.monotonic() - started:.0f} s"

        def work() -> None:
            try:
                self.result = current.run_checks(self.exercise)
                self.hint_level = 1
                self._show()
            except Exception as err:  # never a traceback in front of a learner
                self._message(f"✗ {in_words(err)}")
            finally:
                finished.set()
                self.status.value = f"checked in {time.monotonic() - started:.1f} s"
                self._busy(False)
                refresh_header()

        threading.Thread(target=tick, daemon=True).start()
        threading.Thread(target=work, daemon=True).start()

    def _show(self) -> None:
        if self.result is None:
            return
        self.output.outputs = ()  # clear_output() from a thread keeps the old output
        self.output.append_display_data(HTML(render_html(self.result, hint_level=self.hint_level)))
        self.hint_button.disabled = self.result.passed
        self.map_button.layout.display = "none" if self.result.passed else None

    def _message(self, text: str) -> None:
        self.output.outputs = ()  # clear_output() from a thread keeps the old output
        self.output.append_stdout(text + "\n")

    def _on_hint(self, _button: Any) -> None:
        self.hint_level += 1
        self._show()

    def _solution_text(self) -> str:
        try:
            answers = self.session.model().exercise(self.exercise).answers
        except KklabError:
            return ""
        return "\n\n".join(answer.source for answer in answers)

    def _on_solution(self, _button: Any) -> None:
        text = self._solution_text()
        self.output.outputs = ()  # clear_output() from a thread keeps the old output
        self.output.append_display_data(Markdown(f"**A solution:**\n\n```\n{text}\n```"))

    def _on_map(self, _button: Any) -> None:
        """Draw the map under the report, the failed checks' objects marked (on a thread)."""
        if self.result is None:
            return
        self._busy(True)
        marked = looked_at(self.result.checks)
        started = time.monotonic()

        def work() -> None:
            try:
                self.status.value = "Drawing the map…"
                drawn = map_namespace(
                    self.session.api_client, self.session.namespace, marked=marked
                )
                items = display_items(drawn)
                for item in items:
                    self.output.append_display_data(item)
                if not items:
                    self.output.append_stdout(drawn.text() + "\n")
                self.status.value = f"map drawn in {time.monotonic() - started:.1f} s"
            except Exception as err:  # never a traceback in front of a learner
                self.output.append_stdout(f"✗ {in_words(err)}\n")
                self.status.value = ""
            finally:
                self._busy(False)

        threading.Thread(target=work, daemon=True).start()

    def _on_reset(self, _button: Any) -> None:
        self._busy(True)

        def work() -> None:
            try:
                gone = lifecycle.reset_exercise(self.session, self.exercise)
                self._message(
                    "Deleted: " + ", ".join(gone)
                    if gone
                    else "Nothing of this exercise was found to delete."
                )
            except Exception as err:
                self._message(f"✗ {in_words(err)}")
            finally:
                self._busy(False)

        threading.Thread(target=work, daemon=True).start()
