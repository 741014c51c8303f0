"""`StageClusters`: the clusters of one stage and how far each got, at O(1) amortised cost per report.

A stage can hold thousands of clusters and every agent report changes one of them, so nothing here
copies or scans the whole stage on the way of a report:

- `progress` is a persistent map (`immutables.Map`, a HAMT) name -> `ClusterProgress`: replacing one
  cluster builds a new map sharing all but O(log n) nodes with the old one; `names` (plan order) and
  `index` (name -> plan position) are built once per stage and shared by every later version;
- the counts (in flight, succeeded, failed) are kept by `updated` from the old and new
  progress of the one cluster that changed;
- two cursors move forward only: every cluster before `first_unstarted` has started, every cluster
  before `first_unfinished` has an outcome. The orchestrator starts clusters in plan order at
  non-decreasing times (`starts_in_order`), so the in-flight clusters lie between the cursors and the
  one at `first_unfinished` is the earliest started: the stuck check and the next timer are O(1).
  Should a start ever come out of order (a clock set back), the stage falls back to scanning its
  in-flight clusters; the answers stay exact.

Records are immutable: `updated` returns a new `StageClusters` and never changes the old one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from immutables import Map

ClusterOutcome = Literal["", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class ClusterProgress:
    """One cluster of a stage: when it was told to update, and how that ended."""

    name: str
    started_at: datetime | None = None
    outcome: ClusterOutcome = ""
    message: str = ""

    @property
    def in_flight(self) -> bool:
        return self.started_at is not None and not self.outcome


@dataclass(frozen=True, slots=True)
class StageClusters:
    """The clusters of a stage in plan order, their progress, and counts kept as they change."""

    names: tuple[str, ...]
    index: Mapping[str, int]
    """name -> position in `names` (shared by every version of the stage; never changed)."""
    progress: Map[str, ClusterProgress]
    in_flight: int = 0
    succeeded: int = 0
    failed: int = 0
    first_unstarted: int = 0
    first_unfinished: int = 0
    starts_in_order: bool = True
    """Every start so far was of the first cluster not started, at a time no earlier than the one before."""

    @classmethod
    def planned(cls, names: list[str] | tuple[str, ...]) -> StageClusters:
        """The clusters of a stage that has not started."""
        ordered = tuple(names)
        return cls(ordered, {name: i for i, name in enumerate(ordered)},
                   Map({name: ClusterProgress(name) for name in ordered}))

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[ClusterProgress]:
        return (self.progress[name] for name in self.names)

    def get(self, name: str) -> ClusterProgress | None:
        return self.progress.get(name)

    def at(self, position: int) -> ClusterProgress:
        return self.progress[self.names[position]]

    def updated(self, cluster: ClusterProgress) -> StageClusters:
        """These clusters with `cluster` (one of them, by name) replaced; counts and cursors follow."""
        position = self.index[cluster.name]
        old = self.progress[cluster.name]
        progress = self.progress.set(cluster.name, cluster)
        return StageClusters(
            self.names, self.index, progress,
            in_flight=self.in_flight + cluster.in_flight - old.in_flight,
            succeeded=self.succeeded + (cluster.outcome == "succeeded") - (old.outcome == "succeeded"),
            failed=self.failed + (cluster.outcome == "failed") - (old.outcome == "failed"),
            first_unstarted=self._cursor(progress, self.first_unstarted, position, _started),
            first_unfinished=self._cursor(progress, self.first_unfinished, position, _finished),
            starts_in_order=self.starts_in_order and self._in_order(position, old, cluster),
        )

    def unstarted(self, limit: int) -> list[ClusterProgress]:
        """Up to `limit` clusters not started yet, in plan order."""
        found: list[ClusterProgress] = []
        position = self.first_unstarted
        while len(found) < limit and position < len(self.names):
            cluster = self.at(position)
            if cluster.started_at is None:
                found.append(cluster)
            position += 1
        return found

    def earliest_in_flight_start(self) -> datetime | None:
        """When the longest-running in-flight cluster started (None when none is in flight)."""
        if not self.in_flight:
            return None
        if self.starts_in_order:
            return self.at(self.first_unfinished).started_at
        return min(c.started_at for c in self._in_flight() if c.started_at is not None)

    def in_flight_since(self, cutoff: datetime, limit: int) -> list[str]:
        """Up to `limit` in-flight clusters (plan order) that started at or before `cutoff`."""
        found: list[str] = []
        for cluster in self._in_flight():
            if len(found) == limit:
                break
            if cluster.started_at is not None and cluster.started_at <= cutoff:
                found.append(cluster.name)
        return found

    def _in_flight(self) -> Iterator[ClusterProgress]:
        """The in-flight clusters in plan order (only the stretch between the cursors when in order)."""
        positions = (range(self.first_unfinished, self.first_unstarted) if self.starts_in_order
                     else range(len(self.names)))
        return (c for c in map(self.at, positions) if c.in_flight)

    def _in_order(self, position: int, old: ClusterProgress, new: ClusterProgress) -> bool:
        if new.started_at == old.started_at:
            return True
        if old.started_at is not None or new.started_at is None or position != self.first_unstarted:
            return False
        before = self.at(position - 1).started_at if position else None
        return before is None or before <= new.started_at

    def _cursor(self, progress: Map[str, ClusterProgress], cursor: int, changed: int,
                reached: Callable[[ClusterProgress], bool]) -> int:
        """The cursor after the cluster at `changed` changed: back to it if it lost the property (never
        the case for the orchestrator's own events), then forward past every cluster that has it."""
        if changed < cursor and not reached(progress[self.names[changed]]):
            return changed
        while cursor < len(self.names) and reached(progress[self.names[cursor]]):
            cursor += 1
        return cursor


def _started(cluster: ClusterProgress) -> bool:
    return cluster.started_at is not None


def _finished(cluster: ClusterProgress) -> bool:
    return bool(cluster.outcome)

