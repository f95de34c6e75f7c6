"""Custom checks of lab 01-pods that need more than a partial object."""

from __future__ import annotations

import re

from kklab.checks import (
    CheckContext,
    Outcome,
    final_when_quiet,
    namespace_settling,
    pod_at_rest,
    steady,
)


def _log(context: CheckContext, pod: str, *, previous: bool = False) -> str | None:
    """The last lines a pod's (first) container printed, or None when there is no log yet."""
    query = [("tailLines", "50")] + ([("previous", "true")] if previous else [])
    try:
        log = context.transport.request(
            "GET",
            f"/api/v1/namespaces/{context.namespace}/pods/{pod}/log",
            query=tuple(query),
            timeout_s=min(5.0, context.remaining_s() or 1.0),
            text=True,
        )
    except Exception:
        return None
    if str(log).startswith("unable to retrieve container logs"):
        return None  # the kubelet's answer for a container the runtime no longer has
    return str(log)


def _printed(context: CheckContext, pod: str, text: str) -> Outcome:
    """The pod's log (this run or the one before) holds ``text``: its command really ran."""
    subject = f"v1 Pod {context.namespace}/{pod}"
    found = context.get("v1", "Pod", pod)
    if found is None:  # only the learner can make it
        return Outcome(
            passed=False,
            subject=subject,
            message=f'There is no pod "{pod}" yet.',
            settled=not namespace_settling(context.fetcher, context.namespace),
        )
    # A pod that ended or is stuck prints nothing more, and one that has run a while in a
    # quiet namespace is taken at its word: its log is final.
    first = str(((found.get("spec") or {}).get("containers") or [{}])[0].get("name", ""))
    final = pod_at_rest(found) or (
        steady(found, first) and not namespace_settling(context.fetcher, context.namespace)
    )
    logs = [_log(context, pod), _log(context, pod, previous=True)]
    if any(text in log for log in logs if log is not None):
        return Outcome(passed=True, subject=subject)
    if all(log is None for log in logs):
        return Outcome(
            passed=False,
            subject=subject,
            message="Its log cannot be read: no container of it is running or has run yet.",
            settled=final,
        )
    lines = "\n".join(log for log in logs if log).strip().splitlines()
    last = repr(lines[-1]) if lines else "nothing at all"
    return Outcome(
        passed=False,
        subject=subject,
        message=f'Its log does not contain "{text}"; it printed {last}.',
        why="The container's command (or args) decides what it prints. A pod's command "
        "cannot be changed once it exists: delete the pod and create it again.",
        settled=final,
    )


def hello_printed_its_greeting(context: CheckContext) -> Outcome:
    """Exercise 1: the greeting of the learner's variant is in the log."""
    return _printed(context, "hello", str(context.params.get("greeting", "Hello from Kubernetes")))


def once_printed_finished(context: CheckContext) -> Outcome:
    """Exercise 5: the one-shot task really ran."""
    return _printed(context, "once", "finished")


def retry_printed_trying(context: CheckContext) -> Outcome:
    """Exercise 5: the failing task really ran."""
    return _printed(context, "retry", "trying")


def legacy_printed_its_banner(context: CheckContext) -> Outcome:
    """Exercise 6: the repaired pod runs the legacy service's own command."""
    return _printed(context, "legacy", "legacy service up")


# --- exercise 3: a label selector the learner wrote ---------------------------------

REQUIREMENT = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9./_-]+)\s*"
    r"(?:(?P<op>==|!=|=|\s+in\s+|\s+notin\s+)\s*(?P<value>\([^)]*\)|[A-Za-z0-9._-]*))?\s*$"
)

# Pods that may join the shop later: (labels, whether a rule for stable backends picks it).
FUTURE_PODS = (
    ({"app": "search", "tier": "backend", "env": "prod"}, True),
    ({"app": "search", "tier": "backend", "env": "staging"}, True),
    ({"app": "search", "tier": "backend"}, True),
    ({"app": "search", "tier": "backend", "env": "test"}, False),
    ({"app": "search", "tier": "frontend", "env": "prod"}, False),
    ({"app": "search", "env": "prod"}, False),
)


def _requirements(selector: str) -> list[tuple[str, str, set[str]]] | None:
    """``selector`` as (key, operator, values) requirements; None when it is not valid."""
    parts = re.split(r",(?![^()]*\))", selector)
    found: list[tuple[str, str, set[str]]] = []
    for part in parts:
        match = REQUIREMENT.match(part)
        if not match:
            return None
        op = (match["op"] or "").strip()
        value = match["value"]
        if match["neg"]:
            if op:
                return None
            found.append((match["key"], "!", set()))
        elif not op:
            found.append((match["key"], "exists", set()))
        elif op in ("in", "notin"):
            if value is None or not value.startswith("("):
                return None
            found.append((match["key"], op, {v.strip() for v in value[1:-1].split(",")}))
        else:
            if value is None or value.startswith("("):
                return None
            found.append((match["key"], "!=" if op == "!=" else "=", {value}))
    return found


