"""A placement's Available condition, kept up to date per event, always says what a full look at its clusters
says: set only when every selected cluster reported on the same snapshot, True when all have it available."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from eventstore import Event
from fleetevents import agents
from projections.documents import find_condition
from projections.fold import DocumentSet, fold_batch
from projections.placement_status import AVAILABLE, CLUSTER_AVAILABLE, KIND
from tests.projections.howto_events import whole_howto


def _scanned(entries: list[dict[str, Any]]) -> tuple[str | None, bool] | None:
    """(the common snapshot index, all available) from every cluster entry, or None (the definition)."""
    reported = [find_condition(entry.get("conditions"), CLUSTER_AVAILABLE) for entry in entries]
    indexes = {entry.get("observedResourceIndex") for entry in entries}
    if not entries or None in reported or len(indexes) != 1:
        return None
    return indexes.pop(), all(condition["status"] == "True" for condition in reported)


def _shown(placement: dict[str, Any]) -> tuple[str | None, bool] | None:
    status = placement.get("status") or {}
    condition = find_condition(status.get("conditions"), AVAILABLE)
    if condition is None:
        assert "observedResourceIndex" not in status
        return None
    return status["observedResourceIndex"], condition["status"] == "True"


def _one_cluster_failing(events: list[Event]) -> list[Event]:
    """The how-to with its first cluster outcome a failure: that cluster stays not available."""
    index = next(i for i, e in enumerate(events) if isinstance(e.data, agents.ClusterUpdated))
    failed = events[index].data.model_copy(update={"succeeded": False, "message": "apply failed"})
    return [*events[:index], replace(events[index], data=failed), *events[index + 1 :]]


@pytest.mark.parametrize("size", [1, 7])
def test_available_matches_a_scan_of_every_cluster_after_every_batch(size: int):
    events = _one_cluster_failing(whole_howto().events)
    docs = DocumentSet()
    seen = set()
    for start in range(0, len(events), size):
        folded = fold_batch(docs, events[start : start + size])
        assert not folded.failures
        docs.apply(folded.changes)
        for placement in docs.of_kind(KIND):
            expected = _scanned((placement.get("status") or {}).get("placementStatuses") or [])
            assert _shown(placement) == expected
            seen.add(expected)
    # clusters on different snapshots, all on one and available, all on one and one not available
    assert {None, ("0", True), ("1", False)} <= seen
