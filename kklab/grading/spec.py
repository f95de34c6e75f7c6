"""The grader format as Python types: a lab has exercises, an exercise has checks.

These are built by :mod:`kklab.grading.loading` from ``graders/NN-topic.yaml``
after validation against ``kklab/schemas/grader.schema.json``; they are frozen
and hold nothing but what the file says (plus the resolved custom functions).

Example:
    >>> check = Check(id="pod-runs", title="The pod runs", points=1, kind="assert",
    ...     body=ObjectBody({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}}))
    >>> check.body.name, check.body.namespaced_as("lab-01")
    ('web', 'lab-01')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from kklab.errors import KklabError

CheckKind = Literal["assert", "error", "exec", "logs", "file", "event", "reach", "access", "python"]
KINDS: Final[tuple[CheckKind, ...]] = (
    "assert",
    "error",
    "exec",
    "logs",
    "file",
    "event",
    "reach",
    "access",
    "python",
)
DEFAULT_TIMEOUT_S: Final = 10.0


class GraderSpecError(KklabError):
    """A grader file is invalid; the message names the file, the place and the fix.

    Example:
        >>> error = GraderSpecError("points must be at least 1", fix="give a positive integer",
        ...     source="graders/07-storage.yaml", path="exercises[0].checks[1].points", line=12)
        >>> print(error.problem)
        graders/07-storage.yaml:12: exercises[0].checks[1].points: points must be at least 1
    """

    def __init__(
        self,
        problem: str,
        *,
        fix: str | None = None,
        source: str = "<grader>",
        path: str = "",
        line: int | None = None,
    ) -> None:
        self.source = source
        self.path = path
        self.line = line
        self.detail = problem
        where = source if line is None else f"{source}:{line}"
        located = f"{where}: {path}: {problem}" if path else f"{where}: {problem}"
        super().__init__(located, fix=fix)


def with_namespace(text: str, namespace: str) -> str:
    """Replace the ``{namespace}`` placeholder with the lab namespace.

    Example:
        >>> with_namespace("http://web.{namespace}.svc:80/", "lab-05")
        'http://web.lab-05.svc:80/'
    """
    return text.replace("{namespace}", namespace)


@dataclass(frozen=True)
class ObjectBody:
    """Body of ``assert`` and ``error`` checks: a partial object."""

    partial: Mapping[str, Any]
    """The partial object: apiVersion, kind and only the fields to check."""

    ordered: tuple[str, ...] = ()
    """Field paths of lists compared in order (see ``matching``)."""

    @property
    def api_version(self) -> str:
        """``apiVersion`` of the objects to check."""
        return str(self.partial["apiVersion"])

    @property
    def kind(self) -> str:
        """``kind`` of the objects to check."""
        return str(self.partial["kind"])

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The ``metadata`` of the partial object (empty if none)."""
        metadata = self.partial.get("metadata")
        return metadata if isinstance(metadata, Mapping) else {}

    @property
    def name(self) -> str | None:
        """Name of the one object to check, or None to consider every object of the kind."""
        name = self.metadata.get("name")
        return name if isinstance(name, str) else None

    def namespaced_as(self, namespace: str) -> str:
        """The namespace to look in: ``metadata.namespace`` if given, else the lab's."""
        explicit = self.metadata.get("namespace")
        return with_namespace(explicit, namespace) if isinstance(explicit, str) else namespace

    @property
    def label_selector(self) -> str:
        """A label selector built from string-valued ``metadata.labels`` (for listing).

        Example:
            >>> ObjectBody({"apiVersion": "v1", "kind": "Pod",
            ...     "metadata": {"labels": {"app": "web", "debug": None}}}).label_selector
            'app=web'
        """
        labels = self.metadata.get("labels")
        if not isinstance(labels, Mapping):
            return ""
        return ",".join(
            f"{key}={value}"
            for key, value in sorted(labels.items(), key=lambda item: str(item[0]))
            if isinstance(key, str) and isinstance(value, str) and not key.startswith(("(", "~"))
        )


