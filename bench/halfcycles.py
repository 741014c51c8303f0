"""Where a cluster update's time goes, read from a benchmark's log: the two halves of its cycle.

- request -> report: from the orchestrator deciding `cluster.updaterequested` to the agent deciding its
  `cluster.updated` report (the orchestrator's commit, the fleet's fetch and its handling up to this
  command);
- report -> accepted: from the agent's report to the orchestrator deciding `cluster.updatesucceeded`
  (the fleet's commit, the orchestrator's fetch and its handling up to this report).

Event times are each writer's clock when it decided (all processes on this machine, one clock). A stage
of a run takes at least one cycle, so the median halves say which side the runs wait for more: if the
report -> accepted half dominates, more orchestrators can shorten it; if request -> report does, the fleet
(or the broker) is the side to scale.
"""
from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from eventstore import Event
from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.runs import ClusterUpdateSucceeded

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Halves:
    to_report_ms: tuple[float, float]
    """Request -> report: median and 90th percentile, milliseconds."""
    to_accept_ms: tuple[float, float]
    """Report -> accepted: median and 90th percentile, milliseconds."""

    def describe(self) -> str:
        return (f"{self.to_report_ms[0]:.0f} / {self.to_report_ms[1]:.0f} ms, "
                f"{self.to_accept_ms[0]:.0f} / {self.to_accept_ms[1]:.0f} ms")


def _times(events: Sequence[Event], payload: type) -> dict[Key, float]:
    """(run, stage, cluster) -> the POSIX time of the first event of exactly type `payload`."""
    out: dict[Key, float] = {}
    for event in events:
        data = event.data
        if type(data) is payload:
            out.setdefault((data.run, data.stage, data.cluster), event.time.timestamp())  # type: ignore[attr-defined]
    return out


def _median_p90(seconds: list[float]) -> tuple[float, float]:
    if len(seconds) < 2:
        value = seconds[0] * 1000 if seconds else 0.0
        return value, value
    return statistics.median(seconds) * 1000, statistics.quantiles(seconds, n=10)[-1] * 1000


def halves(placement_events: Sequence[Event], agent_events: Sequence[Event]) -> Halves:
    """The halves of every cluster update whose three events are all in the log."""
    requested = _times(agent_events, ClusterUpdateRequested)
    reported = _times(placement_events, ClusterUpdated)
    accepted = _times(placement_events, ClusterUpdateSucceeded)
    complete = [key for key in requested if key in reported and key in accepted]
    return Halves(_median_p90([reported[k] - requested[k] for k in complete]),
                  _median_p90([accepted[k] - reported[k] for k in complete]))
