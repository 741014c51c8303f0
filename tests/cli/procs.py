"""Helpers of the CLI tests that run real `fleetstage` processes: a bash runner and hub start-up."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
TIMEOUT = 60.0  # generous: the suite may share 2 cores with much else


@dataclass
class Shell:
    """Runs how-to lines in bash, in the hub's directory, with `kubectl` = `fleetstage`."""

    cwd: Path
    env: dict[str, str]

    def __call__(self, script: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["bash", "-c", 'kubectl() { fleetstage "$@"; }\n' + script], cwd=self.cwd,
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT)
        if check:
            assert done.returncode == 0, f"{script}\nstdout: {done.stdout}\nstderr: {done.stderr}"
        return done

    def until(self, script: str, pattern: str) -> str:
        """The output of `script` once it matches `pattern` (re-run until TIMEOUT)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            out = self(script).stdout
            if re.search(pattern, out, re.MULTILINE):
                return out
            assert time.monotonic() < deadline, f"{script!r} never printed {pattern!r}; last output:\n{out}"
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once `url`/healthz answers; fail with the log when `process` exits or TIMEOUT passes."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        assert process.poll() is None, f"the process exited: {log.read_text()}"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.1)
