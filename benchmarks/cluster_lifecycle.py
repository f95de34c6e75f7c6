"""Benchmark: local cluster `up` to Ready and `down`, with binaries cached.

Not a test: it prints figures. Runs `kklab up` / `kklab down` three times
(each in a fresh process, as a learner would) and prints each run and the
median, plus the last cold toolchain build time the toolchain recorded.
Targets on 2 cores: Ready within 25 s, down within 5 s.

    .venv/bin/python benchmarks/cluster_lifecycle.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from timing import timed_kklab

from kklab.cluster import toolchain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    timed_kklab("down")  # start from a stopped cluster
    ups, downs = [], []
    for run in range(1, runs + 1):
        ups.append(timed_kklab("up", "--provider", "local"))
        downs.append(timed_kklab("down", "--provider", "local"))
        print(f"run {run}: up to Ready {ups[-1]:5.1f} s   down {downs[-1]:4.1f} s", flush=True)
    print(
        f"median: up to Ready {statistics.median(ups):5.1f} s (target 25 s)   "
        f"down {statistics.median(downs):4.1f} s (target 5 s)"
    )
    info = toolchain.build_info_path()
    if info.exists():
        build = json.loads(info.read_text())
        print(
            f"last cold toolchain build of kubernetes {build['version']}: "
            f"{build['build_seconds']:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
