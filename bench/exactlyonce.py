"""The no-duplicated-command check of a benchmark's log: after every run of a `Shape` succeeded, each
command and domain event the orchestrators decide must be in the log exactly once.

Counted per key, over the whole log (`placements` and `agents` read again from the start once the runs
are over):
- `cluster.updaterequested` (the command to an agent, `agents` stream) per (run, stage, cluster): one
  per member of the fleet;
- `cluster.updatesucceeded` per (run, stage, cluster): one per member;
- `stage.started` and `stage.succeeded` per (run, stage): one per stage of each run, the deletion
  stage (`kubernetes-fleet.io/deleteStage`, nothing to delete here) included;
- `run.created` and `run.succeeded` per run: one per placement.
A key seen twice is a duplicated decision (two orchestrators, or one that handled a batch twice); a key
missing is a lost one. Either fails the check.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.world import Shape
from eventstore import Event
from fleetevents.agents import ClusterUpdateRequested
from fleetevents.base import Payload
from fleetevents.runs import ClusterUpdateSucceeded, RunCreated, RunSucceeded, StageStarted, StageSucceeded

SHOWN = 5
"""Duplicated keys named in a failed check's message."""


@dataclass(frozen=True)
class Count:
    """How many distinct keys of one kind of event the log holds, against how many it should."""

    what: str
    expected: int
    distinct: int
    events: int
    duplicated: dict[Hashable, int]
    """Some keys seen more than once, with their counts (at most SHOWN)."""

    @property
    def ok(self) -> bool:
        return self.distinct == self.expected == self.events

    def problem(self) -> str:
        """What is wrong ('' when ok)."""
        if self.ok:
            return ""
        parts = [f"{self.what}: {self.events} event(s) for {self.distinct} key(s), {self.expected} expected"]
        if self.duplicated:
            parts.append("duplicated: " + ", ".join(f"{key} x{n}" for key, n in self.duplicated.items()))
        return "; ".join(parts)


@dataclass(frozen=True)
class Verdict:
    counts: list[Count]

    @property
    def ok(self) -> bool:
        return all(count.ok for count in self.counts)

    def problems(self) -> str:
        return "\n".join(count.problem() for count in self.counts if not count.ok)

    def summary(self) -> str:
        """One line for a table: `ok: 32,200 events once` or `FAILED`."""
        if not self.ok:
            return "FAILED"
        return f"ok: {sum(c.events for c in self.counts):,} events once"


def count_once(events: Sequence[Event], payload: type[Payload], key: Callable[[Any], Hashable],
               what: str, expected: int) -> Count:
    """Count the events of exactly type `payload` by `key(data)`."""
    counts = Counter(key(e.data) for e in events if type(e.data) is payload)
    duplicated = dict([(k, n) for k, n in counts.items() if n > 1][:SHOWN])
    return Count(what, expected, len(counts), sum(counts.values()), duplicated)


def check(shape: Shape, placement_events: Sequence[Event], agent_events: Sequence[Event]) -> Verdict:
    """The counts of the module docstring, for a log where every run of `shape` succeeded once."""
    runs, stages, clusters = shape.placements, shape.placements * (shape.stages + 1), shape.members  # + deletion
    per_cluster: Callable[[Any], Hashable] = lambda d: (d.run, d.stage, d.cluster)
    per_stage: Callable[[Any], Hashable] = lambda d: (d.run, d.stage)
    return Verdict([
        count_once(agent_events, ClusterUpdateRequested, per_cluster,
                   "cluster.updaterequested per (run, stage, cluster)", clusters),
        count_once(placement_events, ClusterUpdateSucceeded, per_cluster,
                   "cluster.updatesucceeded per (run, stage, cluster)", clusters),
        count_once(placement_events, StageStarted, per_stage, "stage.started per (run, stage)", stages),
        count_once(placement_events, StageSucceeded, per_stage, "stage.succeeded per (run, stage)", stages),
        count_once(placement_events, RunCreated, lambda d: d.manifest["metadata"]["name"], "run.created per run", runs),
        count_once(placement_events, RunSucceeded, lambda d: d.run, "run.succeeded per run", runs),
    ])
