"""The ``assert`` and ``error`` check kinds: partial objects against live objects.

With ``metadata.name`` the one object is fetched; without, every object of the
kind in the namespace (``metadata.labels`` as a selector) is a candidate and one
match is enough. On failure the closest candidate (fewest mismatches) is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kklab.grading.context import CheckContext
from kklab.grading.fetching import describe_object
from kklab.grading.matching import Mismatch, match, unevaluated
from kklab.grading.redacting import is_secret, redact_mismatches
from kklab.grading.results import CheckError, Outcome
from kklab.grading.settling import learner_written, namespace_settling, status_final
from kklab.grading.spec import ObjectBody, with_namespace
from kklab.grading.suggesting import look_around


def _expected(body: ObjectBody, namespace: str) -> Mapping[str, Any]:
    """The partial object with ``{namespace}`` resolved in ``metadata.namespace``."""
    metadata = body.metadata
    if isinstance(metadata.get("namespace"), str):
        resolved = {**metadata, "namespace": with_namespace(metadata["namespace"], namespace)}
        return {**body.partial, "metadata": resolved}
    return body.partial


class ExpressionError(CheckError):
    """An expression key could not be evaluated on an object: the check cannot tell."""


def _unevaluated(compared: list[tuple[dict[str, Any], list[Mismatch]]]) -> None:
    """Raise :class:`ExpressionError` for the first expression that could not be evaluated."""
    for obj, mismatches in compared:
        for problem in unevaluated(mismatches):
            named = str(problem.expected)
            where = problem.path if problem.path.endswith(named) else f"{named} at {problem.path}"
            raise ExpressionError(
                f"the expression {where or named} could not be evaluated on "
                f"{describe_object(obj)}: {problem.found}",
                fix="fix the grader: `kklab graders lint` checks function names; guard "
                "fields that may be missing, e.g. `(length(spec.volumes || `[]`))`",
            )


def _wanted(body: ObjectBody, namespace: str) -> str:
    if body.name:
        return f'{body.kind} "{body.name}" in namespace {namespace}'
    labels = f" labelled {body.label_selector}" if body.label_selector else ""
    return f"a {body.kind}{labels} in namespace {namespace}"


def _candidates(context: CheckContext, body: ObjectBody) -> tuple[list[dict[str, Any]], str]:
    namespace = body.namespaced_as(context.namespace)
    if body.name:
        obj = context.fetcher.get(body.api_version, body.kind, body.name, namespace)
        return ([obj] if isinstance(obj, dict) else []), namespace
    objects = context.fetcher.list(
        body.api_version, body.kind, namespace, label_selector=body.label_selector
    )
    return objects, namespace


def _compare(
    context: CheckContext, body: ObjectBody, expected: Mapping[str, Any], obj: dict[str, Any]
) -> list[Mismatch]:
    mismatches = match(expected, obj, ordered=body.ordered, functions=context.functions)
    return list(redact_mismatches(mismatches)) if is_secret(obj) else mismatches


def _settled(
    context: CheckContext,
    kind: str,
    mismatches: Iterable[Mismatch],
    subject: Mapping[str, Any] | None = None,
) -> bool:
    """A failure will not change by itself: every mismatch is in a field the learner
    writes (or the subject's status is final too: a pod at rest or unschedulable, a
    claim long Pending) and nothing in the lab namespace is still settling (one read
    per round)."""
    final = subject is not None and status_final({"kind": kind, **subject})
    if not final and not all(learner_written(m, kind) for m in mismatches):
        return False
    return not namespace_settling(context.fetcher, context.namespace)


def run_assert(context: CheckContext, body: ObjectBody) -> Outcome:
    """Pass when the named object (or any object of the kind) matches the partial object."""
    objects, namespace = _candidates(context, body)
    if not objects:
        missing = Mismatch("", _wanted(body, namespace), None, "not-found")
        why = None
        if body.name:
            why = look_around(context.fetcher, body.api_version, body.kind, body.name, namespace)
        return Outcome(
            passed=False,
            subject=_subject(body, namespace),
            mismatches=(missing,),
            why=why,
            settled=_settled(context, body.kind, (missing,)),
        )
    expected = _expected(body, context.namespace)
    compared = [(obj, _compare(context, body, expected, obj)) for obj in objects]
    for obj, mismatches in compared:
        if not mismatches:
            return Outcome(passed=True, subject=describe_object(obj), subject_object=obj)
    _unevaluated(compared)
    closest, mismatches = min(compared, key=lambda pair: len(pair[1]))
    message = ""
    if len(compared) > 1:
        message = f"None of the {len(compared)} {body.kind} objects matches; the closest is shown."
    return Outcome(
        passed=False,
        subject=describe_object(closest),
        mismatches=tuple(mismatches),
        message=message,
        subject_object=closest,
        settled=_settled(context, body.kind, mismatches, closest),
    )


def run_error(context: CheckContext, body: ObjectBody) -> Outcome:
    """Pass when no object matches the partial object (e.g. no pod runs as root)."""
    objects, namespace = _candidates(context, body)
    expected = _expected(body, context.namespace)
    compared = [(obj, _compare(context, body, expected, obj)) for obj in objects]
    for obj, mismatches in compared:
        if not mismatches:
            forbidden = Mismatch("", f"no {body.kind} like this", None, "exists")
            # What is forbidden is fixed by the grader: the failure is in fields the
            # learner writes when the partial object lists only such fields.
            written = [Mismatch(str(key), None, None, "exists") for key in body.partial]
            return Outcome(
                passed=False,
                subject=describe_object(obj),
                mismatches=(forbidden,),
                message="It has every field this check forbids.",
                subject_object=obj,
                settled=_settled(context, body.kind, written),
            )
    _unevaluated(compared)
    return Outcome(passed=True, subject=_subject(body, namespace))


def _subject(body: ObjectBody, namespace: str) -> str:
    name = body.name or f"(any{', ' + body.label_selector if body.label_selector else ''})"
    return f"{body.api_version} {body.kind} {namespace}/{name}"
