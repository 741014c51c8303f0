"""The two halves of a cluster update's cycle, from the event times of the log."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bench.halfcycles import halves
from eventstore import Event
from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.base import Payload, registry
from fleetevents.runs import ClusterUpdateSucceeded
from fleetevents.streams import AGENTS, PLACEMENTS

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _at(payload: Payload, stream: str, ms: int) -> Event:
    return Event(registry.type_of(type(payload)), "p", payload, stream, time=T0 + timedelta(milliseconds=ms))


def _cycle(cluster: str, requested: int, reported: int, accepted: int) -> tuple[Event, list[Event]]:
    ids = {"run": "r", "stage": "s00", "cluster": cluster, "resource_snapshot_index": 0}
    return (_at(ClusterUpdateRequested(placement="p", resources=[], **ids), AGENTS, requested),
            [_at(ClusterUpdated(placement="p", succeeded=True, **ids), PLACEMENTS, reported),
             _at(ClusterUpdateSucceeded(**ids), PLACEMENTS, accepted)])


def test_the_halves_are_the_medians_of_request_to_report_and_report_to_accepted() -> None:
    cycles = [_cycle("c1", 0, 10, 110), _cycle("c2", 0, 20, 120), _cycle("c3", 0, 30, 130)]
    unanswered, _ = _cycle("c4", 0, 1, 2)  # requested only: left out

    found = halves([e for _, answers in cycles for e in answers], [r for r, _ in cycles] + [unanswered])

    assert round(found.to_report_ms[0]) == 20 and round(found.to_accept_ms[0]) == 100
    assert found.describe().startswith("20 / ")
