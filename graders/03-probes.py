"""Custom checks of lab 03-probes: what probes do (endpoints change, containers restart
or do not), and where a probe really points (named ports resolved, every handler)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from kklab.checks import (
    CheckContext,
    Mismatch,
    Outcome,
    container_of,
    dig,
    namespace_settling,
    parse_time,
)

Obj = Mapping[str, Any]


# --------------------------------------------------------------------- helpers


def _quiet(context: CheckContext) -> bool:
    """Nothing in the namespace is on its way somewhere: a failure now is final."""
    return not namespace_settling(context.fetcher, context.namespace)


def _final(check: Callable[[CheckContext], Outcome]) -> Callable[[CheckContext], Outcome]:
    """A check that reads only what the learner wrote (a pod template): its failure
    cannot change by itself, so it is reported at once, even while pods roll."""

    def checked(context: CheckContext) -> Outcome:
        outcome = check(context)
        return outcome if outcome.passed else dataclasses.replace(outcome, settled=True)

    checked.__name__, checked.__doc__ = check.__name__, check.__doc__
    return checked


def _status(pod: Obj, name: str) -> Obj:
    statuses = [s for s in dig(pod, "status", "containerStatuses") or [] if isinstance(s, Mapping)]
    for status in statuses:
        if status.get("name") == name:
            return status
    return statuses[0] if statuses else {}


def _port(container: Obj, port: Any) -> int | None:
    """A probe's port as a number: a named port is looked up in the container's ports."""
    if isinstance(port, int) and not isinstance(port, bool):
        return port
    text = str(port)
    if text.isdigit():
        return int(text)
    for declared in container.get("ports") or []:
        if isinstance(declared, Mapping) and declared.get("name") == text:
            number = declared.get("containerPort")
            return number if isinstance(number, int) else None
    return None


def _age_s(value: Any) -> float | None:
    when = parse_time(value)
    return None if when is None else time.time() - when.timestamp()


def _seconds_between(start: Any, end: Any) -> float | None:
    first, last = parse_time(start), parse_time(end)
    return None if first is None or last is None else (last - first).total_seconds()


def _probe_events(context: CheckContext, pod: Obj) -> list[str]:
    """The messages of the pod's Unhealthy/Killing events, oldest first (by its UID)."""
    try:
        events = context.list("v1", "Event")
    except Exception:  # explanations are best effort
        return []
    uid = dig(pod, "metadata", "uid")
    found = [
        e
        for e in events
        if uid
        and dig(e, "involvedObject", "uid") == uid
        and e.get("reason") in ("Unhealthy", "Killing")
    ]
    found.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    return [" ".join(str(e.get("message") or "").split()) for e in found]


def _failures(context: CheckContext, pod: Obj, prefix: str) -> int:
    """How many times the pod's events say a probe failed with ``prefix`` (events of
    one message are counted in one event's ``count``)."""
    try:
        events = context.list("v1", "Event")
    except Exception:
        return 0
    uid = dig(pod, "metadata", "uid")
    return sum(
        int(e.get("count") or 1)
        for e in events
        if uid
        and dig(e, "involvedObject", "uid") == uid
        and str(e.get("message") or "").startswith(prefix)
    )


def _handler(probe: Obj) -> str:
    for handler in ("httpGet", "tcpSocket", "exec", "grpc"):
        if isinstance(probe.get(handler), Mapping):
            return handler
    return "none"


def _describe(container: Obj, probe: Obj) -> str:
    """A probe in words: what it asks, and how often."""
    handler = _handler(probe)
    if handler == "httpGet":
        get = probe["httpGet"]
        scheme = str(get.get("scheme") or "HTTP").lower()
        what = f"GET {scheme}://…:{get.get('port')}{get.get('path') or '/'}"
    elif handler == "tcpSocket":
        what = f"a TCP connection to port {probe['tcpSocket'].get('port')}"
    elif handler == "exec":
        what = "the command " + " ".join(str(w) for w in probe["exec"].get("command") or [])
    else:
        what = f"a {handler} handler"
    return f"{what}, every {probe.get('periodSeconds', 10)} s"


def _pods_of(context: CheckContext, labels: dict[str, str]) -> list[Obj]:
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    pods = context.list("v1", "Pod", label_selector=selector)
    return [p for p in pods if not dig(p, "metadata", "deletionTimestamp")]


