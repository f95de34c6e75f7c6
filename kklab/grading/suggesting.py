"""Name a missing object helpfully: a near-miss name here, the same name elsewhere.

When an ``assert`` names an object that is not there, the learner has most often
mistyped the name or created it in another namespace. :func:`near_misses` and
:func:`why_missing` are pure (names in, a sentence out); :func:`look_around`
reads what they need, best effort: one list of the kind in the namespace, one
list of that name across namespaces, and any failure (a sandbox may not list
other namespaces: 403) simply leaves that part out.

Example:
    >>> print(why_missing("Pod", "hello", "lab-01-pods", near_misses("hello", ["helo", "web"]),
    ...                   []))
    found pod helo: did you mean hello?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Final

from kklab.grading.fetching import Fetcher
from kklab.grading.matching import dig

CUTOFF: Final = 0.6
"""How alike two names must be to count as a near miss (difflib's ratio)."""

MAX_SHOWN: Final = 3


def near_misses(name: str, names: Iterable[str]) -> list[str]:
    """Names that look like a mistyping of ``name`` (closest first, the name itself left out).

    Example:
        >>> near_misses("hello", ["helo", "web", "hallo", "hello"])
        ['helo', 'hallo']
        >>> near_misses("data", ["dta", "logs"])
        ['dta']
    """
    others = sorted({n for n in names if n != name})
    return difflib.get_close_matches(name, others, n=MAX_SHOWN, cutoff=CUTOFF)


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def why_missing(
    kind: str, name: str, namespace: str, similar: list[str], elsewhere: list[str]
) -> str | None:
    """The sentence for a missing object, or None when there is nothing to suggest.

    ``similar``: names of objects of the kind in ``namespace`` that are near misses;
    ``elsewhere``: other namespaces holding an object of that kind and name.

    Example:
        >>> print(why_missing("Pod", "hello", "lab-01-pods", [], ["default"]))
        ... # doctest: +NORMALIZE_WHITESPACE
        pod hello exists in namespace default, not lab-01-pods: create it in lab-01-pods
        (did you pass -n, or does your context point at another namespace? `kubectl config
        set-context --current --namespace lab-01-pods` makes lab-01-pods the default).
        >>> why_missing("Pod", "hello", "lab-01-pods", [], []) is None
        True
    """
    kind_word = kind.lower()
    sentences = []
    if similar:
        plural = "s" if len(similar) > 1 else ""
        sentences.append(f"found {kind_word}{plural} {_listed(similar)}: did you mean {name}?")
    if elsewhere:
        where = "namespace" + ("s" if len(elsewhere) > 1 else "")
        sentences.append(
            f"{kind_word} {name} exists in {where} {_listed(elsewhere)}, not {namespace}:"
            f" create it in {namespace} (did you pass -n, or does your context point at another"
            f" namespace? `kubectl config set-context --current --namespace {namespace}` makes"
            f" {namespace} the default)."
        )
    return " ".join(sentences) or None


def look_around(
    fetcher: Fetcher, api_version: str, kind: str, name: str, namespace: str
) -> str | None:
    """:func:`why_missing` for an object not found, from what can be read (best effort)."""
    similar: list[str] = []
    elsewhere: list[str] = []
    try:
        here = fetcher.list(api_version, kind, namespace)
        similar = near_misses(name, (str(dig(obj, "metadata", "name")) for obj in here))
    except Exception:  # best effort: the failure itself says what is missing
        pass
    try:
        if fetcher.resource(api_version, kind).namespaced:
            everywhere = fetcher.list(api_version, kind, "", field_selector=f"metadata.name={name}")
            found = {str(dig(obj, "metadata", "namespace")) for obj in everywhere}
            elsewhere = sorted(found - {namespace, "None"})[:MAX_SHOWN]
    except Exception:  # e.g. 403: a classroom sandbox cannot list other namespaces
        pass
    return why_missing(kind, name, namespace, similar, elsewhere)
