"""Match an expected partial object against an object fetched from the cluster.

This module is pure: plain dicts in, a list of :class:`Mismatch` out. It never
raises for any input; a surprise in the data (a string where a mapping was
expected, an expression that does not evaluate) is a mismatch like any other.

Rules, in the order they apply:

- **Mappings**: every key of the expected mapping must match; keys the expected
  mapping does not list are ignored.
- **Absence**: an expected value of ``null`` means "absent or null". A missing
  parent counts as absent, so ``metadata: {labels: {debug: null}}`` passes on an
  object without labels.
- **Expression keys** (the Chainsaw form): a key in parentheses is a JMESPath
  expression evaluated against the mapping it sits in, and its value is what the
  result must match, e.g. ``(restartCount >= `1`): true``. When the result is a
  list and the expected value a mapping, every element must match and the list
  must not be empty (a filter that selects nothing is a mismatch, not a pass).
- **Lists of mappings** match order-insensitively, by key: ``type`` for
  ``conditions``, else ``name`` (or ``type``) when every expected element has one;
  otherwise each expected element must match a distinct actual element.
- **Lists of scalars**: each expected element must be present (as many times as
  it is listed).
- **Ordered lists**: ``command`` and ``args`` always, plus any field path given
  in ``ordered`` (keys joined by dots, list selectors left out, e.g.
  ``spec.template.spec.containers.args``): same length, element by element.
- **Scalars** compare by value and JSON type: ``8080`` differs from ``"8080"``,
  ``true`` from ``1``.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import jmespath
from jmespath.exceptions import JMESPathError

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
    ``not-in-list``, ``not-in-text``, ``no-regex-match``, ``expression``, ``not-found``
    or ``exists``."""

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
    if not found:
        return f"expected {wanted}, found none (the list is empty)"
    return f"expected {wanted}, found only {', '.join(show(item) for item in found)}"


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


def expression_keys(expected: Any) -> Iterable[str]:
    """Yield every expression (without parentheses) used as a key in ``expected``.

    Example:
        >>> list(expression_keys({"spec": {"(replicas > `1`)": True}}))
        ['replicas > `1`']
    """
    if isinstance(expected, Mapping):
        for key, value in expected.items():
            if is_expression(key):
                yield str(key)[1:-1]
            yield from expression_keys(value)
    elif isinstance(expected, list):
        for item in expected:
            yield from expression_keys(item)


def match(expected: Any, actual: Any, *, ordered: Iterable[str] = ()) -> list[Mismatch]:
    """Compare ``expected`` (a partial object) with ``actual``; return the differences.

    An empty list means the object matches. Mismatches come sorted by path.

    Example:
        >>> match({"status": {"phase": "Bound"}}, {"status": {"phase": "Bound"}})
        []
        >>> [m.reason for m in match({"metadata": {"labels": {"debug": None}}},
        ...                           {"metadata": {"labels": {"debug": "1"}}})]
        ['present']
    """
    matcher = _Matcher(frozenset(ordered))
    try:
        mismatches = matcher.value(expected, actual, "", "", "")
    except RecursionError:
        mismatches = [Mismatch("", "a shallower object", "too deeply nested", "expression")]
    return sorted(mismatches, key=lambda m: m.path)


def _join(path: str, key: object) -> str:
    text = str(key)
    if is_expression(key):
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
    return isinstance(value, Mapping | list)