def _run(context: CheckContext, pod: str, container: str, script: str) -> tuple[int | None, str]:
    """``sh -c script`` in a running container: (exit code, output)."""
    output = context.transport.exec(context.namespace, pod, container, ["sh", "-c", script], 8.0)
    return output.exit_code, (output.stdout + output.stderr + output.failure).strip()


# ------------------------------------------------- exercise 1: ready when warm


def _addresses(context: CheckContext, service: str) -> tuple[set[str], set[str]]:
    """The Ready and not-Ready addresses of a Service's endpoints, read afresh."""
    try:
        endpoints = context.transport.request(
            "GET",
            f"/api/v1/namespaces/{context.namespace}/endpoints/{service}",
            timeout_s=5.0,
        )
    except Exception:
        return set(), set()
    ready: set[str] = set()
    not_ready: set[str] = set()
    for subset in endpoints.get("subsets") or [] if isinstance(endpoints, Mapping) else []:
        ready |= {str(a.get("ip")) for a in subset.get("addresses") or []}
        not_ready |= {str(a.get("ip")) for a in subset.get("notReadyAddresses") or []}
    return ready, not_ready


def _restarts(context: CheckContext, pod: str) -> int:
    try:
        found = context.transport.request(
            "GET", f"/api/v1/namespaces/{context.namespace}/pods/{pod}", timeout_s=5.0
        )
    except Exception:
        return 0
    statuses = dig(found, "status", "containerStatuses") or []
    return sum(int(s.get("restartCount") or 0) for s in statuses if isinstance(s, Mapping))


def _wait_for(test: Any, limit_s: float) -> float | None:
    """Seconds until ``test()`` held, polled every half second; None after ``limit_s``."""
    start = time.monotonic()
    while True:
        if test():
            return time.monotonic() - start
        if time.monotonic() - start > limit_s:
            return None
        time.sleep(0.5)


GOAL_S = 5
"""The goal: a missing file is noticed within this many seconds (read from the probe's
timing, since on a busy cluster the endpoints follow a pod's readiness seconds later)."""

LEAVE_WITHIN_S = 15.0
"""How long the check waits for the pod to leave the endpoints, on a busy cluster too."""


