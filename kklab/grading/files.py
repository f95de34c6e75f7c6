"""The ``file`` check kind: what a file in a container holds, read with ``cat``.

The check proves a volume does its work (a note is on the claim, the node's file is
seen through a hostPath) without a ``python`` check. A file that cannot be read
fails with what ``cat`` said. A failure is settled once the namespace is not settling
and the pod is steady (running a while without a break, or at rest); a pod that does
not run is settled when the namespace's rule says it is stuck (it includes the pod).

Example:
    >>> from kklab.grading.spec import FileBody
    >>> body = FileBody("/data/notes.txt", pod="reader", contains="written by writer")
    >>> [m.describe() for m in file_mismatches(body, "hello\\n")]
    ['/data/notes.txt: expected text containing "written by writer", found "hello"']
"""

from __future__ import annotations

from typing import Final

from kklab.grading.context import CheckContext, pick_pod
from kklab.grading.logs import text_mismatches
from kklab.grading.matching import Mismatch, dig
from kklab.grading.results import Outcome
from kklab.grading.settling import namespace_settling, steady
from kklab.grading.spec import FileBody
from kklab.grading.transport import ApiStatusError

MAX_READ_S: Final = 10.0


def file_mismatches(body: FileBody, text: str) -> list[Mismatch]:
    """What the file's text lacks (or holds but must not); pure."""
    return text_mismatches(body.path, text, body.contains, body.matches, body.absent)


def run_file(context: CheckContext, body: FileBody) -> Outcome:
    """Pass when the file in the container holds what the check asks."""
    pod, wanted = pick_pod(context, body.pod, body.selector)
    if pod is None:
        missing = Mismatch("", f"{wanted} in namespace {context.namespace}", None, "not-found")
        quiet = not namespace_settling(context.fetcher, context.namespace)
        return Outcome(passed=False, mismatches=(missing,), settled=quiet)
    name = str(dig(pod, "metadata", "name"))
    containers = dig(pod, "spec", "containers") or [{}]
    container = body.container or str(containers[0].get("name", ""))
    subject = f"file {body.path} in container {container} (pod {context.namespace}/{name})"
    if container not in {str(c.get("name")) for c in containers}:
        names = ", ".join(str(c.get("name")) for c in containers)
        mismatch = Mismatch("container", container, names, "not-found")
        return Outcome(
            False, f"Pod {name} has no container {container}.", subject, (mismatch,), settled=True
        )
    phase = dig(pod, "status", "phase")
    if phase != "Running":
        mismatch = Mismatch("status.phase", "Running", phase, "differs")
        message = (
            f'Pod "{name}" is {phase or "not running"}: a file is read in a running container.'
        )
        # Pending for good (unschedulable, a volume that cannot be mounted) or ended:
        # the namespace's rule knows, as it includes this pod.
        quiet = not namespace_settling(context.fetcher, context.namespace)
        return Outcome(False, message, subject, (mismatch,), subject_object=pod, settled=quiet)
    timeout_s = min(MAX_READ_S, max(1.0, context.remaining_s()))
    try:
        output = context.transport.exec(
            context.namespace, name, container, ("cat", body.path), timeout_s
        )
    except ApiStatusError as error:
        return Outcome(False, f"The file could not be read: {error.message}", subject)
    quiet = steady(pod, container) and not namespace_settling(context.fetcher, context.namespace)
    if output.exit_code != 0:
        said = (output.stderr or output.stdout or output.failure or "").strip()
        mismatch = Mismatch(body.path, "a file", None, "missing")
        message = f'{body.path} cannot be read in container "{container}": {said}'
        return Outcome(False, message, subject, (mismatch,), subject_object=pod, settled=quiet)
    mismatches = file_mismatches(body, output.stdout)
    if not mismatches:
        return Outcome(True, subject=subject)
    message = f"{body.path} is empty." if not output.stdout.strip() else ""
    return Outcome(False, message, subject, tuple(mismatches), subject_object=pod, settled=quiet)
