"""Read model of ClusterResourcePlacements: the document behind `kubectl get crp` (GEN, SCHEDULED,
SCHEDULED-GEN, AVAILABLE, AVAILABLE-GEN) and its per-cluster placement state.

- `ClusterResourcePlacementScheduled` comes from the scheduling result, with the placement generation it
  was computed for as observedGeneration (SCHEDULED-GEN); False/InvalidResourceSelectors while the
  selection is too large for a snapshot.
- `status.placementStatuses` has one entry per selected cluster: Scheduled, and once a run touched it
  RolloutStarted / Applied / Available with the snapshot index it runs (`observedResourceIndex`).
- `ClusterResourcePlacementAvailable` is set only when every selected cluster has reported on the same
  snapshot (True when all of them have it available); while clusters run different snapshots, or before
  any run, it is absent (empty columns), as Fleet shows for an External rollout strategy.
"""

from __future__ import annotations

from eventstore import Event
from fleetevents import agents, placements, runs
from projections.documents import (
    Changes,
    Document,
    Handler,
    Key,
    Overlay,
    editor,
    find_condition,
    from_manifest,
    remove_condition,
    set_condition,
)
from projections.listindex import ListIndex
from projections.snapshots import scheduling_message
from resources.names import PLACEMENT_V1BETA1

KIND = "ClusterResourcePlacement"
SCHEDULED = "ClusterResourcePlacementScheduled"
AVAILABLE = "ClusterResourcePlacementAvailable"
SCHEDULE_SUCCEEDED = "ScheduleSucceeded"
SCHEDULE_FAILED = "ScheduleFailed"
INVALID_RESOURCE_SELECTORS = "InvalidResourceSelectors"
RESOURCE_AVAILABLE = "ResourceAvailable"
RESOURCE_NOT_AVAILABLE = "ResourceNotAvailableYet"

# per-cluster condition types and reasons (Fleet's placement status per cluster)
CLUSTER_SCHEDULED = "Scheduled"
ROLLOUT_STARTED = "RolloutStarted"
APPLIED = "Applied"
CLUSTER_AVAILABLE = "Available"
ALL_APPLIED = "AllWorkHaveBeenApplied"
NOT_ALL_APPLIED = "NotAllWorkHaveBeenApplied"
ALL_AVAILABLE = "AllWorkAreAvailable"
NOT_ALL_AVAILABLE = "NotAllWorkAreAvailable"


def placement_key(name: str) -> Key:
    return KIND, "", name


def _applied(view: Overlay, data: placements.PlacementApplied, event: Event) -> Changes:
    name = data.manifest["metadata"]["name"]
    doc = from_manifest(data.manifest, data.generation, event, view.get(KIND, name))
    doc.setdefault("apiVersion", PLACEMENT_V1BETA1)
    return {placement_key(name): doc}


def _deleted(view: Overlay, data: placements.PlacementDeleted, event: Event) -> Changes:
    return {placement_key(data.name): None}


def _scheduled_generation(doc: Document) -> int:
    found = find_condition(doc["status"].get("conditions"), SCHEDULED)
    return found["observedGeneration"] if found else doc["metadata"]["generation"]


def _availability(entry: Document) -> tuple[str | None, bool | None]:
    """(the snapshot index a cluster runs, whether it reported it available; None before it reported)."""
    found = find_condition(entry.get("conditions"), CLUSTER_AVAILABLE)
    return entry.get("observedResourceIndex"), None if found is None else found["status"] == "True"


class _Tally:
    """How the clusters of one placementStatuses list stand: how many run each snapshot index, how many
    have not reported, how many reported not available."""

    __slots__ = ("entries", "length", "indexes", "unreported", "unavailable")

    def __init__(self, entries: list[Document]) -> None:
        self.entries = entries
        self.length = len(entries)
        self.indexes: dict[str | None, int] = {}
        self.unreported = self.unavailable = 0
        for entry in entries:
            self.count(_availability(entry), 1)

    def count(self, state: tuple[str | None, bool | None], step: int) -> None:
        index, available = state
        left = self.indexes.get(index, 0) + step
        if left:
            self.indexes[index] = left
        else:
            del self.indexes[index]
        if available is None:
            self.unreported += step
        elif not available:
            self.unavailable += step

    def outcome(self) -> tuple[str | None, bool] | None:
        if self.unreported or len(self.indexes) != 1:
            return None
        return next(iter(self.indexes)), self.unavailable == 0


