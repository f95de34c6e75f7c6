"""Benchmark: ``kklab classroom autograde`` of N submissions, with 1 job and with 2.

Not a test: it prints figures. On the cluster that is up, in a scratch course
directory: ``kklab classroom init``, ``nbgrader generate_assignment 01-pods``,
then N submissions (default 10) placed under ``submitted/``, graded once with
``--jobs 1`` and once with ``--jobs 2``. Reports each run's wall time and the
per-submission times (from the progress lines).

``--mix complete`` (default): every submission is the reference solution, the
steady cost of a submission. ``--mix class``: a class-like spread, 40 %
complete, 30 % with exercises 1 to 3 only, 30 % untouched (an undone exercise
costs its checks' waiting time). ``--jobs 2`` runs only that one.

    .venv/bin/python benchmarks/classroom.py [--submissions 10] [--mix class] [--jobs 1 2]
    .venv/bin/python benchmarks/classroom.py --submissions 30 --mix class --jobs 2  # issue 18
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.classroom_submissions import write_submission
from tests.helpers import run_kklab, run_tool

LAB = "01-pods"
ALL = {"1", "2", "3", "4", "5", "6"}
_LINE = re.compile(r"✓ (?P<student>\S+): (?P<score>[\d.]+)/\d+ points \((?P<seconds>\d+) s\)")


def _answers(index: int, count: int, mix: str) -> set[str]:
    """Submission ``index`` of ``count``: complete, half done (1 to 3) or untouched."""
    share = index / count
    if mix == "complete" or share < 0.4:
        return ALL
    return {"1", "2", "3"} if share < 0.7 else set()


def _course(root: Path, submissions: int, mix: str) -> Path:
    course = root / "course"
    for step in (
        run_kklab("classroom", "init", str(course), "--lab", LAB),
        run_tool(["nbgrader", "generate_assignment", LAB], cwd=course),
    ):
        if step.returncode != 0:
            sys.exit(step.stdout + step.stderr)
    for index in range(submissions):
        write_submission(course, LAB, f"s{index:02d}", solved=_answers(index, submissions, mix))
    return course


def _run(course: Path, jobs: int) -> tuple[float, list[float]]:
    started = time.monotonic()
    graded = run_kklab(
        "classroom", "autograde", LAB, "--course", str(course), "--jobs", str(jobs), timeout_s=7200
    )
    total = time.monotonic() - started
    if graded.returncode != 0:
        sys.exit(graded.stdout + graded.stderr)
    return total, [float(m.group("seconds")) for m in _LINE.finditer(graded.stdout)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10)
    parser.add_argument("--mix", choices=("complete", "class"), default="complete")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kklab-bench-") as scratch:
        course = _course(Path(scratch), args.submissions, args.mix)
        print(f"{args.submissions} submissions of {LAB} ({args.mix}):")
        results = {}
        for jobs in args.jobs:
            total, each = _run(course, jobs)
            results[jobs] = total
            print(
                f"  --jobs {jobs}: {total:6.1f} s total, {total / len(each):5.1f} s per submission"
                f" of wall time; each submission took median {statistics.median(each):.0f} s"
                f" (min {min(each):.0f}, max {max(each):.0f})"
            )
        if 1 in results and 2 in results:
            print(f"  speed-up with 2 jobs: {results[1] / results[2]:.2f}x")


if __name__ == "__main__":
    main()
