"""`bench.drive.settled_heap`: the measured window runs with the fleet's long-lived objects frozen out of
the collector's way, and they are thawed afterwards (a benchmark runs many cases in one process: each
case's fleet must be collectable once its case is over), also when the window fails."""
from __future__ import annotations

import gc

import pytest

from bench.drive import settled_heap


def test_objects_alive_at_the_start_are_frozen_for_the_block_and_thawed_after() -> None:
    members = [{"name": f"member-{n}"} for n in range(1000)]
    with settled_heap():
        assert gc.get_freeze_count() >= len(members)
    assert gc.get_freeze_count() == 0


def test_the_heap_is_thawed_when_the_block_fails() -> None:
    with pytest.raises(TimeoutError), settled_heap():
        raise TimeoutError("the runs did not finish")
    assert gc.get_freeze_count() == 0