class _Tallies:
    """The `_Tally` of each placementStatuses list, kept up to date per changed entry instead of rescanning
    every cluster at every event (see `listindex` for why a list's identity and length name its version:
    a fold replaces these lists wholesale, and changes an entry only through `outcome(..., changed=...)`).
    A tally holds its list, so a list's id is not reused while tallied; past `limit` lists they start again
    empty."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._tallies: dict[int, _Tally] = {}

    def outcome(
        self,
        entries: list[Document],
        changed: Document | None = None,
        before: tuple[str | None, bool | None] | None = None,
    ) -> tuple[str | None, bool] | None:
        """(the snapshot index every cluster reported on, whether all have it available), or None while a
        cluster has not reported or they run different snapshots. `changed` is the entry just changed from
        the state `before` (`_availability` of it before the change)."""
        if not entries:
            return None
        tally = self._tallies.get(id(entries))
        if tally is None or tally.entries is not entries or tally.length != len(entries):
            if len(self._tallies) >= self.limit:
                self._tallies.clear()
            tally = self._tallies[id(entries)] = _Tally(entries)
        elif changed is not None and before is not None:
            tally.count(before, -1)
            tally.count(_availability(changed), 1)
        return tally.outcome()


_TALLIES = _Tallies()


def _refresh_available(
    doc: Document,
    event: Event,
    changed: Document | None = None,
    before: tuple[str | None, bool | None] | None = None,
) -> None:
    """Set or clear the placement's Available condition from its per-cluster state (`changed` went from
    the state `before` with this event)."""
    status = doc.setdefault("status", {})
    conditions = status.setdefault("conditions", [])
    outcome = _TALLIES.outcome(status.get("placementStatuses") or [], changed, before)
    if outcome is None:
        remove_condition(conditions, AVAILABLE)
        status.pop("observedResourceIndex", None)
        return
    index, available = outcome
    set_condition(
        conditions,
        AVAILABLE,
        available,
        RESOURCE_AVAILABLE if available else RESOURCE_NOT_AVAILABLE,
        event.time,
        _scheduled_generation(doc),
    )
    status["observedResourceIndex"] = index


def _scheduled(doc: Document, data: placements.PlacementScheduled, event: Event) -> None:
    status = doc.setdefault("status", {})
    set_condition(
        status.setdefault("conditions", []),
        SCHEDULED,
        data.scheduled,
        SCHEDULE_SUCCEEDED if data.scheduled else SCHEDULE_FAILED,
        event.time,
        data.placement_generation,
        scheduling_message(data),
    )
    previous = {e["clusterName"]: e for e in status.get("placementStatuses") or ()}
    reasons = {d.cluster: d.reason for d in data.decisions}
    entries = []
    for cluster in sorted(data.selected):
        entry = previous.get(cluster) or {"clusterName": cluster}
        set_condition(
            entry.setdefault("conditions", []),
            CLUSTER_SCHEDULED,
            True,
            CLUSTER_SCHEDULED,
            event.time,
            data.placement_generation,
            reasons.get(cluster, ""),
        )
        entries.append(entry)
    status["placementStatuses"] = entries
    _refresh_available(doc, event)


def _selection_refused(doc: Document, data: placements.ResourceSnapshotRefused, event: Event) -> None:
    """Fleet's answer to selectors it cannot serve; the next `placement.scheduled` sets it back."""
    conditions = doc.setdefault("status", {}).setdefault("conditions", [])
    set_condition(conditions, SCHEDULED, False, INVALID_RESOURCE_SELECTORS, event.time, data.placement_generation,
                  data.message)


_ENTRIES = ListIndex("clusterName")


def _entry(doc: Document, cluster: str) -> Document | None:
    return _ENTRIES.find((doc.get("status") or {}).get("placementStatuses"), cluster)


def _rollout_started(doc: Document, data: runs.ClusterUpdateStarted, event: Event) -> None:
    entry = _entry(doc, data.cluster)
    if entry is None:
        return
    before = _availability(entry)
    conditions = entry.setdefault("conditions", [])
    entry["observedResourceIndex"] = str(data.resource_snapshot_index)
    set_condition(
        conditions,
        ROLLOUT_STARTED,
        True,
        ROLLOUT_STARTED,
        event.time,
        _scheduled_generation(doc),
        f"update run {data.run} started rolling out resource snapshot {data.resource_snapshot_index}",
    )
    remove_condition(conditions, APPLIED)
    remove_condition(conditions, CLUSTER_AVAILABLE)
    _refresh_available(doc, event, entry, before)


def _cluster_outcome(doc: Document, data: agents.ClusterUpdated, event: Event) -> None:
    """An agent's outcome counts for the snapshot the cluster was last told to run."""
    entry = _entry(doc, data.cluster)
    if entry is None or entry.get("observedResourceIndex") != str(data.resource_snapshot_index):
        return
    before = _availability(entry)
    conditions = entry.setdefault("conditions", [])
    generation = _scheduled_generation(doc)
    if data.succeeded:
        set_condition(conditions, APPLIED, True, ALL_APPLIED, event.time, generation)
        set_condition(conditions, CLUSTER_AVAILABLE, True, ALL_AVAILABLE, event.time, generation)
    else:
        set_condition(conditions, APPLIED, False, NOT_ALL_APPLIED, event.time, generation, data.message)
        set_condition(conditions, CLUSTER_AVAILABLE, False, NOT_ALL_AVAILABLE, event.time, generation, data.message)
    _refresh_available(doc, event, entry, before)


def _named(
    data: placements.PlacementScheduled | placements.ResourceSnapshotRefused | agents.ClusterUpdated, event: Event
) -> Key:
    return placement_key(data.placement)


def _subject(data: runs.ClusterUpdateStarted, event: Event) -> Key:
    """Run events carry no placement name: it is their subject (fleetevents.runs)."""
    return placement_key(event.subject)


HANDLERS: dict[type, Handler] = {
    placements.PlacementApplied: _applied,
    placements.PlacementDeleted: _deleted,
    placements.PlacementScheduled: editor(_named, _scheduled),
    placements.ResourceSnapshotRefused: editor(_named, _selection_refused),
    runs.ClusterUpdateStarted: editor(_subject, _rollout_started),
    agents.ClusterUpdated: editor(_named, _cluster_outcome),
}
