"""Point-in-time reads (`get --at`): the partitions whose events make one document, replayed up to a time.

Every document changes from the events of one partition only (the parallel rebuild relies on it too,
and no fold reads a document of another partition), so the document of an object as it was at a time
is the fold of that partition's events up to then. Which partition:

- a placement and its snapshots, runs and approval requests: the `placements` partition of the
  placement's name (a run's placements are looked up in the audit trail: a deleted run's name may have
  been used again for another placement, so each one's partition is read);
- any other hub object (namespaces, configmaps, strategies...): the `fleet` stream;
- a snapshot or approval request deleted since (no label to read any more): its placement from its
  name, which the system gave it (`<placement>-<index>-snapshot`, `<placement>-<index>`; an approval
  request's `<run>-<stage>` names its run, one of the name's prefixes at a dash, looked up in the audit
  trail: reading the partitions of every candidate is still exact, as no fold reads another partition);
- member clusters and their leases, and objects whose placement cannot be found at all: every stream
  (heartbeats for members only).

Reading one partition of eight instead of the whole log is what makes `get --at` affordable on a long log:
the time and the memory (the documents of every placement) of a full replay grow with the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from datetime import datetime

from eventstore import EventStore
from eventstore.store import partition_for
from fleetevents import streams
from projections import approvals, members, placement_status, run_status, snapshots
from projections.fold import DocumentSet, fold_batch
from resources.names import LABEL_PARENT_CRP, LABEL_TARGET_UPDATE_RUN

log = logging.getLogger(__name__)

Where = Mapping[str, Sequence[int] | None]
"""{stream: its partitions to read, None for all of them}."""

PlacementsOfRun = Callable[[str], Awaitable[set[str]]]
"""The placements a run's events name (from the audit trail)."""

SNAPSHOT_NAMES = {
    snapshots.RESOURCE_KIND: re.compile(r"(.+)-\d+-snapshot"),  # resources.names.resource_snapshot_name
    snapshots.POLICY_KIND: re.compile(r"(.+)-\d+"),  # resources.names.policy_snapshot_name
}


async def origin(
    current: DocumentSet, kind: str, name: str, namespace: str | None, event_store: EventStore,
    placements_of_run: PlacementsOfRun,
) -> Where:
    """Where the events that make the document of (kind, namespace, name) are (see the module docstring);
    `current` holds the documents now."""
    if kind in (members.KIND, members.LEASE_KIND):
        return dict.fromkeys(streams.STREAM_NAMES)
    owners = await _placements(current, kind, name, placements_of_run)
    if owners is None:
        return {streams.FLEET: None}
    if not owners:  # a placement's object whose placement is unknown now: read everything
        return {stream: None for stream in streams.STREAM_NAMES if stream != streams.HEARTBEATS}
    count = len(await event_store.end_offsets(streams.PLACEMENTS))  # every backend lists each partition
    return {streams.PLACEMENTS: sorted({partition_for(owner, count) for owner in owners})}


async def _placements(
    current: DocumentSet, kind: str, name: str, placements_of_run: PlacementsOfRun
) -> set[str] | None:
    """The placements whose events make a placement-stream object (empty when not known), None for an
    object of the `fleet` stream."""
    if kind == placement_status.KIND:
        return {name}
    if kind in (snapshots.RESOURCE_KIND, snapshots.POLICY_KIND):
        doc = current.get(kind, name)
        if doc is not None:
            parent = (doc["metadata"].get("labels") or {}).get(LABEL_PARENT_CRP)
            return {parent} if parent else set()
        named = SNAPSHOT_NAMES[kind].fullmatch(name)
        return {named.group(1)} if named else set()
    if kind == approvals.KIND:
        doc = current.get(kind, name)
        if doc is not None:
            run = (doc["metadata"].get("labels") or {}).get(LABEL_TARGET_UPDATE_RUN)
            return await placements_of_run(run) if run else set()
        parts = name.split("-")  # deleted: its run is one of the name's prefixes
        return {owner for end in range(1, len(parts)) for owner in await placements_of_run("-".join(parts[:end]))}
    if kind == run_status.KIND:
        return await placements_of_run(name)
    return None


async def replay(event_store: EventStore, where: Where, *, until: datetime | None = None) -> DocumentSet:
    """An in-memory fold of the partitions of `where`, events up to `until` when given, folded a slice at a
    time as it is read."""
    docs = DocumentSet()
    for stream, partitions in where.items():
        async with aclosing(event_store.read_batches(stream, partitions=partitions)) as slices:
            async for events in slices:
                folded = fold_batch(docs, events if until is None else [e for e in events if e.time <= until])
                for event, exc in folded.failures:
                    log.warning("replay: cannot fold %s event %s: %s", event.type, event.id, exc)
                docs.apply(folded.changes)
    return docs
