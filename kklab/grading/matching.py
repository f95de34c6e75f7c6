"""Match an expected partial object against an object fetched from the cluster.

This module is pure: plain dicts in, a list of :class:`Mismatch` out. It never
raises for any input; a surprise in the data (a string where a mapping was
expected) is a mismatch like any other, and an expression that cannot be
evaluated is a mismatch with reason ``expression``, which the check kinds turn
into an *error* result (never a pass, see :func:`unevaluated`).

Rules, in the order they apply (graders/README.md has the table against Chainsaw):

- **Mappings**: every key of the expected mapping must match; keys the expected
  mapping does not list are ignored. ``{}`` asserts that a mapping is there.
- **Absence**: an expected value of ``null`` means "absent or null". A missing
  parent counts as absent, so ``metadata: {labels: {debug: null}}`` passes on an
  object without labels.
- **Expression keys** (the Chainsaw form): a key in parentheses is a JMESPath
  expression evaluated against the value it sits in (a mapping, a list or a
  scalar), and its value is what the result must match, e.g.
  ``(restartCount >= `1`): true``. When the result is a list and the expected
  value a mapping, its plain keys must match every element and the list must
  not be empty (a filter that selects nothing is a mismatch, not a pass); its
  expression keys see the list itself.
- **Iteration** (``~.(expr)`` or ``~.field``, as in Chainsaw): the expected value
  must match every element of the list (or every value of the mapping); an
  empty list passes, a missing one does not.
- **Lists of mappings** match order-insensitively, by key: ``type`` for
  ``conditions``, else ``name`` (or ``type``) when every expected element has one;
  otherwise by content. Either way each expected element needs its own actual
  element.
- **Lists of scalars**: each expected element must be present (as many times as
  it is listed). ``[]`` asserts an empty (or absent) list.
- **Ordered lists**: ``command`` and ``args`` always (also when an expression
  such as ``(containers[0].args)`` selects them), plus any field path given
  in ``ordered`` (keys joined by dots, list selectors left out, e.g.
  ``spec.template.spec.containers.args``): same length, element by element.
- **Scalars** compare by value and JSON type: ``8080`` differs from ``"8080"``,
  ``true`` from ``1``; except paths, quantities and image references, which compare
  by meaning (``/logs/`` = ``/logs``, ``500Mi`` = ``524288000``, ``busybox:1.35`` =
  ``docker.io/library/busybox:1.35``: see :mod:`kklab.grading.equivalence`).

Example:
    >>> pod = {"spec": {"containers": [{"name": "web", "image": "nginx:1.19"}]}}
    >>> [m.describe() for m in match({"spec": {"containers": [{"name": "web",
    ...     "image": "nginx:1.21"}]}}, pod)]
    ['spec.containers[name=web].image: expected "nginx:1.21", found "nginx:1.19"']
    >>> match({"(length(spec.containers))": 1}, pod)
    []
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from kklab.grading.assigning import assign
from kklab.grading.equivalence import MEANINGFUL_KEYS, same_meaning
from kklab.grading.functions import PureFunctions

ORDERED_FIELDS: Final = frozenset({"command", "args"})
"""List fields that are always compared in order (their order is their meaning)."""

LIST_KEYS: Final[Mapping[str, str]] = {"conditions": "type"}
"""List fields whose elements are identified by a key other than ``name``."""

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_MAX_SHOWN = 72


@dataclass(frozen=True)
class Mismatch:
    """One difference between what a check expects and what the cluster holds."""

    path: str
    """Where in the object, e.g. ``spec.containers[name=web].image``; empty for the
    object as a whole."""

    expected: Any
    """The expected value as written in the grader (JSON-like)."""

    found: Any
    """The value found (JSON-like); ``None`` when nothing was found."""

    reason: str
    """Short code: ``differs``, ``missing``, ``present``, ``type``, ``no-element``,
    ``no-key``, ``none-selected``, ``not-distinct``, ``not-empty``, ``no-list``,
    ``not-in-list``, ``not-in-text``, ``no-regex-match``, ``expression`` (could not be
    evaluated), ``not-found`` or ``exists``."""

    def describe(self) -> str:
        """One line a learner can read: where, expected against found.

        Example:
            >>> Mismatch("status.phase", "Bound", "Pending", "differs").describe()
            'status.phase: expected "Bound", found "Pending"'
        """
        text = _DESCRIBERS.get(self.reason, _describe_differs)(self)
        return f"{self.path}: {text}" if self.path else text


def dig(obj: Any, *keys: str) -> Any:
    """``obj[k1][k2]...``, or None where a level is missing or not a mapping.

    Example:
        >>> dig({"spec": {"claimRef": {"name": "a"}}}, "spec", "claimRef", "name")
        'a'
        >>> dig({"spec": None}, "spec", "claimRef") is None
        True
    """
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def show(value: Any) -> str:
    """Render a value compactly as JSON, shortened past 72 characters.

    Example:
        >>> show("Bound"), show(None), show({"app": "web"})
        ('"Bound"', 'null', '{"app": "web"}')
    """
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def type_name(value: Any) -> str:
    """Name a JSON type the way a learner would say it.

    Example:
        >>> type_name({}), type_name("x"), type_name(None)
        ('a mapping', 'a string', 'null')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _describe_differs(m: Mismatch) -> str:
    return f"expected {show(m.expected)}, found {show(m.found)}"


