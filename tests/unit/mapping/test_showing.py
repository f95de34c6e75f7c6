"""``%kklab map`` and ``kklab map``: the map shown, every problem one line, never a traceback."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kklab import cli, mapping
from kklab.errors import ClusterError
from kklab.mapping import NamespaceMap, map_snapshot
from kklab.mapping.reading import Snapshot
from kklab.notebook import magics, maps

RECORDED = Path(__file__).parent / "recorded"


def _drawn(draw: bool = False) -> NamespaceMap:
    snapshot = Snapshot.from_json((RECORDED / "lab-03-probes.json").read_text(encoding="utf-8"))
    return map_snapshot(snapshot, draw=draw)


def test_the_magic_says_how_to_use_it(capsys: pytest.CaptureFixture[str]) -> None:
    magics.kklab_magic("mop")
    assert capsys.readouterr().out.strip() == maps.MAP_USAGE


def test_the_magic_without_widgets_prints_the_outline_when_nothing_is_drawn(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KKLAB_WIDGETS", "0")
    asked: list[str | None] = []
    monkeypatch.setattr(maps, "_read", lambda lab: asked.append(lab) or _drawn())
    magics.kklab_magic("map --lab 03")
    assert asked == ["03"]
    assert capsys.readouterr().out.startswith("Map of namespace lab-03-probes")


def test_the_magic_puts_a_missing_cluster_in_words(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KKLAB_WIDGETS", "0")

    def down(lab: str | None) -> NamespaceMap:
        raise ClusterError("no cluster is up", fix="run `kklab up`")

    monkeypatch.setattr(maps, "_read", down)
    magics.kklab_magic("map")
    out = capsys.readouterr().out
    assert out == "✗ no cluster is up: run `kklab up`\n"


def test_the_widget_reads_on_a_thread_and_shows_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    displayed: list[object] = []
    monkeypatch.setattr("IPython.display.display", lambda *items: displayed.extend(items))

    def slow(lab: str | None) -> NamespaceMap:
        assert release.wait(20), "the test never released the read"
        return _drawn()

    monkeypatch.setattr(maps, "_read", slow)
    view = maps.MapView(None)
    view.start()  # returns while the read waits: the kernel is free
    assert not view.done.is_set() and displayed
    release.set()
    assert view.done.wait(20)
    printed = "".join(str(output.get("text", "")) for output in view.output.outputs)
    assert printed.startswith("Map of namespace lab-03-probes")


def test_the_command_prints_the_outline_the_dot_or_writes_the_svg(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(mapping, "map_lab", lambda lab, draw=True: _drawn(draw))
    assert cli.main(["map", "--lab", "03"]) == cli.EXIT_OK
    assert capsys.readouterr().out.startswith("Map of namespace lab-03-probes")
    assert cli.main(["map", "--lab", "03", "--dot"]) == cli.EXIT_OK
    assert capsys.readouterr().out.startswith('digraph "namespace lab-03-probes"')
    if mapping.rendering.find_dot() is not None:
        target = tmp_path / "map.svg"
        assert cli.main(["map", "--lab", "03", "--svg", str(target)]) == cli.EXIT_OK
        assert target.read_text(encoding="utf-8").startswith("<svg")


def test_the_command_without_graphviz_asked_for_svg_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(mapping, "map_lab", lambda lab, draw=True: _drawn(draw))
    assert cli.main(["map", "--svg", str(tmp_path / "map.svg")]) == cli.EXIT_TROUBLE
    err = capsys.readouterr().err
    assert "apt install graphviz" in err and "Traceback" not in err


def test_after_a_failed_check_the_widget_draws_the_map_with_what_it_looked_at_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from kklab.grading.results import CheckResult, ExerciseResult, LabResult
    from kklab.notebook import widgets

    failed = CheckResult(
        "03-probes",
        "2",
        "catalog-has-endpoints",
        "Catalog is served",
        "failed",
        0,
        2,
        subject="v1 Service lab-03-probes/catalog",
    )
    result = LabResult("03-probes", "Probes", (ExerciseResult("03-probes", "2", "t", (failed,)),))
    asked: list[tuple[str, ...]] = []

    def fake_map(api_client: object, namespace: str, *, marked: tuple[str, ...]) -> NamespaceMap:
        asked.append(tuple(marked))
        snapshot = Snapshot.from_json((RECORDED / "lab-03-probes.json").read_text("utf-8"))
        return map_snapshot(snapshot, marked=marked, draw=False)

    monkeypatch.setattr(widgets, "map_namespace", fake_map)
    monkeypatch.setattr(widgets.CheckWidget, "_solution_text", lambda self: "")
    session = SimpleNamespace(lab=SimpleNamespace(id="03-probes"), api_client=None, namespace="ns")
    widget = widgets.CheckWidget(session, SimpleNamespace(), "2")  # type: ignore[arg-type]
    assert widget.map_button.layout.display == "none"
    widget.result = result
    widget._show()
    assert widget.map_button.layout.display is None  # shown after a failure
    widget._on_map(None)
    finished = time.monotonic() + 10
    while "map drawn" not in widget.status.value and time.monotonic() < finished:
        time.sleep(0.05)
    assert asked == [("Endpoints/catalog", "Service/catalog")]
    printed = "".join(str(output.get("text", "")) for output in widget.output.outputs)
    assert "» Service catalog" in printed and "» Endpoints catalog" in printed


def test_without_an_open_lab_the_magic_maps_a_classroom_sandbox_or_says_to_open_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from kklab import connecting
    from kklab.errors import KklabError
    from kklab.notebook import current

    monkeypatch.setattr(current, "_current", {})  # no lab open
    mapped: list[str] = []
    monkeypatch.setattr(maps, "map_namespace", lambda client, ns: mapped.append(ns) or _drawn())
    monkeypatch.setattr(connecting, "confined_connection", lambda: None)
    with pytest.raises(KklabError, match="no lab is open"):
        maps._read(None)
    sandbox = SimpleNamespace(api_client=object(), namespace="kklab-01-pods-ada-1a2b")
    monkeypatch.setattr(connecting, "confined_connection", lambda: sandbox)
    maps._read(None)
    assert mapped == ["kklab-01-pods-ada-1a2b"]
