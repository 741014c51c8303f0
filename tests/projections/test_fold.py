"""The batch fold equals folding event by event, never touches its base, and isolates a failing event."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from fleetevents import runs
from projections.documents import presented
from projections.fold import DocumentSet, fold_batch
from tests.projections.howto_events import whole_howto
from tests.projections.views import fold_all


def _snapshot(docs: DocumentSet) -> list[bytes]:
    return sorted(orjson.dumps(presented(d)) for d in docs)


@pytest.mark.parametrize("size", [1, 5, 32, 1000])
def test_batches_of_any_size_give_the_same_documents(size: int):
    events = whole_howto().events
    docs = DocumentSet()
    for start in range(0, len(events), size):
        before = _snapshot(docs)
        folded = fold_batch(docs, events[start : start + size])
        assert _snapshot(docs) == before  # the base is never mutated
        assert not folded.failures
        docs.apply(folded.changes)
    assert _snapshot(docs) == _snapshot(fold_all(events))


def test_a_failing_event_changes_nothing_and_the_rest_of_the_batch_applies():
    events = whole_howto().events
    index = next(i for i, e in enumerate(events) if isinstance(e.data, runs.RunInitialized))
    bad = {"stages": [{"name": "staging", "afterStageTasks": [{"type": "TimedWait", "waitTime": "never"}]}]}
    broken = replace(events[index], data=events[index].data.model_copy(update={"strategy_snapshot": bad}))
    folded = fold_batch(DocumentSet(), [*events[:index], broken, *events[index + 1 :]])
    assert [(e.id, type(exc).__name__) for e, exc in folded.failures] == [(broken.id, "ValueError")]
    run = folded.changes[("ClusterStagedUpdateRun", "", "example-run")]
    assert run is not None and "stagedUpdateStrategySnapshot" not in run["status"]
    assert folded.changes[("ClusterStagedUpdateRun", "", "example-run-2")] is not None