def _describe_missing(m: Mismatch) -> str:
    return f"expected {show(m.expected)}, found nothing (the field is not set)"


def _describe_present(m: Mismatch) -> str:
    return f"expected the field to be absent, found {show(m.found)}"


def _describe_type(m: Mismatch) -> str:
    return f"expected {type_name(m.expected)}, found {type_name(m.found)} {show(m.found)}"


def _describe_no_element(m: Mismatch) -> str:
    found = m.found if isinstance(m.found, list) else []
    keyed = isinstance(m.expected, Mapping) and len(m.expected) == 1
    if keyed and m.path.endswith("[{}={}]".format(*next(iter(m.expected.items())))):
        ((key, value),) = m.expected.items()
        wanted = f"an element with {key} {show(value)}"
    else:
        wanted = f"an element matching {show(m.expected)}"
    if not isinstance(m.found, list):  # the elements were not kept: say no more than we know
        return f"expected {wanted}, found no such element"
    if not found:
        return f"expected {wanted}, found none (the list is empty)"
    return f"expected {wanted}, found only {', '.join(show(item) for item in found)}"


def _describe_no_key(m: Mismatch) -> str:
    ((key, value),) = m.expected.items() if isinstance(m.expected, Mapping) else (("?", "?"),)
    count = m.found if isinstance(m.found, int) else 0
    elements = "element" if count == 1 else "elements"
    return f"expected an element with {key} {show(value)}, found {count} {elements} without a {key}"


def _describe_none_selected(m: Mismatch) -> str:
    return f"expected an element matching {show(m.expected)}, the expression selected none"


def _describe_not_distinct(m: Mismatch) -> str:
    return (
        f"expected one more element matching {show(m.expected)}"
        " (each listed element must match a different one)"
    )


def _describe_not_empty(m: Mismatch) -> str:
    return f"expected an empty list, found {show(m.found)}"


def _describe_no_list(m: Mismatch) -> str:
    if m.found is None:
        return "expected a list to check each element of, found nothing (the field is not set)"
    return f"expected a list to check each element of, found {type_name(m.found)} {show(m.found)}"


def _describe_not_in_list(m: Mismatch) -> str:
    return f"expected the list to contain {show(m.expected)}, found {show(m.found)}"


def _describe_not_in_text(m: Mismatch) -> str:
    return f"expected text containing {show(m.expected)}, found {show(m.found)}"


def _describe_no_regex_match(m: Mismatch) -> str:
    return f"expected text matching the pattern {show(m.expected)}, found {show(m.found)}"


def _describe_expression(m: Mismatch) -> str:
    return f"the expression could not be evaluated ({m.found})"


def _describe_not_found(m: Mismatch) -> str:
    return f"expected {m.expected}, found nothing"


def _describe_exists(m: Mismatch) -> str:
    return f"expected {m.expected}, found it"


