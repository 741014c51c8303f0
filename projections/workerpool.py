"""Worker processes for a bulk job (the parallel rebuild): started with `spawn`, each runs one call and
exits as soon as its result is sent (no interpreter teardown); their progress is logged while they run,
and a failure stops the others and is raised with its traceback.

`await run_in_processes(target, calls, total=..., label=...)` runs `target(progress, *args)` for each
`args` of `calls`, each in its own process, and returns their results in order. `target` must be a
module-level function (it is pickled by name) and its arguments and result picklable; it reports the
units of work it has done with `progress.add(n)` (the parent logs the sum against `total` every
PROGRESS_EVERY seconds).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import queue
import sys
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger(__name__)

PROGRESS_EVERY = 5.0
"""Seconds between progress lines in the log."""


class WorkerError(RuntimeError):
    """A worker process failed: the message names it and carries its traceback."""


class Progress:
    """A worker's count of units done, in memory shared with the parent (one slot per worker, written by
    that worker only)."""

    def __init__(self, counts: Any, index: int) -> None:
        self._counts = counts
        self.index = index

    def add(self, done: int) -> None:
        self._counts[self.index] += done


def _main(target: Callable[..., Any], progress: Progress, args: tuple[Any, ...], results: Any) -> None:
    try:
        outcome = (progress.index, True, target(progress, *args))
    except BaseException:  # the parent raises it, with this traceback, as WorkerError
        outcome = (progress.index, False, traceback.format_exc())
    results.put(outcome)
    # Leave at once, once the outcome is sent: tearing the interpreter down frees the whole heap object by
    # object (a rebuild worker's documents: ~1.5 s per 500,000 events folded), and the parent waits for it.
    results.close()
    results.join_thread()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


async def run_in_processes(
    target: Callable[..., Any], calls: Sequence[tuple[Any, ...]], *, total: int, label: str
) -> list[Any]:
    """`target(progress, *args)` for each `args` of `calls`, each in its own process (see module docstring)."""
    context = multiprocessing.get_context("spawn")
    counts = context.Array("q", len(calls), lock=False)
    results = context.Queue()
    processes = [
        context.Process(target=_main, args=(target, Progress(counts, i), args, results), name=f"{label}-{i}")
        for i, args in enumerate(calls)
    ]
    outcomes: dict[int, Any] = {}
    try:
        for process in processes:
            process.start()
        while len(outcomes) < len(processes):
            try:
                index, ok, value = await asyncio.to_thread(results.get, True, PROGRESS_EVERY)
            except queue.Empty:
                _check_alive(processes, outcomes, label)
                done = sum(counts)
                log.info("%s: %s of about %s done (%d processes)", label, f"{done:,}", f"{total:,}", len(processes))
                continue
            if not ok:
                raise WorkerError(f"{label} worker {index} failed:\n{value}")
            outcomes[index] = value
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.terminate()
        raise
    finally:
        for process in processes:
            if process.pid is not None:
                process.join()
        results.close()
    return [outcomes[i] for i in range(len(processes))]


def _check_alive(processes: Sequence[BaseProcess], outcomes: dict[int, Any], label: str) -> None:
    """Raise WorkerError for a process that died without a result (killed, out of memory...); one that
    ended normally has queued its result, which the next read gets."""
    for index, process in enumerate(processes):
        if index not in outcomes and process.exitcode not in (None, 0):
            raise WorkerError(f"{label} worker {index} ended with exit code {process.exitcode} and no result")
