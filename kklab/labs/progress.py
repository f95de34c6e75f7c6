"""The learner's progress: the best result of each exercise, kept between sessions.

Stored as JSON in ``state_dir()/progress.json``; written whenever a check
runs (the notebook's Check button or ``kklab check``), read by ``kklab lab
list`` and the notebook's progress bar.

Example:
    >>> import tempfile, pathlib
    >>> store = pathlib.Path(tempfile.mkdtemp()) / "progress.json"
    >>> record("07-storage", "1", earned=2, possible=3, path=store)
    >>> record("07-storage", "1", earned=1, possible=3, path=store)  # the best is kept
    >>> summary("07-storage", path=store)
    {'1': {'earned': 2, 'possible': 3}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kklab.paths import state_dir


def _path(path: Path | None) -> Path:
    return path or state_dir() / "progress.json"


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(
    lab: str, exercise: str, *, earned: int, possible: int, path: Path | None = None
) -> None:
    """Remember an exercise's result, keeping the best points seen."""
    target = _path(path)
    data = _load(target)
    previous = data.setdefault(lab, {}).get(exercise, {})
    if earned >= previous.get("earned", -1) or possible != previous.get("possible"):
        data[lab][exercise] = {"earned": earned, "possible": possible}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True))
    partial.replace(target)


def summary(lab: str, path: Path | None = None) -> dict[str, dict[str, int]]:
    """Each exercise's best result for ``lab``."""
    found = _load(_path(path)).get(lab, {})
    return {k: dict(v) for k, v in found.items()} if isinstance(found, dict) else {}


def forget(lab: str, path: Path | None = None) -> None:
    """Drop a lab's progress (after a full reset)."""
    target = _path(path)
    data = _load(target)
    if data.pop(lab, None) is not None:
        target.write_text(json.dumps(data, indent=1, sort_keys=True))
