"""The rebuild's pause of full garbage collections: young generations still collected, thresholds restored."""

from __future__ import annotations

import gc

from projections.gcpause import no_full_collections


def test_full_collections_are_held_off_inside_and_the_thresholds_come_back() -> None:
    before = gc.get_threshold()
    with no_full_collections():
        young, middle, oldest = gc.get_threshold()
        assert (young, middle) == before[:2] and oldest > 10**6
        with no_full_collections():
            assert gc.get_threshold()[2] == oldest
        assert gc.get_threshold()[2] == oldest  # still inside the outer block
    assert gc.get_threshold() == before