def _selects(requirements: list[tuple[str, str, set[str]]], labels: dict[str, str]) -> bool:
    """Whether a pod with ``labels`` matches every requirement, as the API server decides."""
    for key, op, values in requirements:
        has = key in labels
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
        if op in ("=", "in") and labels.get(key) not in values:
            return False
        if op in ("!=", "notin") and has and labels[key] in values:
            return False
    return True


def _describe(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items() if k != "app") or "no labels"


@final_when_quiet
def release_rule_picks_stable_backends(context: CheckContext) -> Outcome:
    """Exercise 3: the selector in ConfigMap release-rules picks stable backends, now and later."""
    subject = f"v1 ConfigMap {context.namespace}/release-rules"
    config = context.get("v1", "ConfigMap", "release-rules")
    if config is None:
        return Outcome(
            passed=False, subject=subject, message='There is no ConfigMap "release-rules" yet.'
        )
    selector = str((config.get("data") or {}).get("stable-backends", "")).strip()
    if not selector:
        keys = ", ".join(sorted(config.get("data") or {})) or "none"
        return Outcome(
            passed=False,
            subject=subject,
            message=f'It has no key "stable-backends" with a selector (its keys: {keys}).',
        )
    requirements = _requirements(selector)
    if requirements is None:
        return Outcome(
            passed=False,
            subject=subject,
            message=f"{selector!r} is not a label selector kubectl -l would accept.",
            why="A selector is requirements joined by commas: key=value, key!=value, "
            "key in (a,b), key notin (a,b), key, !key.",
        )
    pods = context.list("v1", "Pod")
    now = {
        str(p["metadata"]["name"]): dict(p["metadata"].get("labels") or {})
        for p in pods
        if str(p["metadata"]["name"]) in SHOP
    }
    picked = {name for name, labels in now.items() if _selects(requirements, labels)}
    if picked != STABLE_BACKENDS:
        return Outcome(
            passed=False,
            subject=subject,
            message=f"{selector!r} picks {', '.join(sorted(picked)) or 'no pod'} of the shop's "
            "pods; the stable backends are cart and payments.",
        )
    for labels, wanted in FUTURE_PODS:
        if _selects(requirements, labels) != wanted:
            verdict = "misses" if wanted else "also picks"
            return Outcome(
                passed=False,
                subject=subject,
                message=f"{selector!r} picks the right pods today, but {verdict} a future pod "
                f"labelled {_describe(labels)}.",
                why="The rule must describe what a stable backend is (a backend outside the "
                "test environment), not list today's pods or today's labels.",
            )
    return Outcome(passed=True, subject=subject)


SHOP = {"cart", "payments", "storefront", "load-test"}
STABLE_BACKENDS = {"cart", "payments"}


def _labelled_stable(context: CheckContext) -> dict[str, dict[str, str]]:
    pods = context.list("v1", "Pod", label_selector="release=stable")
    return {str(pod["metadata"]["name"]): dict(pod["metadata"].get("labels") or {}) for pod in pods}


@final_when_quiet
def stable_backends_carry_the_release_label(context: CheckContext) -> Outcome:
    """Exercise 3: both stable backends are labelled."""
    subject = f"pods in {context.namespace}"
    labelled = _labelled_stable(context)
    missing = sorted(STABLE_BACKENDS - set(labelled))
    if not missing:
        return Outcome(passed=True, subject=subject)
    gone = [name for name in missing if context.get("v1", "Pod", name) is None]
    return Outcome(
        passed=False,
        subject=subject,
        message=f"Without release=stable: {', '.join(missing)}."
        + (f" There is no pod {', '.join(gone)} any more." if gone else ""),
        why=None
        if gone
        else "Label them with the rule itself: `kubectl label pods -l "
        "'<your selector>' release=stable`.",
    )


@final_when_quiet
def only_stable_backends_carry_the_release_label(context: CheckContext) -> Outcome:
    """Exercise 3: no other pod carries the label; each extra one is named with its reason."""
    subject = f"pods in {context.namespace}"
    labelled = _labelled_stable(context)
    if not labelled:
        return Outcome(passed=False, subject=subject, message="No pod carries release=stable yet.")
    extra = {n: labels for n, labels in labelled.items() if n not in STABLE_BACKENDS}
    if not extra:
        return Outcome(passed=True, subject=subject)
    reasons = []
    for name, labels in sorted(extra.items()):
        if labels.get("env") == "test":
            reasons.append(f"{name} runs in the test environment")
        elif labels.get("tier") != "backend":
            reasons.append(f"{name} is not a backend (tier={labels.get('tier', 'none')})")
        else:
            reasons.append(f"{name} is not one of the shop's stable backends")
    return Outcome(
        passed=False,
        subject=subject,
        message=f"These pods should not carry release=stable: {', '.join(sorted(extra))}.",
        why="; ".join(reasons) + ". Remove a label with a trailing dash: "
        "`kubectl label pod NAME release-`.",
    )
