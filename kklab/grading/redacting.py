"""Keep Secret values out of every output: text, HTML, JSON, evidence, logs.

Two layers. Structurally, a Secret's ``data``, ``stringData`` and its
last-applied-configuration annotation are replaced before they are shown.
Textually, a :class:`Redactor` knows the values of the Secrets in the lab
namespace (plain and base64) and replaces them wherever they appear, e.g. in a
log line or in the output of ``printenv``.

Example:
    >>> redactor = Redactor.from_secrets([{"kind": "Secret", "data": {"pw": "czNjcjN0"}}])
    >>> redactor.scrub("password is s3cr3t")
    'password is <redacted>'
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from kklab.grading.matching import Mismatch
from kklab.grading.results import CheckResult

REDACTED: Final = "<redacted>"
LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
_MIN_LENGTH: Final = 3  # shorter values ("1", "no") would blank out ordinary words
_SECRET_FIELDS: Final = ("data", "stringData")
SERVICE_ACCOUNT_TOKEN: Final = "kubernetes.io/service-account-token"


def is_secret(obj: Any) -> bool:
    """Tell whether a fetched object is a Secret.

    Example:
        >>> is_secret({"kind": "Secret"}), is_secret({"kind": "ConfigMap"})
        (True, False)
    """
    return isinstance(obj, Mapping) and obj.get("kind") == "Secret"


def redact_object(obj: Any) -> Any:
    """Return a copy of a Secret with its values replaced; other objects unchanged.

    Key names stay visible: a learner needs them to fix a key name mismatch.

    Example:
        >>> redact_object({"kind": "Secret", "data": {"pw": "czNjcjN0"}})["data"]
        {'pw': '<redacted>'}
    """
    if not is_secret(obj):
        return obj
    copy = dict(obj)
    for name in _SECRET_FIELDS:
        values = copy.get(name)
        if isinstance(values, Mapping):
            copy[name] = {key: REDACTED for key in values}
    metadata = copy.get("metadata")
    if isinstance(metadata, Mapping):
        annotations = metadata.get("annotations")
        if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
            copy["metadata"] = {
                **metadata,
                "annotations": {**annotations, LAST_APPLIED: REDACTED},
            }
    return copy


def redact_mismatches(mismatches: Iterable[Mismatch]) -> tuple[Mismatch, ...]:
    """Blank expected and found values of mismatches inside a Secret's data.

    A mismatch under a top-level expression key (``(data.password)``) is blanked
    too: the expression may have reached into ``data``.

    Example:
        >>> redact_mismatches([Mismatch("data.pw", "a", "b", "differs")])[0].describe()
        'data.pw: expected "<redacted>", found "<redacted>"'
    """
    result = []
    for mismatch in mismatches:
        head = mismatch.path.split(".", 1)[0].split("[", 1)[0]
        computed = head.startswith(("(", "~"))  # an expression may reach any value
        if head in _SECRET_FIELDS or computed or mismatch.path.startswith("metadata.annotations"):
            expression = mismatch.reason == "expression"  # expected is the grader's text
            mismatch = replace(
                mismatch,
                expected=mismatch.expected if expression else _blank(mismatch.expected),
                found=_blank(mismatch.found),
            )
        result.append(mismatch)
    return tuple(result)


def _blank(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {key: REDACTED for key in value}
    if isinstance(value, list):
        return [REDACTED for _ in value]
    return REDACTED


@dataclass(frozen=True)
class Redactor:
    """Replaces known Secret values in any string or JSON-like value."""

    values: frozenset[str] = frozenset()
    """Secret values to hide, plain and base64-encoded, longest first when applied."""

    @classmethod
    def from_secrets(cls, secrets: Iterable[Any]) -> Redactor:
        """Collect the values of fetched Secret objects (``data`` and ``stringData``)."""
        values: set[str] = set()
        for secret in secrets:
            if not is_secret(secret):
                continue
            for encoded in _strings(_sensitive(secret, secret.get("data"))):
                values.add(encoded)
                with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
                    values.add(base64.b64decode(encoded, validate=True).decode("utf-8"))
            for plain in _strings(_sensitive(secret, secret.get("stringData"))):
                values.add(plain)
                values.add(base64.b64encode(plain.encode("utf-8")).decode("ascii"))
        return cls(frozenset(v for v in values if len(v.strip()) >= _MIN_LENGTH))

    def scrub(self, text: str) -> str:
        """Replace every known value in ``text``.

        Example:
            >>> Redactor(frozenset({"hunter2"})).scrub("pw=hunter2")
            'pw=<redacted>'
        """
        for value in sorted(self.values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def scrub_value(self, value: Any) -> Any:
        """Scrub every string inside a JSON-like value."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {key: self.scrub_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_value(item) for item in value]
        return value

    def scrub_result(self, result: CheckResult) -> CheckResult:
        """Return ``result`` with every learner-facing string scrubbed: the message,
        subject, why, title, hints (a grader may quote a value a learner chose), the
        mismatches' expected and found values and the evidence."""
        if not self.values:
            return result
        return replace(
            result,
            message=self.scrub(result.message),
            subject=self.scrub(result.subject),
            why=None if result.why is None else self.scrub(result.why),
            title=self.scrub(result.title),
            hints=tuple(self.scrub(hint) for hint in result.hints),
            mismatches=tuple(
                replace(m, expected=self.scrub_value(m.expected), found=self.scrub_value(m.found))
                for m in result.mismatches
            ),
            evidence=tuple(self.scrub(line) for line in result.evidence),
        )


def _sensitive(secret: Mapping[str, Any], values: Any) -> Any:
    """The values to hide: a service account token Secret also holds its namespace
    and the cluster CA certificate, which are public (hiding the namespace name
    would blank it out of every message).

    Example:
        >>> _sensitive({"type": SERVICE_ACCOUNT_TOKEN},
        ...     {"namespace": "bGFi", "ca.crt": "Y2E=", "token": "dG9r"})
        {'token': 'dG9r'}
    """
    if secret.get("type") == SERVICE_ACCOUNT_TOKEN and isinstance(values, Mapping):
        return {key: value for key, value in values.items() if key == "token"}
    return values


def _strings(values: Any) -> Iterable[str]:
    if isinstance(values, Mapping):
        yield from (value for value in values.values() if isinstance(value, str))
