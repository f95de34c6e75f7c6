"""Custom checks of lab 02-lifecycle: what a preStop hook waits for, read by meaning
(a sleep in any spelling, or the sleep handler of current Kubernetes) and set against
the pod's grace period."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kklab.checks import CheckContext, Mismatch, Outcome, container_of, dig, final_when_quiet

Obj = Mapping[str, Any]

SHORTEST_S = 2
"""A wait shorter than this gives late requests no real chance."""
LONGEST_S = 10
"""A wait longer than this delays every stop for nothing (and eats the grace period)."""
DEFAULT_GRACE_S = 30

_SLEEP = re.compile(r"(?:^|[\s;&|(])(?:/[\w/]*/)?sleep\s+(\d+(?:\.\d+)?)s?(?=$|[\s;&|)])")


def prestop_wait_s(hook: Obj) -> float | None:
    """How long a preStop hook waits, when it says so: an exec that runs ``sleep N``
    (directly or in a shell), or the ``sleep`` handler of Kubernetes 1.29 and later.

    Example:
        >>> prestop_wait_s({"exec": {"command": ["sh", "-c", "echo bye; sleep 3"]}})
        3.0
        >>> prestop_wait_s({"exec": {"command": ["/bin/sleep", "4s"]}})
        4.0
        >>> prestop_wait_s({"sleep": {"seconds": 5}})
        5.0
        >>> prestop_wait_s({"exec": {"command": ["true"]}}) is None
        True
    """
    seconds = dig(hook, "sleep", "seconds")
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return float(seconds)
    command = dig(hook, "exec", "command")
    if not isinstance(command, list):
        return None
    found = _SLEEP.search(" ".join(str(word) for word in command))
    return float(found.group(1)) if found else None


@final_when_quiet
def web_prestop_waits(context: CheckContext) -> Outcome:
    """Exercise 3: web's preStop hook waits a few seconds, well inside the grace period."""
    subject = f"v1 Pod {context.namespace}/web"
    pod = context.get("v1", "Pod", "web")
    if pod is None:
        return Outcome(False, 'There is no pod "web" yet.', subject)
    spec = pod.get("spec") or {}
    container = container_of(spec, "web")
    hook = dig(container, "lifecycle", "preStop")
    path = f"spec.containers[{container.get('name')}].lifecycle.preStop"
    if not isinstance(hook, Mapping):
        return Outcome(
            False,
            "The web container has no preStop hook.",
            subject,
            mismatches=(Mismatch(path, "a hook that waits about 3 s", None, "missing"),),
            subject_object=pod,
        )
    waits = prestop_wait_s(hook)
    if waits is None:
        return Outcome(
            False,
            "The preStop hook of web does not wait: it runs no `sleep N`.",
            subject,
            mismatches=(Mismatch(path, "a hook that runs sleep 3", dict(hook), "differs"),),
            why=(
                "a preStop hook delays SIGTERM only as long as it runs: a hook that ends at "
                "once leaves late requests no server to answer them."
            ),
            subject_object=pod,
        )
    grace = spec.get("terminationGracePeriodSeconds")
    grace_s = grace if isinstance(grace, int) else DEFAULT_GRACE_S
    if not SHORTEST_S <= waits <= LONGEST_S or waits >= grace_s:
        return Outcome(
            False,
            f"The preStop hook of web waits {waits:g} s; it should wait about 3 s "
            f"({SHORTEST_S} to {LONGEST_S} s), and less than the grace period ({grace_s} s).",
            subject,
            mismatches=(
                Mismatch(
                    "spec.terminationGracePeriodSeconds",
                    f"more than {waits:g}",
                    grace,
                    "differs",
                )
                if waits >= grace_s and SHORTEST_S <= waits <= LONGEST_S
                else Mismatch(path + " (seconds of sleep)", "about 3", waits, "differs"),
            ),
            why=(
                "the preStop hook's time counts against terminationGracePeriodSeconds: when "
                "the grace period is over, the container is killed whether the hook has "
                "finished or not."
                if waits >= grace_s
                else "a very short wait gives late requests no chance; a long one delays every "
                "stop of the pod for nothing."
            ),
            subject_object=pod,
        )
    return Outcome(True, f"The preStop hook waits {waits:g} s.", subject)
