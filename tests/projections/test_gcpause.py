"""The rebuild's pauses of garbage collection: full ones only (young generations still collected), or all; the
collector's settings come back after."""

from __future__ import annotations

import gc

from projections.gcpause import no_collections, no_full_collections


def test_full_collections_are_held_off_inside_and_the_thresholds_come_back() -> None:
    before = gc.get_threshold()
    with no_full_collections():
        young, middle, oldest = gc.get_threshold()
        assert (young, middle) == before[:2] and oldest > 10**6
        with no_full_collections():
            assert gc.get_threshold()[2] == oldest
        assert gc.get_threshold()[2] == oldest  # still inside the outer block
    assert gc.get_threshold() == before


def test_no_collections_turns_the_collector_off_and_back_on() -> None:
    assert gc.isenabled()
    with no_collections():
        assert not gc.isenabled()
    assert gc.isenabled()
