"""Judging one case: the command's outcome against `expect`, and what it left in the event log."""
from __future__ import annotations

import re
import time

from fleetevents.streams import HEARTBEATS
from tests.corpus.cases import Expect, LogChange, Step
from tests.corpus.eventlog import REJECTED, Added
from tests.corpus.runner import Cli, Outcome

LIVENESS_STREAMS = frozenset({HEARTBEATS})
"""Streams member agents write on their own schedule (liveness pings, not state): not compared."""

POLL = 0.1
KUBECTL_ERROR_PREFIXES = ("error: ", "Error from server")
REPEATED_PATH = re.compile(r"(?<![\w.\[\]])([A-Za-z]\w*(?:\.\w+|\[\d+\])+): \1: ")
"""A field path said twice in a row (`spec.x: spec.x: ...`): a message assembled from two layers."""
PYTHON_NONE = re.compile(r"\bNone\b")


class StepFailed(AssertionError):
    """A setup, world or `then` step that did not get where it should."""


def succeed(cli: Cli, step: Step) -> Outcome:
    """Run `step` until it exits 0 with every `until` fragment in stdout (once, without `until`)."""
    deadline = time.monotonic() + step.timeout
    while True:
        outcome = cli(step.expanded_args(), step.expanded_stdin(), step.env)
        if outcome.code == 0 and all(f in outcome.stdout for f in step.until):
            return outcome
        if not step.until or time.monotonic() > deadline:
            wanted = f" with stdout containing {step.until}" if step.until else ""
            raise StepFailed(f"`{step.shown()}` did not succeed{wanted} within {step.timeout:g}s; last:\n"
                             f"{outcome.describe()}")
        time.sleep(POLL)


def outcome_problems(expect: Expect, outcome: Outcome) -> list[str]:
    """What is wrong with the command's exit status and messages."""
    problems = []
    if outcome.code != expect.exit:
        problems.append(f"exit status {outcome.code}, expected {expect.exit}")
    if "Traceback (most recent call last)" in outcome.stdout + outcome.stderr:
        problems.append("the command crashed with a traceback instead of a message")
    if expect.exit != 0 and not outcome.stderr.strip():
        problems.append("a failing command must say why on stderr")
    if outcome.code == 1 and not outcome.stderr.startswith(KUBECTL_ERROR_PREFIXES):
        problems.append(f"a failure message starts like kubectl's: one of {KUBECTL_ERROR_PREFIXES}")
    if PYTHON_NONE.search(outcome.stderr):
        problems.append("the message shows a Python None (say what is meant: unset, empty, ...)")
    if repeated := REPEATED_PATH.search(outcome.stderr):
        problems.append(f"the message repeats the field path {repeated.group(1)!r}")
    problems += [f"stderr lacks {f!r}" for f in expect.stderr if f not in outcome.stderr]
    problems += [f"stdout lacks {f!r}" for f in expect.stdout if f not in outcome.stdout]
    return problems


def log_problems(expected: LogChange, added: Added) -> list[str]:
    """What is wrong with the events the command appended (liveness streams aside)."""
    events = Added([e for e in added.events if e.stream not in LIVENESS_STREAMS])
    domain = events.domain_events()
    rejections = [t for t in events.types() if t == REJECTED]
    if expected is LogChange.UNCHANGED:
        ok = not events.events
    elif expected is LogChange.REJECTED:
        ok = not domain and len(rejections) == 1
    elif expected is LogChange.IGNORED:
        ok = not domain and not rejections
    else:
        ok = bool(domain)
    if ok:
        return []
    return [f"event log: expected {expected.value}, the command appended:\n{events.describe()}"]
