"""The ``logs`` check kind: what a container printed, as ``kubectl logs`` shows it.

A grader asks for text the log must contain, a line pattern it must match, or
text it must not contain; the last :data:`LOG_LINES` lines are read. The
verdict on a container at rest (it ended, or it is stuck in a crash loop or a
failed pull) is final, so the check does not poll it: nothing more will be
printed until the learner changes something.

Example:
    >>> from kklab.grading.spec import LogsBody
    >>> [m.describe() for m in log_mismatches(LogsBody(pod="p", contains="ready"), "starting\\n")]
    ['log: expected text containing "ready", found "starting"']
    >>> log_mismatches(LogsBody(pod="p", matches=r"^GET /cart \\d{3}$"), "GET /cart 200\\n")
    []
"""

from __future__ import annotations

import re
from typing import Any, Final

from kklab.grading.context import CheckContext, pick_pod
from kklab.grading.matching import Mismatch, dig
from kklab.grading.results import Outcome
from kklab.grading.settling import namespace_settling, pod_at_rest, steady
from kklab.grading.spec import LogsBody

LOG_LINES: Final = 500
LOG_BYTES: Final = 256 * 1024


def _tail(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


def log_mismatches(body: LogsBody, log: str) -> list[Mismatch]:
    """What the log lacks (or holds but must not), as mismatches; pure."""
    return text_mismatches("log", log, body.contains, body.matches, body.absent)


def text_mismatches(
    where: str, text: str, contains: str | None, matches: str | None, absent: str | None
) -> list[Mismatch]:
    """What ``text`` (a log, a file) lacks or holds but must not, as mismatches at
    ``where``; ``matches`` is searched line by line. Pure.

    Example:
        >>> [m.describe() for m in text_mismatches("/data/notes.txt", "hi\\n", "by", None, None)]
        ['/data/notes.txt: expected text containing "by", found "hi"']
    """
    found = []
    if contains is not None and contains not in text:
        found.append(Mismatch(where, contains, _tail(text), "not-in-text"))
    if matches is not None and not re.search(matches, text, re.MULTILINE):
        found.append(Mismatch(where, matches, _tail(text), "no-regex-match"))
    if absent is not None and absent in text:
        line = next(line for line in text.splitlines() if absent in line)
        found.append(Mismatch(where, f"no line with {absent!r}", _tail(line), "differs"))
    return found


def _started(pod: dict[str, Any], container: str, previous: bool) -> bool:
    """Whether the container (or its previous instance) ever ran, so it has a log."""
    for status in dig(pod, "status", "containerStatuses") or []:
        if status.get("name") != container:
            continue
        if previous:
            return bool(status.get("lastState", {}).get("terminated"))
        state = status.get("state") or {}
        return "running" in state or "terminated" in state
    return False


def run_logs(context: CheckContext, body: LogsBody) -> Outcome:
    """Pass when the container's log shows what the check asks."""
    pod, wanted = pick_pod(context, body.pod, body.selector)
    if pod is None:
        missing = Mismatch("", f"{wanted} in namespace {context.namespace}", None, "not-found")
        return Outcome(passed=False, mismatches=(missing,))
    name = str(dig(pod, "metadata", "name"))
    containers = dig(pod, "spec", "containers") or [{}]
    container = body.container or str(containers[0].get("name", ""))
    which = "previous log" if body.previous else "log"
    subject = f"{which} of container {container} (pod {context.namespace}/{name})"
    if container not in {str(c.get("name")) for c in containers}:
        names = ", ".join(str(c.get("name")) for c in containers)
        mismatch = Mismatch("container", container, names, "not-found")
        return Outcome(False, f"Pod {name} has no container {container}.", subject, (mismatch,))
    at_rest = pod_at_rest(pod)
    if not _started(pod, container, body.previous):
        what = "has not crashed yet" if body.previous else "has not started yet"
        return Outcome(
            False,
            f"Container {container} {what}, so there is no log to read.",
            subject,
            subject_object=pod,
            settled=at_rest,
        )
    log = context.fetcher.pod_log(
        context.namespace,
        name,
        container,
        previous=body.previous,
        lines=LOG_LINES,
        limit_bytes=LOG_BYTES,
    )
    mismatches = log_mismatches(body, log)
    if not mismatches:
        return Outcome(True, subject=subject)
    message = "The container has printed nothing." if not log.strip() else ""
    return Outcome(
        False,
        message,
        subject,
        tuple(mismatches),
        subject_object=pod,
        settled=at_rest
        or body.previous
        or (steady(pod, container) and not namespace_settling(context.fetcher, context.namespace)),
    )