def catalog_leaves_its_service_when_not_ready(context: CheckContext) -> Outcome:
    """Exercise 1: take the ready file away; the pod must leave the Service's endpoints
    (without a restart) and come back once the file is there again."""
    subject = f"v1 Pod {context.namespace}/catalog"
    ready_file = str(context.params.get("ready_file", "ready"))
    pod = context.get("v1", "Pod", "catalog")
    if pod is None:
        return Outcome(False, 'There is no pod "catalog" yet.', subject, settled=_quiet(context))
    container = container_of(pod.get("spec") or {}, "catalog")
    name = str(container.get("name", ""))
    probe = container.get("readinessProbe")
    if not isinstance(probe, Mapping):
        liveness = isinstance(container.get("livenessProbe"), Mapping)
        return Outcome(
            False,
            f'Container "{name}" has no readiness probe.',
            subject,
            why="Without a readiness probe, Kubernetes counts a running container as Ready "
            "at once, so the Service sends it requests while it is still warming up."
            + (
                " A liveness probe does not take a pod out of a Service: it restarts the "
                "container instead."
                if liveness
                else ""
            ),
            settled=_quiet(context),
        )
    notice = _notice_s(probe)
    if notice > GOAL_S:
        return Outcome(
            False,
            f"Its readiness probe ({_describe(container, probe)}, "
            f"{probe.get('failureThreshold', 3)} failures in a row) notices a missing file "
            f"only after up to {notice} s; the goal is {GOAL_S} s.",
            subject,
            why="A failure is noticed after about periodSeconds x failureThreshold: lower them.",
            settled=True,  # read from the spec the learner wrote
        )
    if isinstance(probe.get("tcpSocket"), Mapping):
        # Known from the spec: no experiment needed, and none that a busy node's flapping
        # TCP probe could fool.
        return Outcome(
            False,
            f"Its readiness probe ({_describe(container, probe)}) succeeds whenever the "
            f"server listens, with or without /www/{ready_file}.",
            subject,
            why="A TCP connection opens as long as the server listens, warm or not: ask for /"
            f"{ready_file} (httpGet), which fails when the file is gone.",
            settled=True,
        )
    ip = str(dig(pod, "status", "podIP") or "")
    ready, _ = _addresses(context, "catalog")
    if not ip or ip not in ready:
        return Outcome(
            False,
            'Pod "catalog" is not in the endpoints of Service "catalog" yet, so the check '
            "cannot take its file away; the next check says why.",
            subject,
            # Not final before the check's timeout: the endpoints controller adds a pod
            # seconds after it turns Ready, and on a busy node a short readiness probe
            # may time out now and then, taking the pod out for a moment.
            settled=False,
        )
    restarts = _restarts(context, "catalog")
    path = f"/www/{ready_file}"
    code, output = _run(context, "catalog", name, f"mv {path} {path}.kklab-away")
    if code != 0:
        return Outcome(
            False,
            f'The check could not take {path} away in container "{name}": {output or "no output"}.',
            subject,
            why="The check needs the server of the exercise, which writes its file "
            f"{path} after 2 s: run the command given in the exercise.",
        )
    try:
        left = _wait_for(lambda: ip not in _addresses(context, "catalog")[0], LEAVE_WITHIN_S)
    finally:
        _run(context, "catalog", name, f"mv {path}.kklab-away {path}")
    if left is None:
        return Outcome(
            False,
            f"{path} was gone for {LEAVE_WITHIN_S:.0f} s and the pod stayed in the endpoints "
            f'of Service "catalog". Its readiness probe: {_describe(container, probe)}, '
            f"{probe.get('failureThreshold', 3)} failures in a row.",
            subject,
            why="The probe must fail when the file is gone: ask /"
            f"{ready_file}, not a page that is always there.",
            # Final: the check itself was the experiment, and another one right away
            # would start with the failures this one left behind.
            settled=True,
        )
    back = _wait_for(lambda: ip in _addresses(context, "catalog")[0], 15.0)
    if _restarts(context, "catalog") > restarts:
        return Outcome(
            False,
            'The container of "catalog" was restarted while its file was gone.',
            subject,
            why="A liveness probe restarts a container; readiness only takes the pod out of "
            "the Service, which is what a server that is still warming up needs.",
            settled=_quiet(context),
        )
    if back is None:
        return Outcome(
            False,
            f"The pod left the Service after {left:.0f} s, but did not come back within 15 s "
            f"after {path} was there again.",
            subject,
            why="successThreshold successes in a row, every periodSeconds, bring it back.",
            settled=True,
        )
    return Outcome(True, subject=subject)


# ------------------------------------------------ exercise 2: restart the worker

WORKS_S = 12
"""The worker hangs this long after its start."""

NOTICE_S = 10
"""The goal: restarted within this many seconds of the hang (grace period aside)."""


def _notice_s(probe: Obj) -> int:
    """How long a probe may take to notice a failure (without the timeout)."""
    period, failures = probe.get("periodSeconds", 10), probe.get("failureThreshold", 3)
    if not isinstance(period, int) or not isinstance(failures, int):
        return 0
    return period * failures


