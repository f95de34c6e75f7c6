"""What ``kklab check``, ``kklab graders lint`` and ``kklab.grade()`` call.

Each command function returns ``(exit code, text to print)`` and never raises
for a learner-facing problem: a missing cluster or an unreachable API server
becomes ``error`` results, an unknown lab a one-line message.

- :func:`check_command`: grade a lab (or one exercise); exit 0 only when every
  check passed, 1 when one failed, 2 when one could not be checked.
- :func:`grade_lab`: the Python surface (``kklab.grade(lab, exercise=None)``),
  a :class:`LabResult` that a notebook displays as HTML.

A lab ``NN-topic`` is graded in the namespace ``lab-NN-topic``
(:func:`lab_namespace`); its grader is ``graders/NN-topic.yaml``.

Example:
    >>> lab_namespace("07-storage")
    'lab-07-storage'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from kklab.errors import ClusterError, KklabError
from kklab.grading.engine import grade, grade_with
from kklab.grading.loading import grader_paths, load_lab
from kklab.grading.rendering import render_json, render_text
from kklab.grading.results import LabResult
from kklab.grading.spec import GraderSpecError, Lab
from kklab.grading.transport import ExecOutput
from kklab.labs import lab_namespace as lab_namespace

ROOT: Final = Path(__file__).resolve().parent.parent.parent
GRADERS_DIR: Final = ROOT / "graders"
LABS_DIR: Final = ROOT / "labs"


def find_grader(lab: str, graders_dir: Path | None = None) -> Path:
    """The grader file of ``lab``, given as ``07-storage``, ``07`` or ``7``.

    Raises a :class:`GraderSpecError` naming the labs that exist otherwise.
    """
    directory = graders_dir or GRADERS_DIR
    paths = grader_paths(directory)
    wanted = lab.strip().removesuffix(".yaml")
    if wanted.isdigit():
        wanted = f"{int(wanted):02d}"
    for path in paths:
        if path.stem == wanted or path.stem.split("-", 1)[0] == wanted:
            return path
    known = ", ".join(path.stem for path in paths) or "none yet"
    raise GraderSpecError(
        f'there is no lab "{lab}"', fix=f"use one of: {known}", source=str(directory)
    )


class _NoCluster:
    """A transport for when no cluster runs: every request is a ClusterError."""

    def __init__(self, problem: ClusterError) -> None:
        self.problem = problem

    @property
    def host(self) -> str:
        return "(no cluster)"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise self.problem

    def exec(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        command: Sequence[str],
        timeout_s: float,
    ) -> ExecOutput:
        raise self.problem


def _load_grader(lab: str, graders_dir: Path | None) -> Lab:
    """The grader of ``lab``, with the variant the learner works on when it has parameters."""
    path = find_grader(lab, graders_dir)
    from kklab.labs import LabError, find_lab
    from kklab.labs.variants import seed_for

    try:
        definition = find_lab(path.stem)
    except LabError:  # a grader without a lab folder (tests): no parameters
        return load_lab(path)
    return load_lab(path, values=definition.values(seed_for(definition.id)))


def grade_lab(
    lab: str | Lab,
    exercise: str | None = None,
    *,
    api_client: Any = None,
    namespace: str | None = None,
    graders_dir: Path | None = None,
    include_hidden: bool = False,
    timeout_s: float | None = None,
) -> LabResult:
    """Grade a lab (id, number or loaded :class:`Lab`) or one of its exercises.

    ``api_client`` defaults to the cluster that is up (``kklab.connect``),
    ``namespace`` to the lab's. Cluster problems become ``error`` results; an unknown
    lab or exercise, or an invalid grader, raises :class:`GraderSpecError`.
    """
    loaded = lab if isinstance(lab, Lab) else _load_grader(lab, graders_dir)
    where = namespace or lab_namespace(loaded.id)
    if api_client is None:
        from kklab.connecting import connect

        try:
            connection = connect(loaded.id)  # local, kind, existing or a classroom sandbox
            api_client, where = connection.api_client, namespace or connection.namespace
        except ClusterError as error:
            return grade_with(
                _NoCluster(error),
                where,
                loaded,
                exercise,
                include_hidden=include_hidden,
                timeout_s=timeout_s,
            )
        except Exception as error:  # a broken kubeconfig: still a result, not a traceback
            broken = ClusterError(f"cannot reach the cluster ({error})", fix="run `kklab status`")
            return grade_with(_NoCluster(broken), where, loaded, exercise)
    return grade(
        api_client,
        where,
        loaded,
        exercise,
        include_hidden=include_hidden,
        timeout_s=timeout_s,
    )


def exit_code(result: LabResult) -> int:
    """0 when every check passed, 2 when one could not be checked, else 1.

    Example:
        >>> exit_code(LabResult("07-storage", "Storage"))  # no checks: not a pass
        1
    """
    if result.passed:
        return 0
    return 2 if result.count("error") else 1


def check_command(
    lab: str,
    exercise: str | None = None,
    *,
    as_json: bool = False,
    api_client: Any = None,
    namespace: str | None = None,
    graders_dir: Path | None = None,
    include_hidden: bool = False,
    hint_level: int = 1,
) -> tuple[int, str]:
    """``kklab check LAB [EXERCISE] [--json]``: (exit code, text or JSON to print)."""
    try:
        result = grade_lab(
            lab,
            exercise,
            api_client=api_client,
            namespace=namespace,
            graders_dir=graders_dir,
            include_hidden=include_hidden,
        )
    except KklabError as error:
        if as_json:
            return 2, json.dumps({"error": str(error)}, ensure_ascii=False)
        return 2, f"kklab: {error}"
    text = render_json(result) if as_json else render_text(result, hint_level=hint_level)
    return exit_code(result), text
