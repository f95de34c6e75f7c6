"""Host processes that kklab starts, tracks by PID and stops again.

A process is identified by its PID *and* its start time (field 22 of
``/proc/PID/stat``), so a PID reused by an unrelated program is never
mistaken for ours and never signalled. A zombie (state ``Z``) counts as
stopped: this machine's init reaps exited children slowly.

Example:
    >>> import tempfile, pathlib
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "sleep.log"
    >>> record = start("sleeper", ["sleep", "30"], log)
    >>> is_running(record)
    True
    >>> stop(record)
    >>> is_running(record)
    False
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ProcessRecord:
    """A process kklab started."""

    name: str
    """The component it runs, e.g. ``kube-apiserver``."""
    pid: int
    """Its process ID."""
    start_ticks: int
    """Its start time in clock ticks since boot, to tell it from a reused PID."""
    log_path: str
    """Where its standard output and error go."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProcessRecord:
        return cls(
            name=str(data["name"]),
            pid=int(data["pid"]),
            start_ticks=int(data["start_ticks"]),
            log_path=str(data["log_path"]),
        )


def _stat(pid: int) -> tuple[str, int] | None:
    """The state letter and start time of ``pid``, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after it.
    after_name = raw[raw.rindex(")") + 2 :].split()
    return after_name[0], int(after_name[19])


def start(
    name: str,
    command: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
) -> ProcessRecord:
    """Start ``command`` in its own session, detached, logging to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **env} if env else None,
        )
    stat = _stat(process.pid)
    return ProcessRecord(name, process.pid, stat[1] if stat else 0, str(log_path))


def state(record: ProcessRecord) -> str:
    """``running``, ``stopped`` (SIGSTOP, or traced: it exists but does nothing) or ``gone``.

    Example:
        >>> state(ProcessRecord("ghost", 999_999_999, 1, "/dev/null"))
        'gone'
    """
    stat = _stat(record.pid)
    if stat is None or stat[0] in ("Z", "X", "x") or stat[1] != record.start_ticks:
        return "gone"
    return "stopped" if stat[0] in ("T", "t") else "running"


def is_running(record: ProcessRecord) -> bool:
    """True while the recorded process exists, is not a zombie and is the same process."""
    stat = _stat(record.pid)
    return stat is not None and stat[0] != "Z" and stat[1] == record.start_ticks


def stop(record: ProcessRecord, *, grace_s: float = 5.0) -> None:
    """Send SIGTERM, wait up to ``grace_s``, then SIGKILL. Never signals a reused PID."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        if not is_running(record):
            break
        try:
            os.kill(record.pid, sig)
            if sig == signal.SIGTERM:  # a stopped (frozen) process handles it once continued
                os.kill(record.pid, signal.SIGCONT)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_s
        while is_running(record) and time.monotonic() < deadline:
            _reap(record.pid)
            time.sleep(0.05)
    _reap(record.pid)


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our own child (no-op otherwise)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