@dataclass(frozen=True)
class ExecBody:
    """Body of ``exec`` checks: run a command in a container."""

    command: tuple[str, ...]
    """The command and its arguments (no shell unless ``sh -c``)."""

    pod: str | None = None
    """Pod name, or None to pick by ``selector``."""

    selector: Mapping[str, str] = field(default_factory=dict)
    """Labels of the pod when ``pod`` is not given."""

    container: str | None = None
    """Container name; the first container when None."""

    exit_code: int = 0
    """Expected exit code."""

    stdout_contains: str | None = None
    """Text the standard output must contain."""

    stdout_matches: str | None = None
    """Python regular expression searched in the standard output."""

    shown_as: str | None = None
    """What the report shows instead of the command (a long script reads badly)."""


@dataclass(frozen=True)
class LogsBody:
    """Body of ``logs`` checks: what a container printed (its log, as ``kubectl logs``)."""

    pod: str | None = None
    """Pod name, or None to pick by ``selector``."""

    selector: Mapping[str, str] = field(default_factory=dict)
    """Labels of the pod when ``pod`` is not given."""

    container: str | None = None
    """Container name; the first container when None."""

    contains: str | None = None
    """Text the log must contain."""

    matches: str | None = None
    """Python regular expression searched in the log, line by line (``^`` and ``$``
    match at each line)."""

    absent: str | None = None
    """Text the log must NOT contain (e.g. an error the fix removes)."""

    previous: bool = False
    """Read the previous instance of the container (the one that crashed)."""


@dataclass(frozen=True)
class FileBody:
    """Body of ``file`` checks: what a file in a container holds (read with ``cat``)."""

    path: str
    """Absolute path of the file in the container."""

    pod: str | None = None
    """Pod name, or None to pick by ``selector``."""

    selector: Mapping[str, str] = field(default_factory=dict)
    """Labels of the pod when ``pod`` is not given."""

    container: str | None = None
    """Container name; the first container when None."""

    contains: str | None = None
    """Text the file must contain."""

    matches: str | None = None
    """Python regular expression searched in the file (``^``/``$`` at each line)."""

    absent: str | None = None
    """Text the file must NOT contain."""


@dataclass(frozen=True)
class EventBody:
    """Body of ``event`` checks: an event with a reason about one object (by its UID)."""

    api_version: str
    """``apiVersion`` of the object the event is about."""

    kind: str
    """Its kind, e.g. ``PersistentVolumeClaim``."""

    name: str
    """Its name (in the lab namespace unless the kind is cluster-scoped)."""

    reason: str
    """The event's reason, e.g. ``ProvisioningSucceeded`` or ``FailedMount``."""

    message_contains: str | None = None
    """Text the event's message must contain."""

    present: bool = True
    """False: passes when there is NO such event about the object."""


@dataclass(frozen=True)
class ReachBody:
    """Body of ``reach`` checks: connect from inside the cluster."""

    url: str | None = None
    """HTTP(S) URL to fetch, or None for a TCP check."""

    tcp: str | None = None
    """``host:port`` for a TCP connect, or None for an HTTP check."""

    from_pod: str | None = None
    """Existing pod to connect from; a throw-away busybox pod when None."""

    container: str | None = None
    """Container of ``from_pod``."""

    reachable: bool = True
    """Whether the connection must succeed (True) or be blocked (False)."""

    status: int | None = None
    """Expected HTTP status; any 2xx when None."""

    body_contains: str | None = None
    """Text the HTTP body must contain."""


