"""Worker processes of the parallel rebuild: results in call order, an exception or a process that dies
raised as WorkerError naming the worker."""

from __future__ import annotations

import os

import pytest

from projections.workerpool import Progress, WorkerError, run_in_processes


def square(progress: Progress, value: int) -> int:
    progress.add(1)
    return value * value


def fail(progress: Progress, value: int) -> int:
    if value == 1:
        raise LookupError("no such partition")
    return value


def die(progress: Progress, value: int) -> int:
    if value == 1:
        os._exit(3)  # as if killed: no result, no traceback
    return value


async def test_results_come_back_in_call_order() -> None:
    assert await run_in_processes(square, [(2,), (3,), (4,)], total=3, label="test") == [4, 9, 16]


async def test_an_exception_in_a_worker_is_raised_with_its_traceback() -> None:
    with pytest.raises(WorkerError, match=r"test worker 1 failed:(.|\n)*LookupError: no such partition"):
        await run_in_processes(fail, [(0,), (1,)], total=2, label="test")


async def test_a_worker_that_dies_without_a_result_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("projections.workerpool.PROGRESS_EVERY", 0.1)
    with pytest.raises(WorkerError, match="test worker 1 ended with exit code 3 and no result"):
        await run_in_processes(die, [(0,), (1,)], total=2, label="test")