def worker_is_restarted_when_it_hangs(context: CheckContext) -> Outcome:
    """Exercise 2: the container was killed after it hung, soon enough, not before."""
    subject = f"v1 Pod {context.namespace}/worker"
    pod = context.get("v1", "Pod", "worker")
    if pod is None:
        return Outcome(False, 'There is no pod "worker" yet.', subject, settled=_quiet(context))
    spec = pod.get("spec") or {}
    container = container_of(spec, "worker")
    probe = container.get("livenessProbe")
    if not isinstance(probe, Mapping):
        return Outcome(
            False,
            "Its container has no liveness probe, so nothing restarts it when it hangs.",
            subject,
            why="A hung process still runs: only a liveness probe tells the kubelet to restart it.",
            settled=_quiet(context),
        )
    if spec.get("restartPolicy") == "Never":
        return Outcome(
            False,
            'Its restartPolicy is "Never": when the liveness probe fails, the kubelet kills '
            "the container and does not start it again; the worker stays down.",
            subject,
            mismatches=(Mismatch("spec.restartPolicy", "Always", "Never", "differs"),),
            why="A liveness probe restarts a container only where the pod's restartPolicy "
            "allows it: Always (the default) or OnFailure.",
            settled=_quiet(context),
        )
    grace = spec.get("terminationGracePeriodSeconds")
    grace_s = grace if isinstance(grace, int) else 30
    timeout = probe.get("timeoutSeconds", 1)
    timeout_s = timeout if isinstance(timeout, int) else 1
    latest = WORKS_S + NOTICE_S + grace_s + 3
    expected = WORKS_S + min(NOTICE_S, _notice_s(probe)) + timeout_s + grace_s + 3
    status = _status(pod, str(container.get("name")))
    last = dig(status, "lastState", "terminated") or {}
    if not int(status.get("restartCount") or 0) or not last:
        notice = _notice_s(probe)
        if notice > NOTICE_S:  # known from the spec: no need to wait for the hang
            return Outcome(
                False,
                f"Its liveness probe ({_describe(container, probe)}) notices a hang only after "
                f"up to {notice} s; the goal is {NOTICE_S} s.",
                subject,
                why="A failure is noticed after about periodSeconds x failureThreshold: "
                "lower them.",
                settled=_quiet(context),
            )
        age = _age_s(dig(status, "state", "running", "startedAt"))
        if age is not None and age > expected:
            return Outcome(
                False,
                f"It has run for {age:.0f} s, hung after {WORKS_S} s, and was never restarted. "
                f"Its liveness probe: {_describe(container, probe)}.",
                subject,
                why="The probe must fail when the worker hangs, that is when /tmp/healthy "
                "is gone: e.g. `cat /tmp/healthy`. A command that always succeeds cannot fail.",
                settled=_quiet(context),
            )
        return Outcome(
            False,
            "It has not been restarted yet (it hangs 12 s after it starts; the check waits).",
            subject,
        )
    lifetime = _seconds_between(last.get("startedAt"), last.get("finishedAt"))
    events = _probe_events(context, pod)
    evidence = tuple(events[-2:])
    if last.get("exitCode") == 0 or last.get("reason") == "Completed":
        return Outcome(
            False,
            "Its container ended by itself (exit code 0); no probe restarted it.",
            subject,
            why="Keep the worker's command as given: it hangs, it does not exit.",
            evidence=evidence,
            settled=_quiet(context),
        )
    if lifetime is not None and lifetime < WORKS_S - 1:
        return Outcome(
            False,
            f"It was killed after {lifetime:.0f} s, while it still worked (it hangs after "
            f"{WORKS_S} s). Its liveness probe: {_describe(container, probe)}.",
            subject,
            why="The probe fails on a healthy worker: it must succeed while /tmp/healthy is there.",
            evidence=evidence,
            settled=_quiet(context),
        )
    if lifetime is not None and lifetime > latest:
        return Outcome(
            False,
            f"It was restarted only {lifetime - WORKS_S:.0f} s after it hung, with a grace "
            f"period of {grace_s} s; the goal is within {NOTICE_S} s, plus the grace period.",
            subject,
            why="A failure is noticed after about initialDelaySeconds + periodSeconds x "
            "failureThreshold: lower them.",
            evidence=evidence,
            settled=_quiet(context),
        )
    return Outcome(True, subject=subject)


# --------------------------------------------------- exercise 3: the crash loop

CART_PORT = 8080
CART_PATHS = ("/healthz", "/", "/index.html")


def _port_words(container: Obj, port: int) -> str:
    """``8080, named http`` (or just the number when the port has no name)."""
    for declared in container.get("ports") or []:
        if (
            isinstance(declared, Mapping)
            and declared.get("containerPort") == port
            and declared.get("name")
        ):
            return f"{port}, named {declared['name']}"
    return str(port)


def _asks_server(
    container: Obj, probe: Obj, port: int, paths: tuple[str, ...], words: tuple[str, ...]
) -> str | None:
    """Why ``probe`` does not ask the server on ``port`` (one of ``paths``); None when it does.

    ``words`` are what an exec probe's command must mention to count as asking the server.
    """
    handler = _handler(probe)
    if handler == "httpGet":
        get = probe["httpGet"]
        number = _port(container, get.get("port"))
        if number != port:
            return (
                f"It asks port {get.get('port')}, but the server listens on "
                f'{_port_words(container, port)} ("connection refused").'
            )
        if str(get.get("scheme") or "HTTP").upper() != "HTTP":
            return "It asks with scheme HTTPS, but the server speaks plain HTTP."
        if get.get("host"):
            return f"It asks the host {get.get('host')} instead of the pod itself."
        path = "/" + str(get.get("path") or "/").strip("/")
        if path not in paths:
            return f"It asks the path {get.get('path')}, which the server does not serve (404)."
        return None
    if handler == "tcpSocket":
        number = _port(container, probe["tcpSocket"].get("port"))
        if number != port:
            return f"It connects to port {probe['tcpSocket'].get('port')}, not to {port}."
        return None
    if handler == "exec":
        command = " ".join(str(w) for w in probe["exec"].get("command") or [])
        if any(word in command for word in words):
            return None
        return f"Its command ({command}) does not ask the server, so it cannot notice a hang."
    return f"It uses a {handler} handler, which this server does not answer."


