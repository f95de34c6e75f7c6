"""Load grader files: YAML, validated against the shipped JSON schema, then built.

Every problem becomes a :class:`GraderSpecError` naming the file, the line, the
path in the document and what to do. :func:`spec_problems` returns all of them
(for ``kklab graders lint``); :func:`load_lab` raises the first.

Example:
    >>> lab = parse_lab({"lab": "01-pods", "title": "Pods", "exercises": [{"id": "1",
    ...     "title": "Run a pod", "checks": [{"id": "pod-runs", "title": "The pod runs",
    ...     "points": 1, "assert": {"apiVersion": "v1", "kind": "Pod",
    ...     "metadata": {"name": "web"}, "status": {"phase": "Running"}}}]}]})
    >>> lab.exercises[0].checks[0].kind
    'assert'
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import jmespath
import yaml
from jmespath.exceptions import JMESPathError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from kklab.grading.functions import NAMES
from kklab.grading.matching import is_expression, is_iteration, iteration_target
from kklab.grading.spec import (
    DEFAULT_TIMEOUT_S,
    KINDS,
    AccessBody,
    Body,
    Check,
    EventBody,
    ExecBody,
    Exercise,
    FileBody,
    GraderSpecError,
    Lab,
    LogsBody,
    ObjectBody,
    PythonBody,
    ReachBody,
    Why,
)

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "grader.schema.json"
PathParts = Sequence[str | int]
FUNCTIONS = NAMES
"""The JMESPath functions expression keys may call (jmespath.py's and kklab's)."""


class _Loader(yaml.SafeLoader):
    """Safe YAML without timestamps: a date-like value stays the string it looks like."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def schema() -> dict[str, Any]:
    """The grader JSON schema shipped in ``kklab/schemas``."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def format_path(parts: PathParts) -> str:
    """Format a document path the way messages show it.

    Example:
        >>> format_path(["exercises", 1, "checks", 0, "points"])
        'exercises[1].checks[0].points'
    """
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_of(node: yaml.Node | None, parts: PathParts) -> int | None:
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        if node is None:
            return None
    return None if node is None else node.start_mark.line + 1


def load_lab(path: Path | str, values: Mapping[str, Any] | None = None) -> Lab:
    """Load and validate ``graders/NN-topic.yaml`` (and its ``.py``); raise the first problem.

    ``values`` fills in the grader's ``${{ name }}`` placeholders (the lab's
    variant, see :mod:`kklab.labs.variants`); a grader that has placeholders
    cannot be loaded without them.
    """
    lab, problems = _load(Path(path), values)
    if problems:
        raise problems[0]
    assert lab is not None  # no problems means a lab was built
    return lab


def spec_problems(
    path: Path | str, values: Mapping[str, Any] | None = None
) -> list[GraderSpecError]:
    """Every problem of one grader file (empty when valid); used by ``kklab graders lint``."""
    return _load(Path(path), values)[1]


def grader_paths(graders_dir: Path | str) -> list[Path]:
    """The grader files of a directory, sorted (``NN-topic.yaml``)."""
    return sorted(Path(graders_dir).glob("[0-9][0-9]-*.yaml"))


def _load(
    path: Path, values: Mapping[str, Any] | None = None
) -> tuple[Lab | None, list[GraderSpecError]]:
    from kklab.labs.variants import VariantError, placeholders, substitute

    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        if values is None and placeholders(text):
            problem = f"it uses the lab's parameters ({', '.join(placeholders(text))})"
            fix = "load it with the lab's values (kklab.labs: session.grader())"
            return None, [GraderSpecError(problem, fix=fix, source=source)]
        text = substitute(text, values or {})
        node = yaml.compose(text, Loader=_Loader)
        document = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except VariantError as error:
        return None, [GraderSpecError(error.problem, fix=error.fix, source=source)]
    except OSError as error:
        fix = "create it or check the lab name"
        return None, [GraderSpecError(f"cannot read it ({error.strerror})", fix=fix, source=source)]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        problem = f"not valid YAML ({getattr(error, 'problem', None) or error})"
        fix = "check indentation and quoting near that line"
        return None, [GraderSpecError(problem, fix=fix, source=source, line=line)]
    problems = _schema_problems(document, source, node)
    if problems:
        return None, problems
    if document.get("lab") != path.stem:
        problems.append(
            GraderSpecError(
                f'lab is "{document.get("lab")}" but the file is {path.name}',
                fix=f"name the file after the lab folder and set lab: {path.stem}",
                source=source,
                path="lab",
                line=_line_of(node, ["lab"]),
            )
        )
    functions: dict[str, Callable[[Any], Any]] = {}
    if _uses_python(document):
        functions, module_problems = _load_functions(path.with_suffix(".py"), source)
        problems += module_problems
    try:
        lab = parse_lab(document, source=source, functions=functions, node=node)
        lab = replace(lab, params=dict(values or {}))
    except GraderSpecError as error:
        return None, [*problems, error]
    return (None if problems else lab), problems


def _schema_problems(document: Any, source: str, node: yaml.Node | None) -> list[GraderSpecError]:
    validator = Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [
        GraderSpecError(
            _problem(error),
            fix=_fix(error),
            source=source,
            path=format_path(list(error.absolute_path)),
            line=_line_of(node, list(error.absolute_path)),
        )
        for error in errors
    ]


def _problem(error: ValidationError) -> str:
    if error.validator == "oneOf" and isinstance(error.instance, Mapping):
        present = [kind for kind in KINDS if kind in error.instance]
        if not present:
            return "the check has no kind"
        return f"the check has several kinds ({', '.join(present)})"
    return error.message


def _fix(error: ValidationError) -> str:
    if error.validator == "oneOf":
        return f"give exactly one of: {', '.join(KINDS)}"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(_subschema(error).get("properties", {})))
        return f"remove it or fix its spelling; allowed here: {allowed}"
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        properties = _subschema(error).get("properties", {})
        described = [f"{name}: {_description(properties.get(name, {}))}" for name in missing]
        return "add " + "; ".join(described) if described else "add the missing field"
    return _description(_subschema(error)) or "see graders/README.md"


def _subschema(error: ValidationError) -> Mapping[str, Any]:
    return error.schema if isinstance(error.schema, Mapping) else {}


def _description(subschema: Any) -> str:
    if not isinstance(subschema, Mapping):
        return ""
    if "description" in subschema:
        return str(subschema["description"])
    ref = subschema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _description(schema()["$defs"].get(ref.removeprefix("#/$defs/"), {}))
    return ""


def _uses_python(document: Mapping[str, Any]) -> bool:
    return any("python" in check for ex in document["exercises"] for check in ex["checks"])


def _load_functions(
    path: Path, source: str
) -> tuple[dict[str, Callable[[Any], Any]], list[GraderSpecError]]:
    if not path.is_file():
        fix = f"create {path.name} next to it with the check functions"
        return {}, [GraderSpecError(f"python checks need {path}", fix=fix, source=source)]
    module_name = "kklab_graders_" + re.sub(r"\W", "_", path.stem)
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        return {}, [GraderSpecError(f"cannot import {path}", source=source)]
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:  # author code: report it, do not crash the linter
        problem = f"{path.name} failed to import: {type(error).__name__}: {error}"
        return {}, [GraderSpecError(problem, fix="fix that file", source=source)]
    functions = {
        name: value
        for name, value in vars(module).items()
        if callable(value) and not name.startswith("_")
    }
    return functions, []


def parse_lab(
    document: Mapping[str, Any],
    *,
    source: str = "<grader>",
    functions: Mapping[str, Callable[[Any], Any]] | None = None,
    node: yaml.Node | None = None,
) -> Lab:
    """Build a :class:`Lab` from a schema-valid document; raise on semantic problems.

    Semantic problems are what the schema cannot see: duplicate ids, JMESPath
    expressions that do not compile, two targets where one is needed.
    """
    builder = _Builder(source, functions or {}, node)
    seen_exercises: set[str] = set()
    seen_checks: set[str] = set()
    exercises = []
    for e_index, raw in enumerate(document["exercises"]):
        at: list[str | int] = ["exercises", e_index]
        exercise_id = str(raw["id"])
        if exercise_id in seen_exercises:
            raise builder.error([*at, "id"], f'exercise id "{exercise_id}" is used twice')
        seen_exercises.add(exercise_id)
        checks = []
        for c_index, raw_check in enumerate(raw["checks"]):
            check = builder.check(raw_check, [*at, "checks", c_index])
            if check.id in seen_checks:
                path = [*at, "checks", c_index, "id"]
                raise builder.error(path, f'check id "{check.id}" is used twice in the lab')
            seen_checks.add(check.id)
            checks.append(check)
        exercises.append(Exercise(exercise_id, str(raw["title"]), tuple(checks)))
    return Lab(
        id=str(document["lab"]),
        title=str(document["title"]),
        exercises=tuple(exercises),
        timeout_s=float(document.get("timeout_s", DEFAULT_TIMEOUT_S)),
        source=source,
    )


class _Builder:
    def __init__(
        self, source: str, functions: Mapping[str, Callable[[Any], Any]], node: yaml.Node | None
    ) -> None:
        self.source = source
        self.functions = functions
        self.node = node

    def error(self, parts: PathParts, problem: str, fix: str | None = None) -> GraderSpecError:
        return GraderSpecError(
            problem,
            fix=fix,
            source=self.source,
            path=format_path(parts),
            line=_line_of(self.node, parts),
        )

    def check(self, raw: Mapping[str, Any], at: list[str | int]) -> Check:
        kind = next(kind for kind in KINDS if kind in raw)
        timeout = raw.get("timeout_s")
        return Check(
            id=str(raw["id"]),
            title=str(raw["title"]),
            points=int(raw["points"]),
            kind=kind,
            body=self.body(kind, raw, [*at, kind]),
            success=str(raw.get("success", "")),
            hints=tuple(str(hint) for hint in raw.get("hints", ())),
            hidden=bool(raw.get("hidden", False)),
            timeout_s=None if timeout is None else float(timeout),
            holds_s=float(raw.get("holds_s", 0)),
            whys=tuple(
                self.why(item, [*at, "whys", index])
                for index, item in enumerate(raw.get("whys", ()))
            ),
        )

    def why(self, raw: Mapping[str, Any], at: list[str | int]) -> Why:
        when = raw.get("when") or {}
        for parts, problem, fix in partial_object_problems(when):
            raise self.error([*at, "when", *parts], problem, fix)
        return Why(str(raw["why"]), when)

    def body(self, kind: str, raw: Mapping[str, Any], at: list[str | int]) -> Body:
        value = raw[kind]
        if kind in ("assert", "error"):
            for parts, problem, fix in partial_object_problems(value):
                raise self.error([*at, *parts], problem, fix)
            return ObjectBody(value, tuple(raw.get("ordered", ())))
        if kind == "exec":
            if ("pod" in value) == ("selector" in value):
                raise self.error(at, "exec needs exactly one of pod or selector")
            pattern = value.get("stdout_matches")
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise self.error([*at, "stdout_matches"], f"invalid regex: {error}") from error
            return ExecBody(
                command=tuple(value["command"]),
                pod=value.get("pod"),
                selector=dict(value.get("selector", {})),
                container=value.get("container"),
                exit_code=int(value.get("exit_code", 0)),
                stdout_contains=value.get("stdout_contains"),
                stdout_matches=pattern,
                shown_as=value.get("shown_as"),
            )
        if kind == "logs":
            return self.logs(value, at)
        if kind == "file":
            return self.file(value, at)
        if kind == "event":
            return EventBody(
                api_version=value["apiVersion"],
                kind=value["kind"],
                name=value["name"],
                reason=value["reason"],
                message_contains=value.get("message_contains"),
                present=bool(value.get("present", True)),
            )
        if kind == "reach":
            return self.reach(value, at)
        if kind == "access":
            if ("user" in value) == ("service_account" in value):
                raise self.error(at, "access needs exactly one of user or service_account")
            return AccessBody(
                verb=value["verb"],
                resource=value["resource"],
                allowed=value["allowed"],
                user=value.get("user"),
                service_account=value.get("service_account"),
                groups=tuple(value.get("groups", ())),
                name=value.get("name"),
                namespace=value.get("namespace"),
            )
        function = self.functions.get(value)
        if function is None:
            known = ", ".join(sorted(self.functions)) or "none"
            fix = f"define def {value}(context) in the lab's .py file (functions found: {known})"
            raise self.error(at, f"no function named {value}", fix)
        return PythonBody(value, function)

    def _text_rule(
        self, kind: str, value: Mapping[str, Any], at: list[str | int], fix: str
    ) -> str | None:
        """Check a logs/file body's pod-or-selector and text rule; its regex, if any."""
        if ("pod" in value) == ("selector" in value):
            raise self.error(at, f"{kind} needs exactly one of pod or selector")
        if not any(key in value for key in ("contains", "matches", "absent")):
            raise self.error(at, f"{kind} needs contains, matches or absent", fix)
        pattern = value.get("matches")
        if pattern is not None:
            try:
                re.compile(pattern, re.MULTILINE)
            except re.error as error:
                raise self.error([*at, "matches"], f"invalid regex: {error}") from error
        return pattern

    def logs(self, value: Mapping[str, Any], at: list[str | int]) -> LogsBody:
        pattern = self._text_rule("logs", value, at, "say what the log must show")
        return LogsBody(
            pod=value.get("pod"),
            selector=dict(value.get("selector", {})),
            container=value.get("container"),
            contains=value.get("contains"),
            matches=pattern,
            absent=value.get("absent"),
            previous=bool(value.get("previous", False)),
        )

    def file(self, value: Mapping[str, Any], at: list[str | int]) -> FileBody:
        pattern = self._text_rule("file", value, at, "say what the file must hold")
        return FileBody(
            path=value["path"],
            pod=value.get("pod"),
            selector=dict(value.get("selector", {})),
            container=value.get("container"),
            contains=value.get("contains"),
            matches=pattern,
            absent=value.get("absent"),
        )

    def reach(self, value: Mapping[str, Any], at: list[str | int]) -> ReachBody:
        if ("url" in value) == ("tcp" in value):
            raise self.error(at, "reach needs exactly one of url or tcp")
        http_only = [key for key in ("status", "body_contains") if key in value]
        if "tcp" in value and http_only:
            raise self.error(at, f"{', '.join(http_only)} only apply to url")
        if value.get("reachable") is False and http_only:
            raise self.error(at, f"{', '.join(http_only)} make no sense with reachable: false")
        return ReachBody(
            url=value.get("url"),
            tcp=value.get("tcp"),
            from_pod=value.get("from_pod"),
            container=value.get("container"),
            reachable=bool(value.get("reachable", True)),
            status=value.get("status"),
            body_contains=value.get("body_contains"),
        )


