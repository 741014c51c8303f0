"""Holds off the garbage collector's full collections while a bulk job builds a large, long-lived heap.

A rebuild keeps every document and a batch of decoded events alive while it folds; each full (oldest
generation) collection walks all of them again, and with the default thresholds those collections took
about two thirds of the rebuild's CPU time (`bench.rebuild`, 100,000 events). Inside
`no_full_collections()` the young generations are still collected (short-lived cycles are freed as
usual); the thresholds are restored when the last user leaves. `no_collections()` turns the collector
off altogether, for processes that run nothing but such a job.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_NEVER = 2**30
"""An oldest-generation threshold no job reaches: that many young-generation collections first."""
_users = 0
_saved: tuple[int, ...] = ()


@contextmanager
def no_full_collections() -> Iterator[None]:
    """No full collection inside the block (nestable; the thresholds in force at the first entry come back)."""
    global _users, _saved
    if _users == 0:
        _saved = gc.get_threshold()
        gc.set_threshold(_saved[0], _saved[1], _NEVER)
    _users += 1
    try:
        yield
    finally:
        _users -= 1
        if _users == 0:
            gc.set_threshold(*_saved)


@contextmanager
def no_collections() -> Iterator[None]:
    """No cycle collection at all inside the block: for a process that runs one bulk job and exits (a
    worker of the parallel rebuild), whose objects reference counting frees. The young collections that
    `no_full_collections` keeps walk every decoded event and new document once or twice more: turning
    them off too took a rebuild worker from 2.6-2.9 to 2.3-2.5 s of CPU for 100,000 events, with the
    same peak memory (bench.rebuild's log on Kafka). The collector's state at entry comes back."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