@_final
def cart_liveness_probe_watches_the_server(context: CheckContext) -> Outcome:
    """Exercise 3: the template keeps a liveness probe, and it asks the real server."""
    subject = f"apps/v1 Deployment {context.namespace}/cart"
    deployment = context.get("apps/v1", "Deployment", "cart")
    if deployment is None:
        return Outcome(False, 'There is no Deployment "cart" any more.', subject)
    template = dig(deployment, "spec", "template", "spec") or {}
    container = container_of(template, "cart")
    probe = container.get("livenessProbe")
    if not isinstance(probe, Mapping):
        return Outcome(
            False,
            "Its pod template has no liveness probe any more.",
            subject,
            why="Deleting the probe ends the restarts, but then nobody restarts the cart "
            "server when it really hangs. Fix what the probe asks instead.",
        )
    command = " ".join(str(part) for part in container.get("command") or ())
    if f"-p {CART_PORT} " not in f"{command} ":
        return Outcome(
            False,
            f"The server's command no longer starts it on port {CART_PORT}: the server was "
            "fine, and its Service and clients expect it on port http.",
            subject,
            why="Only the probe was wrong: put the command back as it was, and point the "
            f"probe at the port the server uses ({CART_PORT}, named http).",
        )
    problem = _asks_server(container, probe, CART_PORT, CART_PATHS, ("8080", "healthz", "http"))
    if problem is None and int(probe.get("initialDelaySeconds") or 0) > 60:
        problem = (
            f"It waits {probe.get('initialDelaySeconds')} s after each start before it asks "
            "anything: a hang in that time goes unnoticed, and the fault only comes later."
        )
    if problem:
        return Outcome(
            False,
            problem,
            subject,
            why="`kubectl describe pods -l app=cart` quotes the probe's failure in the "
            "Unhealthy events; the server serves /healthz on port 8080 (named http).",
        )
    return Outcome(True, subject=subject)


STEADY_S = 8.0
"""The broken probe kills within 3 s; this long without a restart shows it is over."""


def cart_stops_restarting(context: CheckContext) -> Outcome:
    """Exercise 3: the Deployment's pods run, Ready, without a restart, for a while."""
    subject = f"apps/v1 Deployment {context.namespace}/cart"
    deployment = context.get("apps/v1", "Deployment", "cart")
    if deployment is None:
        return Outcome(
            False, 'There is no Deployment "cart" any more.', subject, settled=_quiet(context)
        )
    if dig(deployment, "spec", "replicas") == 0:
        return Outcome(
            False,
            "It is scaled to 0: no pod restarts, but no cart server runs either.",
            subject,
            settled=_quiet(context),
        )
    labels = dig(deployment, "spec", "selector", "matchLabels") or {"app": "cart"}
    pods = _pods_of(context, dict(labels))
    if not pods:
        return Outcome(False, 'Deployment "cart" has no pod yet.', subject)
    for pod in pods:
        name = str(dig(pod, "metadata", "name"))
        status = _status(pod, "cart")
        restarts = int(status.get("restartCount") or 0)
        if restarts:
            events = _probe_events(context, pod)
            return Outcome(
                False,
                f'Pod "{name}" has been restarted {restarts} times.',
                f"v1 Pod {context.namespace}/{name}",
                why="The kubelet kills the container each time its liveness probe fails; the "
                "pod's events say why the probe fails.",
                evidence=tuple(events[-2:]),
                settled=_quiet(context),
            )
        age = _age_s(dig(status, "state", "running", "startedAt"))
        if not status.get("ready") or age is None or age < STEADY_S:
            return Outcome(
                False,
                f'Pod "{name}" has not run Ready for {STEADY_S:.0f} s without a restart yet.',
                f"v1 Pod {context.namespace}/{name}",
            )
    return Outcome(True, subject=subject)


