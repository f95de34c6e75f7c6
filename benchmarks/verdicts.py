"""Benchmark: how long a learner waits for the verdict on a wrong answer.

Not a test: it prints figures. With the local cluster up::

    .venv/bin/python benchmarks/verdicts.py [--lab 01-pods] [--limit 10]

For each wrong answer of the labs' mutation corpora (``tests/labs/mutations``),
in a namespace prepared like the lab's: the answer's cells run, the namespace
settles (no pod still starting, no claim just made, every running container
steady: :func:`kklab.grading.settling.namespace_unsteady`, at most 45 s, the
wait is printed), then the exercise is graded **with the lab's own timeouts**,
as ``kklab check`` grades it, and timed. The target (issue 21):
p95 under 3 s for a settled wrong answer; before the engine stopped polling
settled failures, a wrong answer waited out the check timeout (median 17.5 s).

The figures are grading time in one Python process; ``kklab check`` adds its
start-up (printed once at the end, measured with ``kklab --help``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from kklab.connecting import connect  # noqa: E402
from kklab.grading import grade  # noqa: E402
from kklab.grading.fetching import Fetcher  # noqa: E402
from kklab.grading.settling import namespace_unsteady  # noqa: E402
from kklab.grading.transport import ApiClientTransport  # noqa: E402
from kklab.labs import find_lab  # noqa: E402
from tests.labs.harness import answered, corpus  # noqa: E402

TARGET_P95_S = 3.0


class _Cluster:
    """What the tests' harness needs of a cluster: ``info`` and ``api_client``."""

    def __init__(self) -> None:
        connection = connect()
        self.info = connection.info
        self.api_client = connection.api_client


def _wrong_answers(lab_id: str) -> list[tuple[bool, dict[str, Any]]]:
    """(isolated, mutation) of the lab's wrong answers."""
    return [(iso, m) for lab, iso, m in corpus() if lab == lab_id and not m.get("passes")]


def _until_steady(cluster: _Cluster, namespace: str, limit_s: float = 45.0) -> float:
    """Wait until nothing in ``namespace`` is settling or young; the seconds waited."""
    fetcher = Fetcher(ApiClientTransport(cluster.api_client))
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        fetcher.new_round()
        if not namespace_unsteady(fetcher, namespace):
            break
        time.sleep(1)
    return time.monotonic() - started


def _time_one(
    cluster: _Cluster, lab_id: str, isolated: bool, mutation: dict[str, Any]
) -> tuple[float, bool, float]:
    """(seconds to grade the exercise, whether the named check failed, seconds waited)."""
    with answered(cluster, lab_id, mutation, isolated, prefix="kklab-bench") as session:
        waited = _until_steady(cluster, session.namespace) if mutation.get("settle", True) else 0
        started = time.monotonic()
        result = grade(
            cluster.api_client,
            session.namespace,
            find_lab(lab_id).load_grader(),
            mutation["exercise"],
            include_hidden=True,
        )
        seconds = time.monotonic() - started
    failed = any(c.check_id == mutation["fails"] and c.status == "failed" for c in result.checks)
    return seconds, failed, waited


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lab", action="append", help="only these labs (default: 01-pods, 07-storage)"
    )
    parser.add_argument("--limit", type=int, default=0, help="at most this many answers per lab")
    parser.add_argument(
        "--per-exercise", type=int, default=0, help="at most this many answers per exercise"
    )
    args = parser.parse_args()
    cluster = _Cluster()
    every: list[float] = []
    for lab_id in args.lab or ["01-pods", "07-storage"]:
        answers = _wrong_answers(lab_id)
        if args.per_exercise:
            taken: dict[str, int] = {}
            kept = []
            for isolated, answer in answers:
                taken[answer["exercise"]] = taken.get(answer["exercise"], 0) + 1
                if taken[answer["exercise"]] <= args.per_exercise:
                    kept.append((isolated, answer))
            answers = kept
        answers = answers[: args.limit or None]
        times = []
        for isolated, mutation in answers:
            seconds, failed, waited = _time_one(cluster, lab_id, isolated, mutation)
            times.append(seconds)
            mark = "" if failed else "  (did not fail as the corpus says)"
            print(
                f"  {lab_id} {mutation['exercise']:>2} {mutation['name']:<48} "
                f"{seconds:5.1f} s (after {waited:4.1f} s settling){mark}",
                flush=True,
            )
        every += times
        print(
            f"{lab_id}: {len(times)} wrong answers, median {statistics.median(times):.1f} s, "
            f"p95 {_percentile(times, 0.95):.1f} s, max {max(times):.1f} s",
            flush=True,
        )
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "kklab", "--help"], capture_output=True, check=False)
    print(
        f"all: {len(every)} wrong answers, median {statistics.median(every):.1f} s, p95 "
        f"{_percentile(every, 0.95):.1f} s (target {TARGET_P95_S:.0f} s); `kklab check` adds "
        f"its start-up, {time.monotonic() - started:.1f} s here"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