@dataclass(frozen=True)
class AccessBody:
    """Body of ``access`` checks: a SubjectAccessReview."""

    verb: str
    """The verb, e.g. ``list``."""

    resource: str
    """Plural resource with optional group and subresource: ``pods``, ``deployments.apps``,
    ``pods/log``."""

    allowed: bool
    """Expected answer."""

    user: str | None = None
    """User name, when not a service account."""

    service_account: str | None = None
    """Service account ``name`` (lab namespace) or ``namespace:name``."""

    groups: tuple[str, ...] = ()
    """Extra groups of the subject."""

    name: str | None = None
    """Object name, for per-object rules."""

    namespace: str | None = None
    """Namespace; the lab namespace when None, cluster-wide when empty."""


@dataclass(frozen=True)
class PythonBody:
    """Body of ``python`` checks: a function from ``graders/NN-topic.py``."""

    function_name: str
    """Name of the function in the lab's Python file."""

    function: Callable[[Any], Any] = field(compare=False, repr=False)
    """The function, called with a ``CheckContext``; returns an ``Outcome``."""


Body = ObjectBody | ExecBody | LogsBody | FileBody | EventBody | ReachBody | AccessBody | PythonBody


@dataclass(frozen=True)
class Why:
    """A "why" of the grader: said when a failing check's object matches ``when``."""

    why: str
    """The sentence for the learner (why this state is wrong)."""

    when: Mapping[str, Any] = field(default_factory=dict)
    """A partial object (same rules as ``assert``) matched against the object the
    failure is about; empty: always."""


@dataclass(frozen=True)
class Check:
    """One graded check."""

    id: str
    """Kebab-case statement of what must be true, unique in the lab."""

    title: str
    """One line a learner reads."""

    points: int
    """Points earned when it passes (positive)."""

    kind: CheckKind
    """Which kind of check: assert, error, exec, logs, file, event, reach, access or python."""

    body: Body
    """Kind-specific part."""

    success: str = ""
    """Message shown when it passes."""

    hints: tuple[str, ...] = ()
    """Hints, gentlest first."""

    hidden: bool = False
    """Run only when hidden checks are included (autograde)."""

    timeout_s: float | None = None
    """Own polling timeout in seconds; the lab default when None."""

    holds_s: float = 0.0
    """Seconds the check must keep passing before it counts (e.g. a restart count
    that stops growing, a pod that stays Ready); 0 passes at the first pass."""

    whys: tuple[Why, ...] = ()
    """The grader's own "why"s, first match wins; before the misconception catalogue."""


@dataclass(frozen=True)
class Exercise:
    """One exercise and its checks."""

    id: str
    """Exercise id, e.g. ``4``."""

    title: str
    """Exercise title."""

    checks: tuple[Check, ...]
    """Its checks, in file order."""


@dataclass(frozen=True)
class Lab:
    """A lab's grader: its exercises and their checks."""

    id: str
    """Lab id, e.g. ``07-storage``."""

    title: str
    """Lab title."""

    exercises: tuple[Exercise, ...]
    """Exercises in file order."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    """Default polling timeout of its checks."""

    source: str = "<grader>"
    """Where it was loaded from (for messages)."""

    params: Mapping[str, Any] = field(default_factory=dict)
    """The lab variant's parameter values it was loaded with (``context.params``)."""

    def exercise(self, exercise_id: str) -> Exercise:
        """Find an exercise by id; a GraderSpecError lists the valid ids otherwise.

        Example:
            >>> try:
            ...     Lab("01-pods", "Pods", ()).exercise("9")
            ... except GraderSpecError as error:
            ...     print(error.fix)
            use one of: (none)
        """
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        known = ", ".join(exercise.id for exercise in self.exercises) or "(none)"
        raise GraderSpecError(
            f'lab {self.id} has no exercise "{exercise_id}"',
            fix=f"use one of: {known}",
            source=self.source,
        )

    def timeout_for(self, check: Check) -> float:
        """The polling timeout of a check: its own, else the lab's, plus its ``holds_s``
        (the state may take the timeout to appear, then must hold)."""
        own = self.timeout_s if check.timeout_s is None else check.timeout_s
        return own + check.holds_s
