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

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

if TYPE_CHECKING:
    from kklab.labs.catalogue import LabDefinition

STUB = "# Write your answer here, then run this cell."


def student_version(source: Path | Any) -> Any:
    """The notebook at ``source`` (a path or a notebook) as a learner receives it."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    if isinstance(source, Path):
        notebook = nbformat.read(str(source), as_version=4)
    else:
        notebook = nbformat.from_dict(copy.deepcopy(dict(source)))
    resources: dict[str, Any] = {}
    for preprocessor in (
        ClearSolutions(code_stub={"python": STUB}, enforce_metadata=True),
        ClearHiddenTests(enforce_metadata=True),
        ClearOutput(),
    ):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    return notebook


def write_workspace(
    labs: list[LabDefinition], workspace: Path, seed: str | None = None
) -> list[tuple[Path, str]]:
    """Write each lab's learner copy into ``workspace/NN-topic/``; keep existing work.

    Each copy is built for the learner's variant: ``seed``, else the seed the
    lab already has here, else a new random one, which is then remembered so
    ``kklab check`` grades the same variant. Returns (notebook, seed) pairs.
    """
    from kklab.labs.building import built_notebook
    from kklab.labs.variants import DEFAULT_SEED, new_seed, record_seed, recorded_seeds

    written = []
    known = recorded_seeds()
    for lab in labs:
        target = workspace / lab.id / lab.notebook.name
        if target.exists():
            continue  # the learner's own answers are never overwritten
        chosen = seed or known.get(lab.id) or (new_seed() if lab.setup.parameters else DEFAULT_SEED)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_version(built_notebook(lab, chosen)), str(target))
        record_seed(lab.id, chosen)
        written.append((target, chosen))
    return written
