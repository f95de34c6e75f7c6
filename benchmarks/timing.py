"""What the benchmark scripts share: timing a ``kklab`` command as a learner runs it."""

from __future__ import annotations

import subprocess
import sys
import time


def timed_kklab(*args: str) -> float:
    """Seconds ``python -m kklab ARGS`` took, Python start-up included; exits if it failed."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "kklab", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"`kklab {' '.join(args)}` failed: {result.stderr.strip()}")
    return time.monotonic() - started
