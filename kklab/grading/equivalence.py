"""Values that mean the same although they are spelled differently.

The matcher compares scalars by value and JSON type, except in three families of
fields where Kubernetes (or the learner) may spell one meaning several ways:

- **paths** (``mountPath``, ``subPath``, ``path`` under ``hostPath`` or ``local``):
  a trailing slash does not matter (``/logs/`` is ``/logs``; ``/`` stays ``/``);
- **quantities** (any value under ``requests``, ``limits``, ``capacity``,
  ``allocatable``, ``hard`` or ``used``, and ``sizeLimit``): compared as numbers,
  ``500Mi`` = ``524288000``, ``0.5Gi`` = ``512Mi``, ``1000m`` = ``1``; a string that is not a
  quantity is compared as a string;
- **image references** (``image``): the default registry and repository are filled
  in and a missing tag is ``latest``, so ``busybox:1.35`` =
  ``docker.io/library/busybox:1.35`` = ``library/busybox:1.35`` =
  ``index.docker.io/library/busybox:1.35`` and ``busybox`` = ``busybox:latest``;
  a reference with a digest (``@sha256:...``) is compared as written.

The family comes from the field's trail: the plain names along the path without
list selectors, also through expression keys (``(containers[0].image)`` ends on
``image``). Everything here is pure.

Example:
    >>> same_meaning("500Mi", "524288000", "spec.resources.requests.storage")
    True
    >>> same_meaning("/logs", "/log", "spec.containers.volumeMounts.mountPath")
    False
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Final

QUANTITY_PARENTS: Final = frozenset(
    {"requests", "limits", "capacity", "allocatable", "hard", "used"}
)
"""Mappings whose values are quantities (resources, PV capacity, node, quota)."""

PATH_FIELDS: Final = frozenset({"mountPath", "subPath"})
PATH_PARENTS: Final = frozenset({"hostPath", "local"})
MEANINGFUL_KEYS: Final = PATH_FIELDS | {"path", "image", "sizeLimit"}
"""Keys compared by meaning: never used to index list elements by exact value."""

_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([a-zA-Z]*|[eE][+-]?[0-9]+)$")
_BINARY: Final = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL: Final = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15}
_DECIMAL_E: Final = 18  # "E" alone is exa; "e3" is an exponent
_TRAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def quantity(value: Any) -> Fraction | None:
    """A Kubernetes quantity as an exact number, or None when it is not one.

    Example:
        >>> quantity("500Mi") == quantity(524288000), quantity("0.5Gi") == quantity("512Mi")
        (True, True)
        >>> quantity("1000m") == quantity("1"), quantity("500M") == quantity("500Mi")
        (True, False)
        >>> quantity("1e3"), quantity("lots"), quantity(True)
        (Fraction(1000, 1), None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value)
    if not isinstance(value, str):
        return None
    found = _QUANTITY.match(value.strip())
    if not found:
        return None
    number, suffix = Fraction(found.group(1)), found.group(2)
    if suffix in _BINARY:
        return number * Fraction(1024) ** _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * Fraction(10) ** _DECIMAL[suffix]
    if suffix == "E":
        return number * Fraction(10) ** _DECIMAL_E
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return number * Fraction(10) ** int(suffix[1:])
    return None


def directory(value: str) -> str:
    """A path without its trailing slashes (``/`` stays ``/``).

    Example:
        >>> directory("/logs/"), directory("/"), directory("data/")
        ('/logs', '/', 'data')
    """
    return value.rstrip("/") or ("/" if value.startswith("/") else value)


def image_reference(value: str) -> str:
    """An image reference in full: registry, repository and tag (digests as written).

    Example:
        >>> image_reference("busybox:1.35")
        'docker.io/library/busybox:1.35'
        >>> image_reference("index.docker.io/library/busybox"), image_reference("quay.io/a/b:1")
        ('docker.io/library/busybox:latest', 'quay.io/a/b:1')
        >>> image_reference("localhost:5000/web")
        'localhost:5000/web:latest'
    """
    if "@" in value:
        return value
    parts = value.split("/")
    first = parts[0]
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, parts[1:]
    else:
        registry, rest = "docker.io", parts
    if registry == "index.docker.io":
        registry = "docker.io"
    if registry == "docker.io" and len(rest) == 1:
        rest = ["library", *rest]
    if ":" not in rest[-1]:
        rest[-1] += ":latest"
    return f"{registry}/{'/'.join(rest)}"


def trail(field: str) -> list[str]:
    """The names along a field path, expression text included.

    Example:
        >>> trail("spec.(containers[?name=='web'].resources).limits.memory")[-2:]
        ['limits', 'memory']
    """
    return _TRAIL.findall(field)


def comparison(field: str) -> Callable[[Any], Any] | None:
    """How values of ``field`` are compared by meaning, or None: as written.

    Example:
        >>> comparison("spec.containers.image")("busybox")
        'docker.io/library/busybox:latest'
        >>> comparison("spec.containers.name") is None
        True
    """
    names = trail(field)
    last = names[-1] if names else ""
    parent = names[-2] if len(names) > 1 else ""
    if last in PATH_FIELDS or (last == "path" and parent in PATH_PARENTS):
        return lambda value: directory(value) if isinstance(value, str) else value
    if last == "sizeLimit" or parent in QUANTITY_PARENTS:
        return lambda value: quantity(value)
    if last == "image":
        return lambda value: image_reference(value) if isinstance(value, str) else value
    return None


def same_meaning(expected: Any, actual: Any, field: str) -> bool | None:
    """Whether two scalars of ``field`` mean the same; None when the field has no
    meaning-based comparison or a value does not parse (compare them as written).

    Example:
        >>> same_meaning("busybox:1.35", "docker.io/library/busybox:1.35", "spec.containers.image")
        True
        >>> same_meaning("busybox:1.35", "busybox:1.36", "spec.containers.image")
        False
        >>> same_meaning("a lot", "1Gi", "spec.resources.requests.storage") is None
        True
    """
    compare = comparison(field)
    if compare is None:
        return None
    wanted, found = compare(expected), compare(actual)
    if wanted is None or found is None:
        return None
    return bool(wanted == found) and type(wanted) is type(found)