# ------------------------------------------------- exercise 4: the slow starter

STARTS_S = 12
"""The report server opens its port this long after its start."""

REPORT_PORT = 9090


def _startup_budget_s(probe: Obj) -> int:
    """How long a startup probe lets a container start before it gives up."""
    numbers = [probe.get(k, d) for k, d in (("failureThreshold", 3), ("periodSeconds", 10))]
    delay = probe.get("initialDelaySeconds") or 0
    if not all(isinstance(n, int) for n in [*numbers, delay]):
        return 0
    return int(numbers[0]) * int(numbers[1]) + int(delay)


def _startup_why(probe: Obj, budget: int) -> str:
    if budget <= STARTS_S + 2:
        return (
            f"The startup probe gives up after about {budget} s (initialDelaySeconds + "
            "failureThreshold x periodSeconds), before the server opens its port after about "
            f"{STARTS_S} s: a failed startup probe kills the container. Allow well over "
            f"{STARTS_S} s."
        )
    return (
        "The startup probe must succeed once the server listens: it should ask port web "
        "(9090), and the liveness probe must ask it too."
    )


def report_starts_without_a_restart(context: CheckContext) -> Outcome:
    """Exercise 4: the container started (startup probe passed) and was never restarted."""
    subject = f"v1 Pod {context.namespace}/report"
    pod = context.get("v1", "Pod", "report")
    if pod is None:
        return Outcome(False, 'There is no pod "report" yet.', subject, settled=_quiet(context))
    container = container_of(pod.get("spec") or {}, "report")
    status = _status(pod, str(container.get("name")))
    restarts = int(status.get("restartCount") or 0)
    startup = container.get("startupProbe")
    if restarts:
        events = _probe_events(context, pod)
        if not isinstance(startup, Mapping):
            why = (
                "Without a startup probe the strict liveness probe runs from the first "
                f"second, and kills the server before it opens its port (after about {STARTS_S} s)."
            )
        else:
            why = _startup_why(startup, _startup_budget_s(startup))
        return Outcome(
            False,
            f"Its container has been restarted {restarts} times.",
            subject,
            why=why,
            evidence=tuple(events[-2:]),
            settled=_quiet(context),
        )
    age = _age_s(dig(status, "state", "running", "startedAt"))
    budget = _startup_budget_s(startup) if isinstance(startup, Mapping) else 0
    if isinstance(startup, Mapping):
        problem = _asks_server(container, startup, REPORT_PORT, ("/", "/index.html"), ("9090",))
        if problem is not None:
            return Outcome(
                False,
                f"Its startup probe cannot succeed. {problem}",
                subject,
                why=_startup_why(startup, budget),
                settled=True,  # read from the spec the learner wrote
            )
    # Known from the spec, or from a probe that has failed failureThreshold times (it
    # stops then). Not from `started`: on 1.20 the kubelet writes that, and kills the
    # container of a startup probe that gave up, only at its next sync, up to a minute on.
    failures = _failures(context, pod, "Startup probe failed")
    gave_up = budget <= STARTS_S + 2 or (
        isinstance(startup, Mapping) and failures >= int(startup.get("failureThreshold", 3))
    )
    if isinstance(startup, Mapping) and gave_up:
        return Outcome(
            False,
            f"Its startup probe ({_describe(container, startup)}) gives up after about "
            f"{budget} s, and the server has not started.",
            subject,
            why=_startup_why(startup, budget),
            evidence=tuple(_probe_events(context, pod)[-2:]),
            settled=_quiet(context),
        )
    liveness = container.get("livenessProbe")
    watched = _notice_s(liveness) if isinstance(liveness, Mapping) else 0
    if age is None or age < STARTS_S + 2 + watched:
        return Outcome(
            False,
            "Its server is not up yet, or the liveness probe has only just taken over (it "
            "opens its port about 12 s after the start; the check waits).",
            subject,
        )
    return Outcome(True, subject=subject)


# -------------------------------------------- exercise 5: the slow health check

HEALTH_PATH = "/cgi-bin/health"
HEALTH_TAKES_S = 2


