"""The one check path: ``kklab check``, the notebook's Check button and the classroom.

- :func:`grade_lab` is the façade every caller goes through: the lab's grader
  for the learner's variant (as ``LabSession.open(lab).grader()``), the cluster
  that is up (or the one the caller brings), every check polled, and the
  learner's progress recorded. A missing cluster or an unreachable API server
  becomes ``error`` results; an unknown lab or exercise, or an invalid grader,
  raises a :class:`~kklab.errors.KklabError` before anything is graded.
- :func:`check_command` is ``kklab check LAB [EXERCISE] [--json]``: a
  :class:`CheckOutput` (exit code, what goes to stdout, the line for stderr when
  nothing could be graded), never raising. Exit 0 when every check passed, 1 when
  one failed, 2 when one could not be checked or the lab, the exercise or the
  grader is wrong. With ``--json`` stdout is always one JSON document, errors
  included.

A lab ``NN-topic`` is graded in the namespace ``lab-NN-topic``
(:func:`lab_namespace`); its grader is ``graders/NN-topic.yaml``.

Example:
    >>> lab_namespace("07-storage")
    'lab-07-storage'
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from kklab.errors import ClusterError, KklabError
from kklab.grading.engine import grade_with
from kklab.grading.loading import grader_paths, load_lab
from kklab.grading.rendering import render_json, render_text
from kklab.grading.results import LabResult
from kklab.grading.spec import GraderSpecError, Lab
from kklab.grading.transport import ApiClientTransport, ExecOutput, Transport
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
    return load_lab(path, values=definition.values(seed_for(definition.id)))  # path: graders_dir


def grade_lab(
    lab: str | Lab,
    exercise: str | None = None,
    *,
    api_client: Any = None,
    namespace: str | None = None,
    graders_dir: Path | None = None,
    include_hidden: bool = False,
    timeout_s: float | None = None,
    record_progress: bool = True,
) -> LabResult:
    """Grade a lab (id, number or loaded :class:`Lab`) or one of its exercises: the façade.

    ``api_client`` defaults to the cluster that is up (``kklab.connect``, what
    ``LabSession.open`` uses), ``namespace`` to the lab's. Cluster problems become
    ``error`` results; an unknown lab or exercise, or an invalid grader, raises
    :class:`GraderSpecError` (or ``LabError``) before any cluster work.
    ``record_progress`` keeps each fully checked exercise's points in the
    learner's progress (not with ``include_hidden``: hidden checks change the
    total; not for an exercise that could not be checked).
    """
    loaded = lab if isinstance(lab, Lab) else _load_grader(lab, graders_dir)
    if exercise is not None:
        loaded.exercise(exercise)  # an unknown exercise is a problem before any cluster work
    where = namespace or lab_namespace(loaded.id)
    transport: Transport
    if api_client is not None:
        transport = ApiClientTransport(api_client)
    else:
        from kklab.connecting import connect, require_started

        try:
            connection = connect(loaded.id)  # local, kind, existing or a classroom sandbox
        except ClusterError as error:
            transport = _NoCluster(error)
        except Exception as error:  # a broken kubeconfig: still a result, not a traceback
            broken = ClusterError(f"cannot reach the cluster ({error})", fix="run `kklab status`")
            transport = _NoCluster(broken)
        else:
            # A lab never started says so at once, instead of waiting out every check.
            require_started(connection, loaded.id)
            transport = ApiClientTransport(connection.api_client)
            where = namespace or connection.namespace
    result = grade_with(
        transport, where, loaded, exercise, include_hidden=include_hidden, timeout_s=timeout_s
    )
    if record_progress and not include_hidden:
        _record(result)
    return result


def _record(result: LabResult) -> None:
    """Keep each exercise's points, unless one of its checks could not be carried out."""
    from kklab.labs import progress

    for exercise in result.exercises:
        if exercise.checks and all(check.status != "error" for check in exercise.checks):
            with contextlib.suppress(OSError):  # progress is a convenience, never a failure
                progress.record(
                    result.lab,
                    exercise.exercise,
                    earned=exercise.points_earned,
                    possible=exercise.points_possible,
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


def problem_json(lab: str, exercise: str | None, problem: str, fix: str | None) -> str:
    """The JSON ``kklab check --json`` prints when it cannot check at all.

    Example:
        >>> print(problem_json("99", None, "there is no lab '99'", "choose one of: 01-pods"))
        {"lab": "99", "exercise": null, "passed": false, "error": "there is no lab '99': choose \
one of: 01-pods", "problem": "there is no lab '99'", "fix": "choose one of: 01-pods"}
    """
    message = f"{problem}: {fix}" if fix else problem
    document = {
        "lab": lab,
        "exercise": exercise,
        "passed": False,
        "error": message,
        "problem": problem,
        "fix": fix,
    }
    return json.dumps(document, ensure_ascii=False)


@dataclass(frozen=True)
class CheckOutput:
    """What ``kklab check`` prints and returns, decided here rather than by its caller.

    Example:
        >>> CheckOutput(2, "", "kklab: there is no lab 99: use one of: 07-storage").exit_code
        2
    """

    exit_code: int
    """0 every check passed, 1 one failed, 2 one could not be checked or nothing could."""

    stdout: str
    """The result as text or JSON (with ``--json`` also the error document); may be empty."""

    error: str | None = None
    """One line for stderr when nothing could be graded (``kklab: problem: fix``), else None."""


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
    record_progress: bool = True,
) -> CheckOutput:
    """``kklab check LAB [EXERCISE] [--json]``: what to print where, and the exit code.

    When nothing can be graded (unknown lab or exercise, invalid grader, a bug),
    ``error`` is the line for stderr; with ``as_json`` ``stdout`` still holds one
    JSON document (:func:`problem_json`), without it ``stdout`` is empty.
    """
    try:
        result = grade_lab(
            lab,
            exercise,
            api_client=api_client,
            namespace=namespace,
            graders_dir=graders_dir,
            include_hidden=include_hidden,
            record_progress=record_progress,
        )
    except KklabError as error:
        problem, fix = error.problem, error.fix
    except Exception as error:  # a cluster's answer, or a bug: still valid JSON and exit 2
        from kklab.cluster.talking import explain

        explained = explain(error)
        if explained is not None:
            problem, fix = explained.problem, explained.fix or ""
        else:
            problem = f"kklab failed: {type(error).__name__}: {error}"
            fix = "please report it with the command you ran"
    else:
        text = render_json(result) if as_json else render_text(result, hint_level=hint_level)
        return CheckOutput(exit_code(result), text)
    line = f"kklab: {problem}: {fix}" if fix else f"kklab: {problem}"
    return CheckOutput(2, problem_json(lab, exercise, problem, fix) if as_json else "", line)
