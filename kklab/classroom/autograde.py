"""``kklab classroom autograde``: nbgrader autograde for a class, several submissions at once.

Each submission is one ``nbgrader autograde LAB --student ID`` process (which
runs ``KklabExecute``: a sandbox namespace per submission). ``jobs`` of them
run side by side; a line is printed as each ends, with its score from the
gradebook and the time it took. Each process's log is kept in
``<course>/kklab-logs/``.

Example:
    >>> plan_line(3, 10, Outcome("ada", 0, 18.0, 21.0, 41.2, Path("ada.log")))
    '[3/10] ✓ ada: 18/21 points (41 s)'
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from kklab.errors import KklabError

SUBMISSION_TIMEOUT_S = 30 * 60
"""A whole submission's limit, on top of each cell's own timeout."""
_RETRIES = 2
"""Times a submission is re-run after a passing trouble (see ``_TRANSIENT``)."""
_TRANSIENT = (
    "database is locked",  # two runs wrote the SQLite gradebook at once
    "Address already in use",  # two kernels started at once drew the same free port
)
"""Words in an nbgrader log that mean the run failed by chance, not by the submission:
nbgrader removes the failed assignment, so it can simply run again."""


@dataclass(frozen=True)
class Outcome:
    """How one submission's autograde ended."""

    student: str
    returncode: int
    score: float | None
    max_score: float | None
    seconds: float
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.score is not None


def _points(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def plan_line(done: int, total: int, outcome: Outcome) -> str:
    """The progress line printed when a submission ends."""
    head = f"[{done}/{total}]"
    if outcome.ok:
        return (
            f"{head} ✓ {outcome.student}: {_points(outcome.score)}/"
            f"{_points(outcome.max_score)} points ({outcome.seconds:.0f} s)"
        )
    return (
        f"{head} ✗ {outcome.student}: nbgrader autograde failed"
        f" (exit {outcome.returncode}, {outcome.seconds:.0f} s); its log: {outcome.log}"
    )


def submissions(course: Path, lab: str) -> list[str]:
    """The students with a submission of ``lab`` under ``submitted/``."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / lab).is_dir())


def _score(course: Path, lab: str, student: str) -> tuple[float | None, float | None]:
    from nbgrader.api import Gradebook, MissingEntry

    database = course / "gradebook.db"
    if not database.exists():
        return None, None
    with Gradebook(f"sqlite:///{database}") as gradebook:
        try:
            found = gradebook.find_submission(lab, student)
        except MissingEntry:
            return None, None
        return float(found.score), float(found.max_score)


def _environment() -> dict[str, str]:
    """This environment, with the interpreter's own bin folder first (nbgrader runs alembic)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def autograde_command(lab: str, student: str) -> list[str]:
    """The process that autogrades one submission.

    Example:
        >>> autograde_command("01-pods", "ada")[1:]
        ['-m', 'nbgrader', 'autograde', '01-pods', '--student', 'ada', '--force']
    """
    return [sys.executable, "-m", "nbgrader", "autograde", lab, "--student", student, "--force"]


def _run_one(
    course: Path, lab: str, student: str, logs: Path, command: list[str] | None = None
) -> Outcome:
    """Run one submission's autograde (``command`` replaces it in tests), again while its
    log shows a passing trouble (:data:`_TRANSIENT`), at most :data:`_RETRIES` times."""
    started = time.monotonic()
    log = logs / f"{lab}-{student}.log"
    command = command or autograde_command(lab, student)
    returncode = -1
    for _attempt in range(1 + _RETRIES):
        with log.open("w") as out:
            try:
                returncode = subprocess.run(
                    command,
                    cwd=course,
                    env=_environment(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=SUBMISSION_TIMEOUT_S,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                out.write(f"\nkklab: stopped after {SUBMISSION_TIMEOUT_S} s\n")
                returncode = -9
        text = log.read_text(errors="replace")
        if returncode == 0 or not any(words in text for words in _TRANSIENT):
            break
    score, max_score = _score(course, lab, student) if returncode == 0 else (None, None)
    return Outcome(student, returncode, score, max_score, time.monotonic() - started, log)


def autograde_class(
    course: Path,
    lab: str,
    *,
    jobs: int = 1,
    students: list[str] | None = None,
    say: Callable[[str], None] = print,
) -> list[Outcome]:
    """Autograde every submission of ``lab`` (or those of ``students``), ``jobs`` at a time."""
    if not (course / "nbgrader_config.py").exists():
        raise KklabError(
            f"{course} is not a kklab course directory (no nbgrader_config.py)",
            fix="run `kklab classroom init DIR` first, or pass --course DIR",
        )
    if jobs < 1:
        raise KklabError("--jobs must be at least 1", fix="e.g. --jobs 2")
    found = submissions(course, lab)
    wanted = students or found
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise KklabError(
            f"no submission of {lab} from: {', '.join(missing)}",
            fix=f"nbgrader collect puts submissions in {course}/submitted/STUDENT/{lab}/",
        )
    if not wanted:
        raise KklabError(
            f"no submissions of {lab} in {course}/submitted/",
            fix=f"collect them first (`nbgrader collect {lab}` or `nbgrader zip_collect {lab}`)",
        )
    logs = course / "kklab-logs"
    logs.mkdir(exist_ok=True)
    say(f"autograding {len(wanted)} submission(s) of {lab}, {jobs} at a time")
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run_one, course, lab, student, logs) for student in wanted]
        for future in as_completed(futures):
            outcome = future.result()
            with lock:
                outcomes.append(outcome)
                say(plan_line(len(outcomes), len(wanted), outcome))
    return sorted(outcomes, key=lambda o: o.student)
