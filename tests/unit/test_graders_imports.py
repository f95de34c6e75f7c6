"""graders/NN-topic.py import nothing of kklab but its author-facing module, kklab.checks."""

from __future__ import annotations

import ast
from pathlib import Path

GRADERS = Path(__file__).resolve().parents[2] / "graders"


def test_graders_import_nothing_of_kklab_but_kklab_checks() -> None:
    for path in sorted(GRADERS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        kklab = sorted(name for name in imported if name.split(".")[0] == "kklab")
        assert kklab in ([], ["kklab.checks"]), f"{path.name} imports {kklab}"
