"""OS-level handling of the broker process: launching it tied to its parent, signalling, stopping by pid."""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Linux: the child gets SIGTERM when the process that started it dies (even by SIGKILL)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def launch(cmd: Sequence[str], log: Path, *, detach: bool) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session with stdout+stderr appended to `log`.

    Attached (the default for tests) the process dies with its parent, so a killed test run leaves no
    broker behind; detached (`kafka-local start`) it outlives the command that started it.
    """
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=None if detach else _die_with_parent,
        )


def is_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    state = _state(Path(f"/proc/{pid}/stat"))
    return state is not None and state != "Z"


def _state(stat: Path) -> str | None:
    """The state letter of a /proc stat file (R running, S sleeping, T stopped, Z zombie...), None if gone."""
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def thread_states(pid: int) -> list[str]:
    """The state letter of every thread of `pid` (threads that end meanwhile are left out)."""
    return [state for stat in Path(f"/proc/{pid}/task").glob("*/stat") if (state := _state(stat)) is not None]


def wait_stopped(pid: int, timeout: float) -> bool:
    """Wait until every thread of `pid` is stopped by SIGSTOP: `kill` only queues the signal, and a thread
    that is running on the other core or waiting to be scheduled can still answer a request meanwhile.
    Returns False if that did not happen within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        states = thread_states(pid)
        if states and all(state in ("T", "t") for state in states):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)


def command_line(pid: int) -> str:
    """The command line of `pid` ("" when it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _wait_gone(pid: int, proc: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    if proc is not None:
        try:
            proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    while is_alive(pid):  # not our child: nothing to wait() on, so poll /proc
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def terminate(pid: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """SIGTERM `pid` (resuming it first if paused), wait up to `timeout`, then SIGKILL.

    Returns True when it stopped cleanly, False when it had to be killed.
    """
    if not is_alive(pid):
        if proc is not None:
            proc.wait()
        return True
    for sig in (signal.SIGCONT, signal.SIGTERM):
        os.kill(pid, sig)
    if _wait_gone(pid, proc, timeout):
        return True
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, proc, 10.0)
    return False
