"""Render results as terminal text (CLI, nbgrader), HTML (notebook) and JSON.

Text is what a learner reads after ``kklab check``: the object first, then the
fields that differ, then why, then what to try. HTML carries the same content,
every value escaped; hints past the first are folded so a learner opens them
one at a time. JSON is ``to_dict()`` of the result.

Example:
    >>> from kklab.grading.results import CheckResult
    >>> text = render_text(CheckResult("05-services", "2", "service-has-endpoints",
    ...     "The Service has endpoints", "passed", 1, 1, message="Traffic reaches web."))
    >>> print(text.splitlines()[1])
      Traffic reaches web.
    >>> text.splitlines()[0].endswith("service-has-endpoints                   1/1")
    True
"""

from __future__ import annotations

import html
import json
import textwrap
from string import Template
from typing import Final

from kklab.grading.results import CheckResult, ExerciseResult, LabResult, show_html_with

HEADER_WIDTH: Final = 59
"""Points are right-aligned to this column in the check header line."""

TEXT_WIDTH: Final = 79
"""Prose (messages, why, hints) wraps at this width."""

SEPARATOR: Final = "\u203a"
"""Between lab and check id in headers (a single right-pointing angle quotation mark)."""

MARKS: Final = {"passed": "✓", "failed": "✗", "error": "!"}

Result = CheckResult | ExerciseResult | LabResult


def render_text(result: Result, *, hint_level: int = 1) -> str:
    """Render any result as plain text; ``hint_level`` is how many hints to show.

    Example:
        >>> from kklab.grading.results import CheckResult
        >>> print(render_text(CheckResult("07-storage", "4", "pvc-is-bound", "Bound",
        ...     "error", 0, 2, message="the API server did not answer")).splitlines()[1])
          Error: the API server did not answer
    """
    if isinstance(result, CheckResult):
        lines = _check_lines(result, hint_level)
    elif isinstance(result, ExerciseResult):
        lines = _exercise_lines(result, hint_level)
    else:
        lines = [f"{result.lab}: {result.title}"]
        for exercise in result.exercises:
            lines += ["", *_exercise_lines(exercise, hint_level)]
        lines += ["", _summary(result)]
    return "\n".join(lines)


def _summary(result: LabResult) -> str:
    counts = [f"{result.count('passed')} passed", f"{result.count('failed')} failed"]
    if result.count("error"):
        counts.append(f"{result.count('error')} could not be checked")
    return (
        f"{result.lab}: {result.points_earned}/{result.points_possible} points"
        f" ({', '.join(counts)})"
    )


def _exercise_lines(result: ExerciseResult, hint_level: int) -> list[str]:
    points = f"{result.points_earned}/{result.points_possible}"
    lines = [_align(f"Exercise {result.exercise}: {result.title}", points)]
    for check in result.checks:
        lines += _check_lines(check, hint_level)
    return lines


def _align(left: str, right: str) -> str:
    padding = max(2, HEADER_WIDTH - len(left) - len(right))
    return f"{left}{' ' * padding}{right}"


