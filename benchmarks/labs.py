"""Benchmark: lab start and reset, and each lab's solution notebook end to end.

Not a test: it prints figures. On the cluster that is up:

* ``kklab lab start`` on a reset lab (target 3 s) and ``kklab lab reset`` on a
  solved lab with its pods and claims (target 5 s), 3 runs each, median;
* the source notebook of each lab executed top to bottom with nbclient, as the
  notebook tests do (target 90 s per lab).

    .venv/bin/python benchmarks/labs.py [--runs 3] [--lab 01-pods]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import nbformat
from timing import timed_kklab

from kklab.labs import all_labs, find_lab


def _notebook_seconds(lab_id: str) -> float:
    from nbclient import NotebookClient

    lab = find_lab(lab_id)
    timed_kklab("lab", "reset", lab.id)
    os.environ["KKLAB_WIDGETS"] = "0"
    notebook = nbformat.read(str(lab.notebook), as_version=4)
    started = time.monotonic()
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(lab.folder)}},
    ).execute()
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lab", action="append", help="only these labs")
    args = parser.parse_args()
    labs = [find_lab(name) for name in args.lab] if args.lab else all_labs()
    for lab in labs:
        starts, resets = [], []
        for _run in range(args.runs):
            timed_kklab("lab", "reset", lab.id)
            starts.append(timed_kklab("lab", "start", lab.id))
            timed_kklab("lab", "solve", lab.id)
            resets.append(timed_kklab("lab", "reset", lab.id))
        notebook = _notebook_seconds(lab.id)
        timed_kklab("lab", "reset", lab.id)
        print(
            f"{lab.id}: start median {statistics.median(starts):.1f} s (target 3), "
            f"reset of the solved lab median {statistics.median(resets):.1f} s (target 5), "
            f"solution notebook {notebook:.0f} s (target 90)",
            flush=True,
        )
    print("(times include starting the kklab process, about 1 s, as a learner sees them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
