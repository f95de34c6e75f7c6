"""Benchmark: how long a learner waits for the verdict on a wrong answer.

Not a test: it prints figures. With the local cluster up::

    .venv/bin/python benchmarks/verdicts.py [--lab 01-pods] [--limit 10]

For each wrong answer of the labs' mutation corpora (``tests/labs/mutations``),
in a namespace prepared like the lab's: the answer's cells run, the namespace
settles (no pod still starting), then the exercise is graded **with the lab's
own timeouts**, as ``kklab check`` grades it, and timed. The target (issue 21):
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

import yaml  # noqa: E402

from kklab.connecting import connect  # noqa: E402
from kklab.grading import grade  # noqa: E402
from kklab.labs import find_lab  # noqa: E402
from tests.labs.harness import (  # noqa: E402
    delete_lab_volumes,
    drop,
    scratch_session,
    settle,
    solve,
)

TARGET_P95_S = 3.0


class _Cluster:
    """What the tests' harness needs of a cluster: ``info`` and ``api_client``."""

    def __init__(self) -> None:
        connection = connect()
        self.info = connection.info
        self.api_client = connection.api_client


def _wrong_answers(lab_id: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((ROOT / "tests" / "labs" / "mutations" / f"{lab_id}.yaml").read_text())
    start_for = data.get("start_for")
    found = []
    for mutation in data["mutations"]:
        if mutation.get("passes"):
            continue
        if start_for is not None:
            mutation = {**mutation, "start": start_for.get(mutation["exercise"], [])}
        found.append(mutation)
    return found


def _time_one(cluster: _Cluster, lab_id: str, mutation: dict[str, Any]) -> tuple[float, bool]:
    """(seconds to grade the exercise, whether the named check failed)."""
    lab = find_lab(lab_id)
    session = scratch_session(
        cluster, lab, prefix="kklab-bench", start_manifests=mutation.get("start")
    )
    try:
        solve(session, list(mutation.get("solve_first") or []))
        for cell in mutation["cells"]:
            session.run_solution(cell)
        if mutation.get("settle", True):
            settle(session)
        started = time.monotonic()
        result = grade(
            cluster.api_client,
            session.namespace,
            lab.load_grader(),
            mutation["exercise"],
            include_hidden=True,
        )
        seconds = time.monotonic() - started
        failed = any(
            c.check_id == mutation["fails"] and c.status == "failed" for c in result.checks
        )
        return seconds, failed
    finally:
        drop(session)
        if not lab.setup.namespaced:
            delete_lab_volumes(cluster, lab_id)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lab", action="append", help="only these labs (default: 01-pods, 07-storage)"
    )
    parser.add_argument("--limit", type=int, default=0, help="at most this many answers per lab")
    args = parser.parse_args()
    cluster = _Cluster()
    every: list[float] = []
    for lab_id in args.lab or ["01-pods", "07-storage"]:
        answers = _wrong_answers(lab_id)[: args.limit or None]
        times = []
        for mutation in answers:
            seconds, failed = _time_one(cluster, lab_id, mutation)
            times.append(seconds)
            mark = "" if failed else "  (did not fail as the corpus says)"
            print(
                f"  {lab_id} {mutation['exercise']:>2} {mutation['name']:<48} "
                f"{seconds:5.1f} s{mark}",
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