@_final
def pricing_readiness_waits_for_the_health_answer(context: CheckContext) -> Outcome:
    """Exercise 5: the readiness probe still asks /cgi-bin/health, with time to answer."""
    subject = f"apps/v1 Deployment {context.namespace}/pricing"
    deployment = context.get("apps/v1", "Deployment", "pricing")
    if deployment is None:
        return Outcome(False, 'There is no Deployment "pricing" any more.', subject)
    container = container_of(dig(deployment, "spec", "template", "spec") or {}, "pricing")
    probe = container.get("readinessProbe")
    if not isinstance(probe, Mapping):
        return Outcome(
            False,
            "Its pod template has no readiness probe any more.",
            subject,
            why="Without it the pod is Ready as soon as it runs, also while prices cannot be "
            "served: the Service would send requests that fail.",
        )
    if _handler(probe) == "tcpSocket":
        return Outcome(
            False,
            "Its readiness probe only opens a TCP connection.",
            subject,
            why=f"An open port does not say whether prices can be served; only {HEALTH_PATH} "
            "does. Keep asking it, and give it time.",
        )
    problem = _asks_server(container, probe, 8080, (HEALTH_PATH,), (HEALTH_PATH,))
    if problem is not None:
        return Outcome(
            False,
            problem,
            subject,
            why=f"The readiness probe must still ask {HEALTH_PATH} on port http (8080).",
        )
    timeout = probe.get("timeoutSeconds", 1)
    if not isinstance(timeout, int) or timeout <= HEALTH_TAKES_S:
        return Outcome(
            False,
            f"readinessProbe.timeoutSeconds is {timeout}; the health endpoint takes about "
            f"{HEALTH_TAKES_S} s to answer.",
            subject,
            why="A probe that has not answered within timeoutSeconds counts as failed. "
            "Give the answer more time than it takes, with room to spare (e.g. 5).",
        )
    return Outcome(True, subject=subject)


# ------------------------------------------------- a Service's Ready endpoints


def _in_service(context: CheckContext, service: str, pod_name: str | None) -> Outcome:
    """The Service's endpoints hold a Ready address (of pod ``pod_name``, if given);
    a failure says which selected pod is not Ready, and the probe's last words."""
    subject = f"v1 Service {context.namespace}/{service}"
    found = context.get("v1", "Service", service)
    if found is None:
        return Outcome(
            False,
            f'There is no Service "{service}"; `kklab lab start 03-probes` creates it again.',
            subject,
            settled=_quiet(context),
        )
    endpoints = context.get("v1", "Endpoints", service) or {}
    ready = {
        str(dig(address, "targetRef", "name"))
        for subset in endpoints.get("subsets") or []
        for address in subset.get("addresses") or []
    }
    if (pod_name in ready) if pod_name else ready:
        return Outcome(True, subject=subject)
    selector = dig(found, "spec", "selector") or {}
    pods = _pods_of(context, dict(selector)) if selector else []
    named = [p for p in pods if not pod_name or dig(p, "metadata", "name") == pod_name]
    if pod_name and not named:
        labelled = ", ".join(f"{k}={v}" for k, v in selector.items())
        return Outcome(
            False,
            f'The Service selects pods labelled {labelled}, and pod "{pod_name}" is not one '
            "of them (or does not exist yet).",
            subject,
            settled=_quiet(context),
        )
    if not named:
        return Outcome(False, f'No pod of Service "{service}" runs yet.', subject)
    pod = named[0]
    name = str(dig(pod, "metadata", "name"))
    events = _probe_events(context, pod)
    return Outcome(
        False,
        f'Pod "{name}" is not Ready, so Service "{service}" leaves it out of its endpoints.',
        subject,
        why="A pod is Ready only once its readiness probe succeeds; the Unhealthy events of "
        "`kubectl describe pod` quote why it fails.",
        evidence=tuple(events[-2:]),
        settled=_quiet(context),
    )


def catalog_is_in_its_service(context: CheckContext) -> Outcome:
    """Exercise 1: once warm, the catalog pod is among its Service's Ready addresses."""
    return _in_service(context, "catalog", "catalog")


def pricing_is_in_its_service(context: CheckContext) -> Outcome:
    """Exercise 5: a pricing pod is among its Service's Ready addresses."""
    return _in_service(context, "pricing", None)