_DESCRIBERS = {
    "differs": _describe_differs,
    "missing": _describe_missing,
    "present": _describe_present,
    "type": _describe_type,
    "no-element": _describe_no_element,
    "no-key": _describe_no_key,
    "none-selected": _describe_none_selected,
    "not-distinct": _describe_not_distinct,
    "not-empty": _describe_not_empty,
    "no-list": _describe_no_list,
    "not-in-list": _describe_not_in_list,
    "not-in-text": _describe_not_in_text,
    "no-regex-match": _describe_no_regex_match,
    "expression": _describe_expression,
    "not-found": _describe_not_found,
    "exists": _describe_exists,
}


def is_expression(key: object) -> bool:
    """Tell whether a mapping key is a Chainsaw-style expression key.

    Example:
        >>> is_expression("(spec.replicas > `1`)"), is_expression("spec")
        (True, False)
    """
    return isinstance(key, str) and len(key) > 2 and key[0] == "(" and key[-1] == ")"


def is_iteration(key: object) -> bool:
    """Tell whether a mapping key is an iteration key (``~.(expr)`` or ``~.field``).

    Example:
        >>> is_iteration("~.(containers)"), is_iteration("~.env"), is_iteration("spec")
        (True, True, False)
    """
    return isinstance(key, str) and key.startswith("~")


def _is_special(key: object) -> bool:
    return is_expression(key) or is_iteration(key)


def iteration_target(key: str) -> str | None:
    """What an iteration key iterates: ``(expr)`` or a field; None for forms kklab lacks.

    Example:
        >>> iteration_target("~.(containers)"), iteration_target("~index.(containers)")
        ('(containers)', None)
    """
    if not key.startswith("~.") or len(key) == 2:
        return None
    return key[2:]


def expression_keys(expected: Any) -> Iterable[str]:
    """Yield every expression (without parentheses) used as a key in ``expected``.

    Example:
        >>> list(expression_keys({"spec": {"(replicas > `1`)": True, "~.(c)": {"(a)": 1}}}))
        ['replicas > `1`', 'c', 'a']
    """
    if isinstance(expected, Mapping):
        for key, value in expected.items():
            if is_expression(key):
                yield str(key)[1:-1]
            elif is_iteration(key):
                target = iteration_target(str(key))
                if target is not None and is_expression(target):
                    yield target[1:-1]
            yield from expression_keys(value)
    elif isinstance(expected, list):
        for item in expected:
            yield from expression_keys(item)


def unevaluated(mismatches: Iterable[Mismatch]) -> list[Mismatch]:
    """The mismatches that say an expression could not be evaluated (a check *error*).

    Example:
        >>> [m.path for m in unevaluated(match({"(lower(phase))": "running"}, {"phase": "R"}))]
        ['(lower(phase))']
    """
    return [m for m in mismatches if m.reason == "expression"]


def match(
    expected: Any,
    actual: Any,
    *,
    ordered: Iterable[str] = (),
    functions: PureFunctions | None = None,
) -> list[Mismatch]:
    """Compare ``expected`` (a partial object) with ``actual``; return the differences.

    An empty list means the object matches. Mismatches come sorted by path. When
    the object does not match and an expression could not be evaluated along the
    way, that problem is among the mismatches (see :func:`unevaluated`).
    Expressions call ``functions`` (:mod:`kklab.grading.functions`: jmespath.py's
    own, ``quantity()``, and ``k8s_get``/``k8s_list``, which find nothing unless
    a :class:`~kklab.grading.functions.ClusterFunctions` is given).

    Example:
        >>> match({"status": {"phase": "Bound"}}, {"status": {"phase": "Bound"}})
        []
        >>> [m.reason for m in match({"metadata": {"labels": {"debug": None}}},
        ...                           {"metadata": {"labels": {"debug": "1"}}})]
        ['present']
    """
    matcher = _Matcher(frozenset(ordered), functions or _PURE)
    try:
        mismatches = matcher.value(expected, actual, "", "", "")
    except RecursionError:
        mismatches = [Mismatch("", "a shallower object", "too deeply nested", "expression")]
    if mismatches:
        mismatches += [m for m in matcher.problems if m not in mismatches]
    return sorted(mismatches, key=lambda m: m.path)


