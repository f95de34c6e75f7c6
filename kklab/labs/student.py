"""The learner's copy of a lab notebook: solutions and hidden tests removed.

Made with nbgrader's own preprocessors, so it is exactly what ``nbgrader
generate_assignment`` gives a class, with one difference that matters here:
the code stub left in an answer cell is a comment, not ``raise
NotImplementedError()``, because answer cells are often ``%%apply`` YAML or
``%kubectl`` lines, where a Python statement would make no sense.

Example:
    >>> STUB
    '# Write your answer here, then run this cell.'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

STUB = "# Write your answer here, then run this cell."


def student_version(source: Path) -> Any:
    """The notebook at ``source`` as a learner receives it."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    notebook = nbformat.read(str(source), as_version=4)
    resources: dict[str, Any] = {}
    for preprocessor in (
        ClearSolutions(code_stub={"python": STUB}, enforce_metadata=True),
        ClearHiddenTests(enforce_metadata=True),
        ClearOutput(),
    ):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    return notebook


def write_workspace(labs: list[Path], workspace: Path) -> list[Path]:
    """Write each lab's learner copy into ``workspace/NN-topic/``; keep existing work."""
    written = []
    for source in labs:
        target = workspace / source.parent.name / source.name
        if target.exists():
            continue  # the learner's own answers are never overwritten
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_version(source), str(target))
        written.append(target)
    return written