def partial_object_problems(partial: Any, at: PathParts = ()) -> list[tuple[PathParts, str, str]]:
    """What kklab cannot evaluate in a partial object: (path, problem, fix) for each.

    Keys must be strings; an expression key must compile as kklab's JMESPath
    (jmespath.py, no ``$variables``) and call only its functions; an iteration key
    is ``~.(expression)`` or ``~.field``; ``-> name`` bindings are not supported.

    Example:
        >>> for _, problem, _ in partial_object_problems({"metadata": {"labels": {2024: "y"}},
        ...         "status": {"(lower(phase) == 'running')": True, "~i.(conditions)": {}}}):
        ...     print(problem)
        key 2024 is a number, not a string
        unknown function lower() in (lower(phase) == 'running')
        ~i.(conditions): only ~.(expression) and ~.field iterate in kklab
    """
    problems: list[tuple[PathParts, str, str]] = []
    if isinstance(partial, Mapping):
        for key, value in partial.items():
            path = [*at, str(key)]
            if not isinstance(key, str):
                fix = f'quote it: "{key}": (YAML reads unquoted numbers and booleans as such)'
                problems.append((path, f"key {key} is a {_type_word(key)}, not a string", fix))
            elif is_iteration(key):
                problems += _iteration_problems(key, path)
            elif is_expression(key):
                problems += _expression_problems(key[1:-1], path)
            elif "->" in key and key.startswith("("):
                fix = "bindings are not supported; repeat the expression where it is needed"
                problems.append((path, f"{key} binds a name with ->", fix))
            problems += partial_object_problems(value, path)
    elif isinstance(partial, list):
        for index, item in enumerate(partial):
            problems += partial_object_problems(item, [*at, index])
    return problems


