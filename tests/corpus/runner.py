"""Running one `fleetstage` command and capturing what the user sees: exit status, stdout, stderr.

`InProcessCli` calls the console script's own entry point (`cli.main.app`, the object the installed
`fleetstage` script calls) with stdin, stdout, stderr and the environment swapped for the call: the
same code path as the installed command, minus ~1 s of interpreter start-up per call. `SubprocessCli`
runs the installed command as a child process; the corpus test checks both agree on a sample of
cases, and FLEETSTAGE_CORPUS_SUBPROCESS=1 runs the whole corpus that way.
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cli.main import app
from demo.fleet import fleetstage_command


@dataclass(frozen=True)
class Outcome:
    """What one command did, as a user sees it."""

    code: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"exit status {self.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class Cli(Protocol):
    def __call__(self, args: Sequence[str], stdin: str = "", env: Mapping[str, str] | None = None) -> Outcome: ...


@contextlib.contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)  # sys.exit("message") prints the message, status 1
    return 1


class InProcessCli:
    """`fleetstage ARGS` via `cli.main.app` in this process, against the hub at `server`."""

    def __init__(self, server: str) -> None:
        self.env = {"FLEETSTAGE_SERVER": server, "NO_COLOR": "1", "COLUMNS": "200"}

    def __call__(self, args: Sequence[str], stdin: str = "", env: Mapping[str, str] | None = None) -> Outcome:
        out, err = io.StringIO(), io.StringIO()
        saved_stdin = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            with _environment({**self.env, **(env or {})}), contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(err):
                try:
                    app(args=list(args), prog_name="fleetstage")
                    code = 0
                except SystemExit as exc:
                    code = _exit_code(exc)
                except Exception:  # a crash is an outcome the corpus reports (with its traceback), not a pass
                    traceback.print_exc()
                    code = 1
        finally:
            sys.stdin = saved_stdin
        return Outcome(code, out.getvalue(), err.getvalue())


class SubprocessCli:
    """The installed `fleetstage` command as a child process."""

    def __init__(self, server: str, timeout: float = 60.0) -> None:
        self.env = {**os.environ, "FLEETSTAGE_SERVER": server, "NO_COLOR": "1", "COLUMNS": "200"}
        self.timeout = timeout

    def __call__(self, args: Sequence[str], stdin: str = "", env: Mapping[str, str] | None = None) -> Outcome:
        done = subprocess.run([*fleetstage_command(), *args], input=stdin, capture_output=True, text=True,
                              env={**self.env, **(env or {})}, timeout=self.timeout)
        return Outcome(done.returncode, done.stdout, done.stderr)
