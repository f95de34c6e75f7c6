"""Adding a cluster's context to the learner's kubeconfig, and taking it out again.

Only the cluster, user and context entries with kklab's name are touched;
everything else in the file is kept as it was.

Example:
    >>> merged = merge({"clusters": [{"name": "other"}]},
    ...                {"clusters": [{"name": "kklab-local"}], "users": [], "contexts": []},
    ...                "kklab-local")
    >>> [c["name"] for c in merged["clusters"]]
    ['other', 'kklab-local']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

SECTIONS = ("clusters", "users", "contexts")


def default_path() -> Path:
    """The file kubectl reads first: the first entry of KUBECONFIG, or ~/.kube/config."""
    configured = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(configured) if configured else Path.home() / ".kube" / "config"


def merge(existing: dict[str, Any], ours: dict[str, Any], name: str) -> dict[str, Any]:
    """``existing`` with our entries named ``name`` replaced or added; current context ours."""
    merged: dict[str, Any] = dict(existing) if existing else {"apiVersion": "v1", "kind": "Config"}
    for section in SECTIONS:
        kept = [entry for entry in merged.get(section) or [] if entry.get("name") != name]
        merged[section] = kept + [e for e in ours.get(section) or [] if e.get("name") == name]
    merged["current-context"] = name
    return merged


def remove(existing: dict[str, Any], name: str) -> dict[str, Any]:
    """``existing`` without our entries; the current context cleared if it was ours."""
    cleaned = dict(existing)
    for section in SECTIONS:
        cleaned[section] = [e for e in cleaned.get(section) or [] if e.get("name") != name]
    if cleaned.get("current-context") == name:
        cleaned["current-context"] = ""
    return cleaned


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text()) or {}
    return loaded if isinstance(loaded, dict) else {}


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".kklab-partial")
    partial.write_text(yaml.safe_dump(data, sort_keys=False))
    partial.chmod(0o600)
    partial.replace(path)


def add_context(ours: dict[str, Any], name: str, path: Path | None = None) -> Path:
    """Merge our context into the learner's kubeconfig and make it current."""
    target = path or default_path()
    _save(target, merge(_load(target), ours, name))
    return target


def remove_context(name: str, path: Path | None = None) -> None:
    """Take our entries out of the learner's kubeconfig (no-op when absent)."""
    target = path or default_path()
    if target.exists():
        _save(target, remove(_load(target), name))