def _type_word(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else type(value).__name__


def _iteration_problems(key: str, path: PathParts) -> list[tuple[PathParts, str, str]]:
    target = iteration_target(key)
    if target is None:
        problem = f"{key}: only ~.(expression) and ~.field iterate in kklab"
        fix = "drop the name after ~ ($-variables are not supported): write ~.(...)"
        return [(path, problem, fix)]
    if "->" in target:
        fix = "bindings are not supported; repeat the expression where it is needed"
        return [(path, f"{key} binds a name with ->", fix)]
    return _expression_problems(target[1:-1], path) if is_expression(target) else []


def _expression_problems(expression: str, path: PathParts) -> list[tuple[PathParts, str, str]]:
    if "->" in expression:
        fix = "bindings are not supported; repeat the expression where it is needed"
        return [(path, f"({expression}) binds a name with ->", fix)]
    if re.match(r"^\w+;", expression):
        fix = "kklab evaluates JMESPath only; drop the prefix and write the JMESPath form"
        return [(path, f"({expression}) names another expression language", fix)]
    try:
        parsed = jmespath.compile(expression).parsed
    except JMESPathError as error:
        if "$" in expression:
            problem = f"({expression}) uses a $variable"
            fix = "kklab's JMESPath (jmespath.py) has no variables or let; see graders/README.md"
            return [(path, problem, fix)]
        problem = f"expression ({expression}) does not compile: {str(error).splitlines()[0]}"
        return [(path, problem, "see jmespath.org for the syntax")]
    unknown = sorted({name for name in _function_names(parsed) if name not in FUNCTIONS})
    return [
        (
            path,
            f"unknown function {name}() in ({expression})",
            f"kklab's JMESPath has only: {', '.join(sorted(FUNCTIONS))}",
        )
        for name in unknown
    ]


def _function_names(node: Any) -> list[str]:
    if not isinstance(node, Mapping):
        return []
    names = [str(node["value"])] if node.get("type") == "function_expression" else []
    for child in node.get("children", ()):
        names += _function_names(child)
    return names