def _join(path: str, key: object) -> str:
    text = str(key)
    if _is_special(key):
        return f"{path}.{text}" if path else text
    if not _PLAIN_KEY.match(text):
        return f"{path}[{json.dumps(text, ensure_ascii=False)}]"
    return f"{path}.{text}" if path else text


def _same_scalar(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return bool(expected == actual)
    return type(expected) is type(actual) and bool(expected == actual)


def _is_container(value: Any) -> bool:
    return isinstance(value, Mapping | list | tuple)


def _token(value: Any) -> Hashable | None:
    """A hashable stand-in for a scalar that compares as ``_same_scalar`` does."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if value is None:
        return ("null", None)
    return None


_PURE: Final = PureFunctions()


@cache
def _compiled(expression: str) -> ParsedResult:
    return jmespath.compile(expression)


def result_field(expression: str) -> str:
    """The field an expression ends on (``args`` for ``containers[0].args``), else "".

    Example:
        >>> result_field("containers[?name=='web'] | [0].args"), result_field("length(a)")
        ('args', '')
    """
    try:
        node: Any = _compiled(expression).parsed
    except JMESPathError:
        return ""
    while node.get("type") in ("pipe", "subexpression") and node.get("children"):
        node = node["children"][-1]
    return str(node.get("value", "")) if node.get("type") == "field" else ""


class _Matcher:
    """Walks expected and actual together; ``field`` is the path without selectors."""

    def __init__(self, ordered: frozenset[str], functions: PureFunctions) -> None:
        self.ordered = ordered
        self.options = jmespath.Options(custom_functions=functions)
        self.problems: list[Mismatch] = []
        """Every expression that could not be evaluated, even on discarded candidates."""

    def value(self, expected: Any, actual: Any, path: str, field: str, name: str) -> list[Mismatch]:
        if expected is None:
            return [] if actual is None else [Mismatch(path, None, actual, "present")]
        if isinstance(expected, Mapping):
            if not expected:  # {} asserts that a mapping is there
                if actual is None:
                    return [Mismatch(path, {}, None, "missing")]
                return [] if isinstance(actual, Mapping) else [Mismatch(path, {}, actual, "type")]
            return self.mapping(expected, {} if actual is None else actual, path, field)
        if isinstance(expected, list | tuple):
            if not expected:  # [] asserts an empty list; Kubernetes omits empty lists
                if actual is None or (isinstance(actual, list | tuple) and not actual):
                    return []
                if not isinstance(actual, list | tuple):
                    return [Mismatch(path, [], actual, "type")]
                return [Mismatch(path, [], list(actual), "not-empty")]
            if actual is None:
                return [Mismatch(path, list(expected), None, "missing")]
            if not isinstance(actual, list | tuple):
                return [Mismatch(path, list(expected), actual, "type")]
            return self.sequence(list(expected), list(actual), path, field, name)
        if actual is None:
            return [Mismatch(path, expected, None, "missing")]
        if _is_container(actual):
            return [Mismatch(path, expected, actual, "type")]
        same = same_meaning(expected, actual, field)
        if same is None:
            same = _same_scalar(expected, actual)
        return [] if same else [Mismatch(path, expected, actual, "differs")]

    def mapping(
        self, expected: Mapping[Any, Any], actual: Any, path: str, field: str
    ) -> list[Mismatch]:
        """Plain keys need a mapping; expression and iteration keys work on any value."""
        mismatches: list[Mismatch] = []
        plain = {key: wanted for key, wanted in expected.items() if not _is_special(key)}
        if plain and not isinstance(actual, Mapping):
            mismatches.append(Mismatch(path, plain, actual, "type"))
        elif plain:
            for key, wanted in plain.items():
                child_path, child_field = _join(path, key), _join(field, key)
                mismatches += self.value(wanted, actual.get(key), child_path, child_field, str(key))
        for key, wanted in expected.items():
            if is_expression(key):
                mismatches += self.expression(
                    str(key)[1:-1], wanted, actual, _join(path, key), _join(field, key)
                )
            elif is_iteration(key):
                mismatches += self.iteration(
                    str(key), wanted, actual, _join(path, key), _join(field, key)
                )
        return mismatches

    def evaluate(self, expression: str, actual: Any, path: str) -> tuple[Any, Mismatch | None]:
        try:
            return _compiled(expression).search(actual, self.options), None
        except JMESPathError as error:
            problem = str(error).splitlines()[0]
        except RecursionError:
            problem = "too deeply nested"
        except Exception as error:  # third-party code on arbitrary data: contain it
            problem = f"{type(error).__name__}: {error}"
        mismatch = Mismatch(path, f"({expression})", problem, "expression")
        self.problems.append(mismatch)
        return None, mismatch

    def expression(
        self, expression: str, wanted: Any, actual: Any, path: str, field: str
    ) -> list[Mismatch]:
        result, problem = self.evaluate(expression, actual, path)
        if problem is not None:
            return [problem]
        if isinstance(wanted, Mapping) and isinstance(result, list):
            return self.selected(wanted, result, path, field)
        return self.value(wanted, result, path, field, result_field(expression))

    def selected(
        self, wanted: Mapping[Any, Any], result: list[Any], path: str, field: str
    ) -> list[Mismatch]:
        """A mapping against an expression's list: plain keys per element, others on the list."""
        plain = {key: value for key, value in wanted.items() if not _is_special(key)}
        special = {key: value for key, value in wanted.items() if _is_special(key)}
        mismatches: list[Mismatch] = []
        if plain or not special:
            if not result:
                mismatches.append(Mismatch(path, plain, [], "none-selected"))
            for index, item in enumerate(result):
                mismatches += self.value(plain, item, f"{path}[{index}]", field, "")
        if special:
            mismatches += self.mapping(special, result, path, field)
        return mismatches

    def iteration(
        self, key: str, wanted: Any, actual: Any, path: str, field: str
    ) -> list[Mismatch]:
        target = iteration_target(key)
        if target is None:
            problem = "only ~.(expression) and ~.field iterate; named iteration binds a variable"
            mismatch = Mismatch(path, key, problem, "expression")
            self.problems.append(mismatch)
            return [mismatch]
        if is_expression(target):
            result, error = self.evaluate(target[1:-1], actual, path)
            if error is not None:
                return [error]
        else:
            result = actual.get(target) if isinstance(actual, Mapping) else None
        if isinstance(result, Mapping):
            items = [(f"{path}[{_quote(k)}]", item) for k, item in result.items()]
        elif isinstance(result, list | tuple):
            items = [(f"{path}[{index}]", item) for index, item in enumerate(result)]
        else:
            return [Mismatch(path, [wanted], result, "no-list")]
        mismatches: list[Mismatch] = []
        for item_path, item in items:
            mismatches += self.value(wanted, item, item_path, field, "")
        return mismatches

    def sequence(
        self, expected: list[Any], actual: list[Any], path: str, field: str, name: str
    ) -> list[Mismatch]:
        if name in ORDERED_FIELDS or field in self.ordered:
            if len(expected) != len(actual):
                return [Mismatch(path, expected, actual, "differs")]
            mismatches: list[Mismatch] = []
            for index, (wanted, item) in enumerate(zip(expected, actual, strict=True)):
                mismatches += self.value(wanted, item, f"{path}[{index}]", field, "")
            return mismatches
        if all(_token(item) is not None for item in expected):
            return self.scalars(expected, actual, path)
        return self.elements(expected, actual, _list_key(name, expected), path, field)

    def scalars(self, expected: list[Any], actual: list[Any], path: str) -> list[Mismatch]:
        """Each expected scalar present, as many times as listed: a multiset, linear time."""
        available = Counter(token for token in map(_token, actual) if token is not None)
        mismatches: list[Mismatch] = []
        for wanted in expected:
            token = _token(wanted)
            if available[token] > 0:
                available[token] -= 1
            else:
                mismatches.append(Mismatch(path, wanted, actual, "not-in-list"))
        return mismatches

    def elements(
        self, expected: list[Any], actual: list[Any], key: str | None, path: str, field: str
    ) -> list[Mismatch]:
        """Each expected element gets a distinct actual element (by key when there is one)."""
        element_paths = [
            f"{path}[{key}={wanted[key]}]" if key is not None else f"{path}[{row}]"
            for row, wanted in enumerate(expected)
        ]
        indexes: dict[str, dict[Hashable, list[int]]] = {}
        everything = range(len(actual))

        def columns_of(row: int) -> Iterable[int]:
            """Only elements that share the row's key (or first scalar field): linear time."""
            index_key = key if key is not None else _index_key(expected[row])
            if index_key is None:
                return everything
            if index_key not in indexes:
                index = indexes[index_key] = {}
                for column, item in enumerate(actual):
                    if isinstance(item, Mapping):
                        index.setdefault(_token(item.get(index_key)), []).append(column)
            return indexes[index_key].get(_token(expected[row][index_key]), [])

        results: dict[tuple[int, int], list[Mismatch]] = {}

        def compare(row: int, column: int) -> list[Mismatch]:
            if (row, column) not in results:
                item_path = element_paths[row] if key is not None else f"{path}[{column}]"
                results[row, column] = self.value(
                    expected[row], actual[column], item_path, field, ""
                )
            return results[row, column]

        placed = assign(range(len(expected)), columns_of, lambda r, c: not compare(r, c))
        mismatches: list[Mismatch] = []
        for row, wanted in enumerate(expected):
            if row not in placed:
                candidates = [compare(row, column) for column in columns_of(row)]
                mismatches += self.unplaced(
                    wanted, actual, key, candidates, element_paths[row], path
                )
        return mismatches

    def unplaced(
        self,
        wanted: Any,
        actual: list[Any],
        key: str | None,
        candidates: list[list[Mismatch]],
        element_path: str,
        path: str,
    ) -> list[Mismatch]:
        """Why an expected element found no element of its own: the closest attempt."""
        if any(not found for found in candidates):  # it matches one that another took
            return [Mismatch(element_path, wanted, None, "not-distinct")]
        if candidates:
            # Fewest differences; on a tie, the one whose differences are fields it
            # lacks rather than fields it has otherwise (a mount with the right path and
            # no readOnly is closer than another mount that happens to be read-only).
            closest: list[Mismatch] = min(
                candidates,
                key=lambda found: (len(found), sum(m.reason != "missing" for m in found)),
            )
            return closest
        if key is None:
            if not _is_container(wanted):
                return [Mismatch(path, wanted, actual, "not-in-list")]
            index = _index_key(wanted)
            if actual and index is not None:  # name the values that field has instead
                present = [item.get(index) for item in actual if isinstance(item, Mapping)]
                return [Mismatch(path, {index: wanted[index]}, present, "no-element")]
            return [Mismatch(path, wanted, None if actual else [], "no-element")]
        identity = {key: wanted[key]}
        present = [item[key] for item in actual if isinstance(item, Mapping) and key in item]
        if actual and not present:
            return [Mismatch(element_path, identity, len(actual), "no-key")]
        return [Mismatch(element_path, identity, present, "no-element")]


def _index_key(wanted: Any) -> str | None:
    """A plain key whose scalar value any matching element must share, if there is one."""
    if isinstance(wanted, Mapping):
        for key, value in wanted.items():
            plain = isinstance(key, str) and not _is_special(key)
            exact = key not in MEANINGFUL_KEYS  # compared by meaning, not token
            # A flag (readOnly: true) identifies nothing: many elements share it.
            flag = isinstance(value, bool)
            if plain and exact and not flag and value is not None and _token(value) is not None:
                return str(key)
    return None


def _quote(key: Any) -> str:
    text = str(key)
    return text if _PLAIN_KEY.match(text) else json.dumps(text, ensure_ascii=False)


def _list_key(name: str, expected: list[Any]) -> str | None:
    if not expected or not all(isinstance(item, Mapping) for item in expected):
        return None
    candidates = (LIST_KEYS[name],) if name in LIST_KEYS else ("name", "type")
    for key in candidates:
        if all(_is_plain_scalar(item.get(key)) for item in expected):
            return key
    return None


def _is_plain_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)
