"""`changed` gives what `dataclasses.replace` gives for the state's records, and refuses other classes."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

import pytest

from orchestrator.changed import changed
from orchestrator.state import ClusterProgress, PlacementState, StageProgress
from orchestrator.stageclusters import StageClusters


def test_same_record_as_replace_and_the_original_is_untouched() -> None:
    stage = StageProgress("canary", StageClusters.planned(["m1", "m2"]), 1)
    copy = changed(stage, outcome="succeeded", before_approved=True)
    assert copy == replace(stage, outcome="succeeded", before_approved=True)
    assert (stage.outcome, stage.before_approved) == ("", False)
    progress = ClusterProgress("m1")
    assert changed(progress, started_at=datetime(2025, 1, 1, tzinfo=timezone.utc)).in_flight
    assert changed(PlacementState("p")) == PlacementState("p")


def test_an_unknown_field_is_named() -> None:
    with pytest.raises(AttributeError, match="outcom"):
        changed(ClusterProgress("m1"), outcom="failed")


@dataclass(frozen=True)
class Unslotted:
    value: int


@dataclass(frozen=True, slots=True)
class Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("value must be >= 0")


@pytest.mark.parametrize("record", [Unslotted(1), Checked(1)])
def test_records_it_cannot_copy_faithfully_are_refused(record: object) -> None:
    with pytest.raises(TypeError, match="use dataclasses.replace"):
        changed(record, value=2)
