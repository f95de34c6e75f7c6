"""Running other programs, with failures that show the command and its output.

Example:
    >>> run(["true"]).returncode
    0
    >>> try:
    ...     run(["sh", "-c", "echo nope >&2; exit 3"])
    ... except CommandError as err:
    ...     print(err.problem)
    `sh -c 'echo nope >&2; exit 3'` exited with 3: nope
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from kklab.errors import KklabError


class CommandError(KklabError):
    """A program kklab ran failed; the message holds its last lines of output."""


def _tail(text: str, lines: int = 15) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)


def run(
    command: Sequence[str],
    *,
    check: bool = True,
    timeout_s: float | None = 300,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    input_bytes: bytes | None = None,
    fix: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion and capture its output as text.

    Raises ``CommandError`` naming the command and the end of its output when
    it exits non-zero (and ``check`` is true), cannot be found, or times out.
    """
    full_env = {**os.environ, **env} if env else None
    try:
        completed = subprocess.run(
            list(command),
            capture_output=True,
            timeout=timeout_s,
            env=full_env,
            cwd=cwd,
            input=input_bytes,
            check=False,
        )
    except FileNotFoundError as err:
        raise CommandError(f"`{command[0]}` is not installed", fix=fix) from err
    except subprocess.TimeoutExpired as err:
        raise CommandError(
            f"`{shlex.join(command)}` did not finish within {timeout_s:.0f} s", fix=fix
        ) from err
    result = subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode(errors="replace"),
        completed.stderr.decode(errors="replace"),
    )
    if check and result.returncode != 0:
        output = _tail(result.stderr or result.stdout)
        raise CommandError(
            f"`{shlex.join(command)}` exited with {result.returncode}: {output}", fix=fix
        )
    return result


def run_with_progress(
    command: Sequence[str],
    *,
    label: str,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    every_s: float = 20.0,
    fix: str | None = None,
) -> float:
    """Run a long command, logging everything to ``log_path``.

    Prints a line every ``every_s`` seconds with the elapsed time and the
    command's latest output line, so a learner sees it is still working.
    Returns the elapsed seconds.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    last_lines: deque[str] = deque(maxlen=15)
    full_env = {**os.environ, **env} if env else None
    with log_path.open("w") as log:
        process = subprocess.Popen(
            list(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=cwd,
            text=True,
            errors="replace",
        )
        assert process.stdout is not None
        done = threading.Event()

        def heartbeat() -> None:
            while not done.wait(every_s):
                latest = last_lines[-1] if last_lines else "…"
                say(f"  {label}: {time.monotonic() - started:.0f} s, {latest[:90]}")

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        for line in process.stdout:
            log.write(line)
            if line.strip():
                last_lines.append(line.rstrip())
        returncode = process.wait()
        done.set()
    if returncode != 0:
        raise CommandError(
            f"{label} failed (exit {returncode}); see {log_path}: {' | '.join(last_lines)}",
            fix=fix,
        )
    return time.monotonic() - started


def say(message: str) -> None:
    """Print a progress line at once (the CLI and set-up scripts read it live)."""
    print(message, file=sys.stderr, flush=True)


def which(name: str, *extra_dirs: Path) -> Path | None:
    """Find an executable in ``extra_dirs`` first, then on ``PATH``."""
    for folder in extra_dirs:
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    return Path(found) if found else None
