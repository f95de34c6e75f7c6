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

from kklab.grading.context import CheckContext
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
    found = []
    if body.contains is not None and body.contains not in log:
        found.append(Mismatch("log", body.contains, _tail(log), "not-in-text"))
    if body.matches is not None and not re.search(body.matches, log, re.MULTILINE):
        found.append(Mismatch("log", body.matches, _tail(log), "no-regex-match"))
    if body.absent is not None and body.absent in log:
        line = next(line for line in log.splitlines() if body.absent in line)
        found.append(Mismatch("log", f"no line with {body.absent!r}", _tail(line), "differs"))
    return found


def _pick_pod(context: CheckContext, body: LogsBody) -> tuple[dict[str, Any] | None, str]:
    if body.pod:
        return context.get("v1", "Pod", body.pod), f'pod "{body.pod}"'
    selector = ",".join(f"{key}={value}" for key, value in sorted(body.selector.items()))
    pods = context.list("v1", "Pod", label_selector=selector)
    running = [pod for pod in pods if dig(pod, "status", "phase") == "Running"]
    chosen = (running or pods)[0] if pods else None
    return chosen, f"a pod labelled {selector}"


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
    pod, wanted = _pick_pod(context, body)
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
