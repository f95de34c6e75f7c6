"""Grade a lab against a live namespace: poll every check, explain failures, redact.

Checks are polled in rounds: each round tries every check that has neither
passed nor run out of time, then sleeps briefly. A lab therefore waits as long
as its slowest check, not the sum of them, and one round's reads are shared.
A failure whose outcome is ``settled`` (it will not change by itself, see
``settling``) is final at once, like a pass; other failures and errors poll on.
Before anything, the API server must answer ``/version`` within a few seconds
(bounded even if the network swallows packets); if not, every check is an
``error`` result with one message and nothing hangs.

Example:
    >>> from kklab.grading.spec import Lab
    >>> grade_with(None, "lab-01", Lab("01-pods", "Pods", ())).checks  # type: ignore[arg-type]
    ()
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from kklab.errors import ClusterError, KklabError
from kklab.grading.asserting import run_assert, run_error
from kklab.grading.authorizing import run_access
from kklab.grading.context import CheckContext, ProbePod
from kklab.grading.events import run_event
from kklab.grading.evidence import collect_evidence, gather_related
from kklab.grading.executing import run_exec, run_reach
from kklab.grading.fetching import Fetcher
from kklab.grading.files import run_file
from kklab.grading.logs import run_logs
from kklab.grading.misconceptions import Related, explain, grader_why
from kklab.grading.redacting import Redactor
from kklab.grading.results import CheckError, CheckResult, ExerciseResult, LabResult, Outcome
from kklab.grading.spec import (
    AccessBody,
    Check,
    EventBody,
    ExecBody,
    FileBody,
    Lab,
    LogsBody,
    ObjectBody,
    PythonBody,
    ReachBody,
)
from kklab.grading.transport import ApiClientTransport, ApiStatusError, Transport

POLL_INTERVAL_S: Final = 0.5
PREFLIGHT_TIMEOUT_S: Final = 5.0


def run_python(context: CheckContext, body: PythonBody) -> Outcome:
    """Call a custom check function; it must return an :class:`Outcome`."""
    result = body.function(context)
    if not isinstance(result, Outcome):
        raise CheckError(
            f"check function {body.function_name} returned {type(result).__name__}",
            fix="return kklab.grading.Outcome(passed=..., message=...)",
        )
    return result


def run_check(context: CheckContext, check: Check) -> Outcome:
    """Run one attempt of a check of any kind; a failure gets the grader's own "why"
    (``whys:``) when one matches the object it is about."""
    outcome = _run_kind(context, check)
    if outcome.passed or outcome.why or outcome.subject_object is None or not check.whys:
        return outcome
    why = grader_why(check.whys, outcome.subject_object, context.functions)
    return replace(outcome, why=why) if why else outcome


def _run_kind(context: CheckContext, check: Check) -> Outcome:
    body = check.body
    if isinstance(body, ObjectBody):
        return run_assert(context, body) if check.kind == "assert" else run_error(context, body)
    if isinstance(body, ExecBody):
        return run_exec(context, body)
    if isinstance(body, LogsBody):
        return run_logs(context, body)
    if isinstance(body, FileBody):
        return run_file(context, body)
    if isinstance(body, EventBody):
        return run_event(context, body)
    if isinstance(body, ReachBody):
        return run_reach(context, body)
    if isinstance(body, AccessBody):
        return run_access(context, body)
    return run_python(context, body)


def _answers(transport: Transport, timeout_s: float) -> str | None:
    """None when ``/version`` answers within ``timeout_s``, else the problem."""
    problem: list[str] = [
        f"the Kubernetes API server did not answer within {timeout_s:.0f} s ({transport.host})"
    ]

    def ask() -> None:
        try:
            transport.request("GET", "/version", timeout_s=timeout_s)
            problem.clear()
        except KklabError as error:
            problem[0] = str(error)  # the problem and what to do about it
        except Exception as error:
            problem[0] = f"the Kubernetes API server could not be asked ({error})"

    worker = threading.Thread(target=ask, name="kklab-preflight", daemon=True)
    worker.start()
    worker.join(timeout_s)
    return problem[0] if problem else None


@dataclass
class _State:
    """Polling state of one check."""

    check: Check
    exercise: str
    deadline: float
    outcome: Outcome | None = None
    error: str = ""
    attempts: int = 0
    first_s: float = 0.0
    last_s: float = 0.0
    done: bool = False
    passing_since: float | None = None
    """When the check began to pass without a break (for ``holds_s``)."""


def grade(
    api_client: Any,
    namespace: str,
    lab: Lab,
    exercise: str | None = None,
    *,
    include_hidden: bool = False,
    timeout_s: float | None = None,
    keep_probe: bool = True,
) -> LabResult:
    """Grade ``lab`` (or one exercise of it) in ``namespace`` through a kubernetes ApiClient.

    ``timeout_s`` overrides every check's polling timeout (0 checks once; a check
    with ``holds_s`` still watches that long).
    ``keep_probe`` leaves the probe pod of ``reach`` checks running for the next
    run (it ends by itself after a few minutes); False deletes it at the end.
    Never raises for cluster problems: they become ``error`` results.
    """
    transport = ApiClientTransport(api_client)
    return grade_with(
        transport,
        namespace,
        lab,
        exercise,
        include_hidden=include_hidden,
        timeout_s=timeout_s,
        keep_probe=keep_probe,
    )


def grade_with(
    transport: Transport,
    namespace: str,
    lab: Lab,
    exercise: str | None = None,
    *,
    include_hidden: bool = False,
    timeout_s: float | None = None,
    keep_probe: bool = True,
    poll_interval_s: float = POLL_INTERVAL_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> LabResult:
    """Like :func:`grade`, over any :class:`Transport` (tests pass a fake one, and may
    pass a fake ``sleep`` and ``clock`` so polling takes no wall time)."""
    exercises = lab.exercises if exercise is None else (lab.exercise(exercise),)
    start = clock()
    states = [
        _State(
            check,
            ex.id,
            start + (lab.timeout_for(check) if timeout_s is None else timeout_s + check.holds_s),
        )
        for ex in exercises
        for check in ex.checks
        if include_hidden or not check.hidden
    ]
    if states:
        problem = _answers(transport, PREFLIGHT_TIMEOUT_S)
        if problem is not None:
            for state in states:
                state.error, state.done = problem, True
        else:
            _poll(
                transport,
                namespace,
                states,
                _Timing(poll_interval_s, sleep, clock),
                keep_probe,
                lab.params,
            )
    results = _results(transport, namespace, lab, states)
    return LabResult(
        lab.id,
        lab.title,
        tuple(
            ExerciseResult(
                lab.id, ex.id, ex.title, tuple(r for s, r in results if s.exercise == ex.id)
            )
            for ex in exercises
        ),
    )


@dataclass(frozen=True)
class _Timing:
    """How polling waits: the interval, and the sleep and clock (fakes in tests)."""

    interval_s: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]


def _poll(
    transport: Transport,
    namespace: str,
    states: list[_State],
    timing: _Timing,
    keep_probe: bool,
    params: Mapping[str, Any],
) -> None:
    fetcher = Fetcher(transport)
    probe = ProbePod(transport, namespace, fetcher.request_timeout_s)
    try:
        while True:
            fetcher.new_round()
            for state in (s for s in states if not s.done):
                context = CheckContext(namespace, fetcher, state.deadline, probe, params)
                _attempt(state, context, timing.clock)
                if state.error.startswith("unreachable:"):  # no point asking again
                    for other in states:
                        if not other.done:
                            other.done = True
                            other.error = other.error or state.error
            pending = [s for s in states if not s.done]
            if not pending:
                return
            now = timing.clock()
            timing.sleep(max(0.0, min(timing.interval_s, min(s.deadline for s in pending) - now)))
    finally:
        if not keep_probe:
            probe.delete()


def _attempt(state: _State, context: CheckContext, clock: Callable[[], float]) -> None:
    now = clock()
    state.first_s = state.first_s or now
    state.attempts += 1
    try:
        state.outcome = run_check(context, state.check)
        state.error = ""
    except ClusterError as error:
        state.error = f"unreachable:{error}"
    except (KklabError, ApiStatusError) as error:
        state.error = str(error)
    except Exception as error:  # a bug in a check function must not show a traceback
        where = "check function" if state.check.kind == "python" else "kklab"
        state.error = f"{where} failed: {type(error).__name__}: {error}"
    state.last_s = clock()
    outcome = state.outcome
    passing = outcome is not None and not state.error and outcome.passed
    if not passing:
        state.passing_since = None
    elif state.passing_since is None:
        state.passing_since = now
    held = passing and state.last_s - (state.passing_since or now) >= state.check.holds_s
    # A pass is final once it has held long enough; so is a failure that will not
    # change by itself (settled). Errors keep polling until the timeout, as a
    # failure still settling does.
    settled = outcome is not None and not state.error and not passing and outcome.settled
    state.done = held or settled or state.last_s >= state.deadline
    if passing and not held and state.done:  # the timeout came before the pass held
        lasted = state.last_s - (state.passing_since or now)
        state.outcome = Outcome(
            passed=False,
            message=f"It passed, but only for the last {lasted:.0f} s; it must hold for "
            f"{state.check.holds_s:.0f} s.",
            subject=outcome.subject if outcome else "",
        )


def _results(
    transport: Transport, namespace: str, lab: Lab, states: list[_State]
) -> list[tuple[_State, CheckResult]]:
    fetcher = Fetcher(transport)
    failed = [s for s in states if not s.error and s.outcome and not s.outcome.passed]
    related = Related()
    if failed:
        try:
            related = gather_related(fetcher, namespace)
        except Exception:  # explanations are best effort
            related = Related()
    redactor = Redactor.from_secrets(related.secrets)
    results = []
    for state in states:
        result = _result(lab, state, fetcher, related)
        results.append((state, redactor.scrub_result(result)))
    return results


def _result(lab: Lab, state: _State, fetcher: Fetcher, related: Related) -> CheckResult:
    check = state.check
    base = CheckResult(
        lab=lab.id,
        exercise=state.exercise,
        check_id=check.id,
        title=check.title,
        status="error",
        points_earned=0,
        points_possible=check.points,
        hints=check.hints,
        hidden=check.hidden,
        duration_s=max(0.0, state.last_s - state.first_s) if state.attempts else 0.0,
        waited_s=max(0.0, state.last_s - state.first_s) if state.attempts > 1 else 0.0,
    )
    if state.error or state.outcome is None:
        message = state.error.removeprefix("unreachable:") or "the check did not run"
        return replace(base, message=message, hints=())
    outcome = state.outcome
    if outcome.passed:
        return replace(
            base,
            status="passed",
            points_earned=check.points,
            message=check.success,
            subject=outcome.subject,
            hints=(),
        )
    why, evidence = outcome.why, outcome.evidence
    if outcome.subject_object is not None:
        why = why or explain(outcome.subject_object, related)
        with contextlib.suppress(Exception):  # evidence is best effort
            evidence = evidence + collect_evidence(fetcher, outcome.subject_object, related)
    return replace(
        base,
        status="failed",
        message=outcome.message,
        subject=outcome.subject,
        why=why,
        mismatches=outcome.mismatches,
        evidence=evidence,
        settled=outcome.settled,
    )
