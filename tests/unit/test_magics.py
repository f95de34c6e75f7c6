"""The notebook's kubectl helpers say what is wrong in one line, never with a traceback."""

from __future__ import annotations

import pytest

from kklab.notebook import current, magics


def test_kubectl_output_without_an_open_lab_says_to_run_the_first_cell(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(current, "_current", {})
    assert magics.kubectl_output("get nodes -o name") == ""
    printed = capsys.readouterr().out
    assert printed.startswith("✗ no lab is open in this notebook")
    assert "%lab NN-topic" in printed


def test_kubectl_output_of_an_unreadable_line_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert magics.kubectl_output("get pods -l 'app=web") == ""
    assert capsys.readouterr().out.startswith("✗ cannot read that command line")