def _wrap(label: str, text: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(
            paragraph,
            width=TEXT_WIDTH,
            initial_indent=f"  {label}" if not lines else "  ",
            subsequent_indent="  ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or ["  " + label.strip()]
    return lines


def _check_lines(result: CheckResult, hint_level: int) -> list[str]:
    mark = MARKS[result.status]
    points = f"{result.points_earned}/{result.points_possible}"
    lines = [_align(f"{mark} {result.lab} {SEPARATOR} {result.check_id}", points)]
    if result.status == "passed":
        return lines + (_wrap("", result.message) if result.message else [])
    if result.status == "error":
        return lines + _wrap("Error: ", result.message or "the check could not be carried out")
    if result.subject:
        lines.append(f"  {result.subject}")
    lines += [f"  * {mismatch.describe()}" for mismatch in result.mismatches]
    if result.message:
        lines += _wrap("", result.message)
    if result.why:
        lines += _wrap("Why: ", result.why)
    if result.evidence:
        lines.append("  Seen:")
        lines += [f"    {line}" for line in result.evidence]
    if result.waited_s >= 0.5:
        lines += _wrap(
            "", f"(Waited {result.waited_s:.0f} s for a change; this is the last state.)"
        )
    shown = result.hints[: max(0, hint_level)]
    for number, hint in enumerate(shown, start=1):
        lines += _wrap("Hint: " if len(shown) == 1 else f"Hint {number}: ", hint)
    return lines


def render_json(result: Result) -> str:
    """Render any result as indented JSON (``to_dict()``).

    Example:
        >>> from kklab.grading.results import LabResult
        >>> print(render_json(LabResult("07-storage", "Storage")).splitlines()[1])
          "lab": "07-storage",
    """
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str)


_STYLE: Final = (
    "<style>.kklab-result{font-family:var(--jp-code-font-family,monospace);line-height:1.4}"
    ".kklab-result .passed{color:#1a7f37}.kklab-result .failed{color:#cf222e}"
    ".kklab-result .error{color:#9a6700}.kklab-result .points{float:right}"
    ".kklab-result ul{margin:0.2em 0 0.2em 1.2em;padding:0}"
    ".kklab-result .check{margin:0.4em 0}</style>"
)

_CHECK: Final = Template(
    '<div class="check $status"><div><span class="mark">$mark</span> '
    "<strong>$title</strong> <code>$check_id</code>"
    '<span class="points">$points</span></div>$body</div>'
)


def render_html(result: Result, *, hint_level: int = 1) -> str:
    """Render any result as an HTML fragment; every value is escaped.

    Example:
        >>> from kklab.grading.results import CheckResult
        >>> "&lt;b&gt;" in render_html(CheckResult("l", "1", "c", "<b>", "passed", 1, 1))
        True
    """
    if isinstance(result, CheckResult):
        body = _check_html(result, hint_level)
    elif isinstance(result, ExerciseResult):
        body = _exercise_html(result, hint_level)
    else:
        parts = [f"<h4>{_e(result.lab)}: {_e(result.title)}</h4>"]
        parts += [_exercise_html(exercise, hint_level) for exercise in result.exercises]
        parts.append(f"<p><strong>{_e(_summary(result))}</strong></p>")
        body = "".join(parts)
    return f'{_STYLE}<div class="kklab-result">{body}</div>'


show_html_with(render_html)  # results' _repr_html_, for notebooks


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _exercise_html(result: ExerciseResult, hint_level: int) -> str:
    checks = "".join(_check_html(check, hint_level) for check in result.checks)
    points = f"{result.points_earned}/{result.points_possible}"
    return (
        f"<div><strong>Exercise {_e(result.exercise)}: {_e(result.title)}</strong>"
        f' <span class="points">{_e(points)}</span>{checks}</div>'
    )


def _check_html(result: CheckResult, hint_level: int) -> str:
    body: list[str] = []
    if result.status == "passed":
        if result.message:
            body.append(f"<div>{_e(result.message)}</div>")
    elif result.status == "error":
        body.append(f"<div>Could not check: {_e(result.message)}</div>")
    else:
        if result.subject:
            body.append(f"<div><code>{_e(result.subject)}</code></div>")
        if result.mismatches:
            items = "".join(f"<li><code>{_e(m.describe())}</code></li>" for m in result.mismatches)
            body.append(f"<ul>{items}</ul>")
        if result.message:
            body.append(f"<div>{_e(result.message)}</div>")
        if result.why:
            body.append(f"<div><strong>Why:</strong> {_e(result.why)}</div>")
        if result.evidence:
            items = "".join(f"<li><code>{_e(line)}</code></li>" for line in result.evidence)
            body.append(
                f"<details><summary>What the cluster shows</summary><ul>{items}</ul></details>"
            )
        if result.waited_s >= 0.5:
            body.append(
                f"<div><em>Waited {result.waited_s:.0f} s; this is the last state.</em></div>"
            )
        for number, hint in enumerate(result.hints, start=1):
            if number <= hint_level:
                body.append(f"<div><strong>Hint:</strong> {_e(hint)}</div>")
            else:
                body.append(f"<details><summary>Hint {number}</summary>{_e(hint)}</details>")
    return _CHECK.substitute(
        status=_e(result.status),
        mark=_e(MARKS[result.status]),
        title=_e(result.title),
        check_id=_e(result.check_id),
        points=_e(f"{result.points_earned}/{result.points_possible}"),
        body="".join(body),
    )
