"""The ``exec`` and ``reach`` check kinds: commands run inside the cluster.

``exec`` runs a command in a learner's container and compares exit code and
output. ``reach`` runs busybox ``wget`` (HTTP) or ``nc`` (TCP) in a throw-away
busybox pod, or in a pod the grader names, and classifies what happened:
connected, refused, timed out, or the name did not resolve. Only a timeout (or
no route) counts as "blocked": a refusal or an unknown name says nothing about
a NetworkPolicy, so ``reachable: false`` fails on them with a why.

Example:
    >>> classify(143, "", "Connecting to db (10.96.0.9:80)")
    ('timed-out', None)
    >>> classify(0, "<h1>hi</h1>", "  HTTP/1.1 200 OK")
    ('connected', 200)
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any, Final

from kklab.grading.context import CheckContext, pick_pod
from kklab.grading.matching import Mismatch
from kklab.grading.results import Outcome
from kklab.grading.settling import namespace_settling, pod_at_rest, steady
from kklab.grading.spec import ExecBody, ReachBody, with_namespace
from kklab.grading.transport import ApiStatusError, ExecOutput

MAX_EXEC_S: Final = 20.0
_STATUS = re.compile(r"HTTP/\d(?:\.\d)? (\d{3})")
_BLOCKED: Final = ("timed-out", "no-route")
_KILLED: Final = (124, 137, 143)
_STATES: Final = {
    "connected": "connected",
    "refused": "connection refused",
    "timed-out": "no answer (timed out)",
    "no-route": "no route to host",
    "dns": "the name does not resolve",
    "unknown": "the client failed",
}


def _tail(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


def _waiting_reason(pod: Mapping[str, Any], container: str) -> str | None:
    """Why ``container`` of ``pod`` waits (e.g. ``CrashLoopBackOff``), or None.

    Example:
        >>> _waiting_reason({"status": {"containerStatuses": [{"name": "web",
        ...     "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}, "web")
        'CrashLoopBackOff'
    """
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == container:
            waiting = (status.get("state") or {}).get("waiting")
            return str(waiting.get("reason") or "waiting") if isinstance(waiting, dict) else None
    return None


def run_exec(context: CheckContext, body: ExecBody) -> Outcome:
    """Run the command in the container; pass on the expected exit code and output."""
    pod, wanted = pick_pod(context, body.pod, body.selector)
    if pod is None:
        missing = Mismatch("", f"{wanted} in namespace {context.namespace}", None, "not-found")
        return Outcome(passed=False, mismatches=(missing,))
    name = str(pod.get("metadata", {}).get("name"))
    containers = pod.get("spec", {}).get("containers") or [{}]
    container = body.container or str(containers[0].get("name", ""))
    shown = body.shown_as or f"$ {shlex.join(body.command)}"
    subject = f"{shown}  (pod {context.namespace}/{name}, {container})"
    # A pod that ended or crash-loops runs no command now, nor will it by itself.
    at_rest = pod_at_rest(pod) and not namespace_settling(context.fetcher, context.namespace)
    phase = pod.get("status", {}).get("phase")
    if phase != "Running":
        mismatch = Mismatch("status.phase", "Running", phase, "differs")
        message = "Commands run only in a running container."
        return Outcome(False, message, subject, (mismatch,), subject_object=pod, settled=at_rest)
    timeout_s = min(MAX_EXEC_S, max(1.0, context.remaining_s()))
    try:
        output = context.transport.exec(context.namespace, name, container, body.command, timeout_s)
    except ApiStatusError as error:
        waiting = _waiting_reason(pod, container)
        message = (
            f"The command could not run: container {container} is not running ({waiting})."
            if waiting
            else f"The command could not run: {error.message}"
        )
        return Outcome(False, message, subject, subject_object=pod, settled=at_rest)
    mismatches = []
    if output.exit_code != body.exit_code:
        found = output.exit_code if output.exit_code is not None else output.failure
        mismatches.append(Mismatch("exit code", body.exit_code, found, "differs"))
    if body.stdout_contains is not None and body.stdout_contains not in output.stdout:
        mismatches.append(
            Mismatch("stdout", body.stdout_contains, _tail(output.stdout), "not-in-text")
        )
    if body.stdout_matches is not None and not re.search(body.stdout_matches, output.stdout):
        mismatches.append(
            Mismatch("stdout", body.stdout_matches, _tail(output.stdout), "no-regex-match")
        )
    evidence = tuple(f"stderr: {line}" for line in output.stderr.strip().splitlines()[-3:])
    message = ""
    if not_started(output):
        message = f"The command could not start: there is no {body.command[0]} in the container."
    # A command's answer in a container that has run a while, in a quiet namespace,
    # is what the container does: report it rather than wait out the timeout.
    settled = (
        bool(mismatches)
        and steady(pod, container)
        and not namespace_settling(context.fetcher, context.namespace)
    )
    return Outcome(
        not mismatches, message, subject, tuple(mismatches), evidence=evidence, settled=settled
    )


def not_started(output: ExecOutput) -> bool:
    """Whether the executable was missing (the runtime answers 126/127 and says so).

    Example:
        >>> not_started(ExecOutput(126, "OCI runtime exec failed: exec failed: ... exec:"
        ...     ' "kubectl": executable file not found in $PATH: unknown', ""))
        True
    """
    said = f"{output.failure}\n{output.stdout}\n{output.stderr}".lower()
    return (output.exit_code in (None, 126, 127)) and (
        "executable file not found" in said or "no such file or directory" in said
    )


def classify(exit_code: int | None, stdout: str, stderr: str) -> tuple[str, int | None]:
    """Classify a busybox wget/nc run (under ``timeout``): (state, HTTP status if any).

    busybox ``timeout`` ends a client that is still waiting with SIGTERM (exit
    code 143, 124 with coreutils): no answer in time.

    Example:
        >>> classify(1, "", "wget: can't connect to remote host (10.96.0.7): Connection refused")
        ('refused', None)
        >>> classify(1, "", "wget: server returned error: HTTP/1.1 404 Not Found")
        ('connected', 404)
        >>> classify(143, "", "Connecting to web (10.96.0.7:80)")
        ('timed-out', None)
    """
    statuses = _STATUS.findall(stderr)
    status = int(statuses[-1]) if statuses else None
    lowered = stderr.lower()
    if exit_code == 0 or status is not None:
        return "connected", status
    if "bad address" in lowered or "unknown host" in lowered:
        return "dns", None
    if "refused" in lowered:
        return "refused", None
    if "no route" in lowered or "unreachable" in lowered:
        return "no-route", None
    if exit_code in _KILLED or exit_code is None or "timed out" in lowered:
        return "timed-out", None
    return "unknown", None


def _command(body: ReachBody, target: str, wait_s: int) -> list[str]:
    """The client command, bounded by busybox ``timeout`` (``wget -T`` crashes in 1.35).

    Example:
        >>> _command(ReachBody(tcp="db:5432"), "db:5432", 3)
        ['timeout', '3', 'nc', '-w', '3', 'db', '5432', '-e', 'true']
    """
    if body.url is not None:
        return ["timeout", str(wait_s), "wget", "-S", "-O", "-", target]
    host, port = target.rsplit(":", 1)
    # -e true: once connected, run `true` on the socket and quit (busybox nc has no -z).
    return ["timeout", str(wait_s), "nc", "-w", str(wait_s), host, port, "-e", "true"]


def _service_of(context: CheckContext, target: str) -> dict[str, Any] | None:
    host = re.sub(r"^https?://", "", target).split("/", 1)[0].rsplit(":", 1)[0]
    labels = host.split(".")
    if not labels[0] or labels[0].replace(".", "").isdigit():
        return None
    namespace = labels[1] if len(labels) > 1 and labels[1] != "svc" else context.namespace
    return context.get("v1", "Service", labels[0], namespace)


def run_reach(context: CheckContext, body: ReachBody) -> Outcome:
    """Connect from inside the cluster; pass when reachability is as expected."""
    target = with_namespace(body.url or body.tcp or "", context.namespace)
    if body.from_pod:
        pod, container = body.from_pod, body.container
    else:
        assert context.probe is not None, "the engine provides a probe pod"
        pod, container = context.probe.ensure(context.deadline), None
    wait_s = int(min(5.0, max(1.0, context.remaining_s())))
    command = _command(body, target, wait_s)
    verb = "HTTP GET" if body.url is not None else "TCP connect to"
    subject = f"{verb} {target} from pod {context.namespace}/{pod}"
    try:
        output = context.transport.exec(
            context.namespace, pod, container, command, float(wait_s + 5)
        )
    except ApiStatusError as error:
        return Outcome(False, f"The client could not run in pod {pod}: {error.message}", subject)
    if not_started(output):
        message = f"Pod {pod} has no {command[2]} to test with (kklab runs busybox {command[2]})."
        return Outcome(False, message, subject)
    state, status = classify(output.exit_code, output.stdout, output.stderr)
    evidence = tuple(f"client: {line.strip()}" for line in output.stderr.strip().splitlines()[-3:])
    if not body.reachable:
        if state in _BLOCKED:
            return Outcome(True, "", subject, evidence=evidence)
        mismatch = Mismatch("connection", "blocked (no answer)", _STATES[state], "differs")
        return Outcome(False, "", subject, (mismatch,), _blocked_why(state, target), evidence)
    mismatches = []
    if state != "connected":
        mismatches.append(Mismatch("connection", "connected", _STATES[state], "differs"))
    elif body.url is not None:
        if body.status is not None and status != body.status:
            mismatches.append(Mismatch("HTTP status", body.status, status, "differs"))
        elif body.status is None and status is not None and not 200 <= status < 300:
            mismatches.append(Mismatch("HTTP status", "2xx", status, "differs"))
        if body.body_contains is not None and body.body_contains not in output.stdout:
            found = _tail(output.stdout)
            mismatches.append(Mismatch("body", body.body_contains, found, "not-in-text"))
    service = _service_of(context, target) if mismatches else None
    return Outcome(
        not mismatches, "", subject, tuple(mismatches), evidence=evidence, subject_object=service
    )


def _blocked_why(state: str, target: str) -> str | None:
    if state == "refused":
        return (
            "the connection was refused rather than blocked: nothing accepts connections behind"
            f" {target} (a Service without ready endpoints answers this way), so this does not"
            " show that a NetworkPolicy blocks the traffic."
        )
    if state == "dns":
        return (
            f"the name in {target} does not resolve, so the test cannot tell whether traffic"
            " is blocked: check the Service name and namespace."
        )
    return None
