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
    greeting = str(context.params.get("greeting", "Hello from Kubernetes"))
    if greeting in str(log):
        return Outcome(passed=True, subject=subject)
    found = str(log).strip().splitlines()[-1:] or ["(nothing)"]
    return Outcome(
        passed=False, subject=subject,
        message=f'Its log does not contain "{greeting}"; last line: {found[0]!r}.',
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


STABLE_BACKENDS = {"cart", "payments"}
RELEASE_WHY = (
    "A selector such as `tier=backend,env notin (test)` picks the backend pods outside "
    "the test environment; `notin` also keeps pods that have no env label at all."
)


def _labelled_stable(context: CheckContext) -> set[str]:
    pods = context.list("v1", "Pod", label_selector="release=stable")
    return {str(pod.get("metadata", {}).get("name")) for pod in pods}


def stable_backends_carry_the_release_label(context: CheckContext) -> Outcome:
    """Exercise 3: both stable backends are labelled."""
    missing = sorted(STABLE_BACKENDS - _labelled_stable(context))
    if not missing:
        return Outcome(passed=True, subject=f"pods in {context.namespace}")
    return Outcome(
        passed=False, subject=f"pods in {context.namespace}",
        message=f"Without release=stable: {', '.join(missing)}.",
        why=RELEASE_WHY,
    )


def only_stable_backends_carry_the_release_label(context: CheckContext) -> Outcome:
    """Exercise 3: the label is on exactly the two stable backends."""
    labelled = _labelled_stable(context)
    extra = sorted(labelled - STABLE_BACKENDS)
    subject = f"pods in {context.namespace}"
    if labelled == STABLE_BACKENDS:
        return Outcome(passed=True, subject=subject)
    if extra:
        return Outcome(
            passed=False, subject=subject,
            message=f"These pods should not carry release=stable: {', '.join(extra)}.",
            why="The selector matched more than the stable backends: "
            "`storefront` is a frontend and `load-test` runs in the test environment.",
        )
    found = ", ".join(sorted(labelled)) or "no pod"
    return Outcome(passed=False, subject=subject,
                   message=f"release=stable is on {found}; expected exactly cart and payments.",
                   why=RELEASE_WHY)


LEGACY_COMMAND = ["sh", "-c", "echo legacy service up; sleep 86400"]


def legacy_keeps_its_image_and_command(context: CheckContext) -> Outcome:
    """Exercise 6: the replacement pod differs from the original only in its pull policy."""
    subject = f"v1 Pod {context.namespace}/legacy"
    pod = context.get("v1", "Pod", "legacy")
    container = next(iter((pod or {}).get("spec", {}).get("containers") or []), {})
    if pod is None or container.get("imagePullPolicy") != "IfNotPresent":
        return Outcome(passed=False, subject=subject,
                       message='The pod "legacy" has not been replaced with the new policy yet.')
    problems = []
    if container.get("image") != "busybox:1.35":
        problems.append(f'image is "{container.get("image")}", expected "busybox:1.35"')
    if container.get("command") != LEGACY_COMMAND:
        problems.append(f"command is {container.get('command')}, expected {LEGACY_COMMAND}")
    if problems:
        return Outcome(passed=False, subject=subject, message="; ".join(problems) + ".",
                       why="Replacing a pod means recreating it with the same spec; "
                       "only the field you meant to fix should change.")
    return Outcome(passed=True, subject=subject)