class _Matcher:
    """Walks expected and actual together; ``field`` is the path without selectors."""

    def __init__(self, ordered: frozenset[str]) -> None:
        self.ordered = ordered

    def value(self, expected: Any, actual: Any, path: str, field: str, name: str) -> list[Mismatch]:
        if expected is None:
            return [] if actual is None else [Mismatch(path, None, actual, "present")]
        if isinstance(expected, Mapping):
            if actual is None:
                return self.mapping(expected, {}, path, field)
            if not isinstance(actual, Mapping):
                return [Mismatch(path, expected, actual, "type")]
            return self.mapping(expected, actual, path, field)
        if isinstance(expected, list | tuple):
            if actual is None:
                return [Mismatch(path, list(expected), None, "missing")]
            if not isinstance(actual, list | tuple):
                return [Mismatch(path, list(expected), actual, "type")]
            return self.sequence(list(expected), list(actual), path, field, name)
        if actual is None:
            return [Mismatch(path, expected, None, "missing")]
        if _is_container(actual):
            return [Mismatch(path, expected, actual, "type")]
        return (
            [] if _same_scalar(expected, actual) else [Mismatch(path, expected, actual, "differs")]
        )

    def mapping(
        self, expected: Mapping[Any, Any], actual: Mapping[Any, Any], path: str, field: str
    ) -> list[Mismatch]:
        mismatches: list[Mismatch] = []
        for key, wanted in expected.items():
            child_path = _join(path, key)
            child_field = _join(field, key)
            if is_expression(key):
                mismatches += self.expression(
                    str(key)[1:-1], wanted, actual, child_path, child_field
                )
            else:
                mismatches += self.value(wanted, actual.get(key), child_path, child_field, str(key))
        return mismatches

    def expression(
        self, expression: str, wanted: Any, actual: Mapping[Any, Any], path: str, field: str
    ) -> list[Mismatch]:
        try:
            result = jmespath.search(expression, actual)
        except JMESPathError as error:
            return [Mismatch(path, wanted, str(error).splitlines()[0], "expression")]
        except Exception as error:  # third-party code on arbitrary data: contain it
            return [Mismatch(path, wanted, f"{type(error).__name__}: {error}", "expression")]
        if isinstance(wanted, Mapping) and isinstance(result, list):
            if not result:
                return [Mismatch(path, wanted, [], "no-element")]
            mismatches: list[Mismatch] = []
            for index, item in enumerate(result):
                mismatches += self.value(wanted, item, f"{path}[{index}]", field, "")
            return mismatches
        return self.value(wanted, result, path, field, "")

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
        key = _list_key(name, expected)
        if key is not None:
            return self.keyed(expected, actual, key, path, field)
        return self.unkeyed(expected, actual, path, field)

    def keyed(
        self, expected: list[Any], actual: list[Any], key: str, path: str, field: str
    ) -> list[Mismatch]:
        mismatches: list[Mismatch] = []
        for wanted in expected:
            identity = wanted[key]
            element_path = f"{path}[{key}={identity}]"
            found = [
                item
                for item in actual
                if isinstance(item, Mapping) and _same_scalar(identity, item.get(key))
            ]
            if not found:
                present = [
                    item.get(key) for item in actual if isinstance(item, Mapping) and key in item
                ]
                mismatches.append(Mismatch(element_path, {key: identity}, present, "no-element"))
            else:
                results = [self.value(wanted, item, element_path, field, "") for item in found]
                best: list[Mismatch] = min(results, key=len)
                mismatches += best
        return mismatches

    def unkeyed(
        self, expected: list[Any], actual: list[Any], path: str, field: str
    ) -> list[Mismatch]:
        results = [
            [
                self.value(wanted, item, f"{path}[{index}]", field, "")
                for index, item in enumerate(actual)
            ]
            for wanted in expected
        ]
        compatible = [[not found for found in row] for row in results]
        assigned = _assign(compatible, len(actual))
        mismatches: list[Mismatch] = []
        for row, (wanted, candidates) in enumerate(zip(expected, results, strict=True)):
            if row in assigned:
                continue
            if not _is_container(wanted):
                mismatches.append(Mismatch(path, wanted, actual, "not-in-list"))
            elif not candidates:
                mismatches.append(Mismatch(path, wanted, [], "no-element"))
            else:
                closest: list[Mismatch] = min(candidates, key=len)
                mismatches += closest or [Mismatch(path, wanted, actual, "no-element")]
        return mismatches


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


def _assign(compatible: list[list[bool]], columns: int) -> set[int]:
    """Maximum bipartite matching (Kuhn): which expected rows get a distinct element."""
    owner: list[int | None] = [None] * columns

    def augment(row: int, seen: list[bool]) -> bool:
        for column in range(columns):
            if compatible[row][column] and not seen[column]:
                seen[column] = True
                holder = owner[column]
                if holder is None or augment(holder, seen):
                    owner[column] = row
                    return True
        return False

    for row in range(len(compatible)):
        augment(row, [False] * columns)
    return {row for row in owner if row is not None}
