"""``kklab classroom validate``: nbgrader's validate, run in a sandbox of its own.

``nbgrader validate`` runs a notebook with nbgrader's own Execute step, which
no configuration replaces: the cells would run in the teacher's kernel and lab
namespace, and the test cells would be judged by their Python output. kklab's
validate runs nbgrader's Validator with ``KklabExecute`` in that step instead:
the notebook runs in a fresh sandbox namespace (as a submission does, deleted
afterwards), its test cells are graded from the cluster, and nbgrader prints
its usual verdict ("Success! Your notebook passes all the tests." or the cells
that failed, each with kklab's report). The teacher's own lab namespace is
never touched, so nothing needs resetting first.

Example:
    >>> validators = [p.__name__ for p in preprocessors()]
    >>> validators
    ['CheckCellMetadata', 'ClearOutput', 'KklabExecute']
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from kklab.errors import KklabError


def preprocessors() -> list[type]:
    """nbgrader validate's steps, with kklab's sandboxed Execute in place of nbgrader's."""
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput

    from kklab.classroom.execute import KklabExecute

    return [CheckCellMetadata, ClearOutput, KklabExecute]


def _course_config(course: Path) -> Any:
    """The course's ``nbgrader_config.py`` (kklab's settings and the teacher's)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    if not (course / "nbgrader_config.py").is_file():
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def validate(course: Path, notebook: Path) -> tuple[bool, str]:
    """Validate ``notebook`` in a sandbox; (whether it passes, nbgrader's printed verdict).

    Raises ``KklabError`` when the notebook does not exist.
    """
    from nbgrader.validator import Validator

    if not notebook.is_file():
        raise KklabError(
            f"there is no notebook {notebook}",
            fix="give a notebook's path, e.g. source/01-pods/01-pods.ipynb",
        )
    validator = Validator(config=_course_config(course))
    validator.preprocessors = preprocessors()
    printed = io.StringIO()
    validator.stream = printed
    validator.validate_and_print(str(notebook.resolve()))
    verdict = printed.getvalue()
    return "Success!" in verdict, verdict
