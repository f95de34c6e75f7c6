"""Custom checks of lab 01-pods that need more than a partial object."""

from __future__ import annotations

from kklab.grading import CheckContext, Outcome


def hello_printed_its_greeting(context: CheckContext) -> Outcome:
    """The pod's log holds the greeting: the learner's command really ran."""
    subject = f"v1 Pod {context.namespace}/hello"
    if context.get("v1", "Pod", "hello") is None:
        return Outcome(passed=False, subject=subject, message='There is no pod "hello" yet.')
    try:
        log = context.transport.request(
            "GET", f"/api/v1/namespaces/{context.namespace}/pods/hello/log",
            query=(("tailLines", "50"),), timeout_s=min(5.0, context.remaining_s() or 1.0),
            text=True,
        )
    except Exception:
        return Outcome(passed=False, subject=subject,
                       message="Its log cannot be read yet: the container has not started.")
    if "Hello from Kubernetes" in str(log):
        return Outcome(passed=True, subject=subject)
    found = str(log).strip().splitlines()[-1:] or ["(nothing)"]
    return Outcome(
        passed=False, subject=subject,
        message=f'Its log does not contain "Hello from Kubernetes"; last line: {found[0]!r}.',
        why="The container's command decides what it prints. A pod's command cannot be "
        "changed after creation: delete the pod and create it again with the new command.",
    )


def legacy_pulls_only_when_missing(context: CheckContext) -> Outcome:
    """Exercise 6: the pod runs from the image already on the node."""
    subject = f"v1 Pod {context.namespace}/legacy"
    pod = context.get("v1", "Pod", "legacy")
    if pod is None:
        return Outcome(passed=False, subject=subject,
                       message='There is no pod "legacy": create it again with the fix.')
    container = next(iter(pod.get("spec", {}).get("containers") or []), {})
    policy = container.get("imagePullPolicy")
    statuses = pod.get("status", {}).get("containerStatuses") or []
    waiting = ((statuses[0].get("state") or {}).get("waiting") or {}) if statuses else {}
    if policy != "IfNotPresent":
        return Outcome(
            passed=False, subject=subject,
            message=f'imagePullPolicy is "{policy}", expected "IfNotPresent".',
            why="With Always, the kubelet asks the registry for the image every time a "
            "container starts, even when the node already has it. Offline, or when the "
            "registry is down, the pod never starts (ErrImagePull). IfNotPresent uses the "
            "node's copy.",
        )
    if pod.get("status", {}).get("phase") != "Running":
        reason = waiting.get("reason", pod.get("status", {}).get("phase"))
        return Outcome(passed=False, subject=subject,
                       message=f"The pod is not running yet ({reason}).")
    return Outcome(passed=True, subject=subject)
