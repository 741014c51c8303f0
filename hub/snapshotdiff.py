"""What changed between two resource snapshots of a placement, object by object.

A snapshot's content comes from the read model, or, when the read model no longer holds it (snapshots
beyond the placement's `revisionHistoryLimit` are collected), from its `ResourceSnapshotCreated` event:
the log never forgets what an old snapshot contained.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventstore import EventStore
from eventstore.store import partition_for
from fleetevents.placements import ResourceSnapshotCreated
from fleetevents.streams import PLACEMENTS
from hub.errors import ApiError
from hub.readmodel import ReadModel
from resources.names import resource_snapshot_name


def object_key(obj: Mapping[str, Any]) -> str:
    """`Kind/namespace/name` (`Kind/name` when cluster-scoped)."""
    meta = obj.get("metadata") or {}
    return "/".join(p for p in (obj.get("kind", ""), meta.get("namespace"), meta.get("name", "")) if p)


async def snapshot_objects(store: EventStore, read: ReadModel, placement: str, index: int) -> list[dict[str, Any]]:
    """The selected objects of snapshot `index` of `placement`; 404 when it never existed."""
    doc = await read.get("ClusterResourceSnapshot", resource_snapshot_name(placement, index))
    if doc is not None:
        return list((doc.get("spec") or {}).get("selectedResources") or [])
    partition = partition_for(placement, len(await store.end_offsets(PLACEMENTS)))
    async for event in store.read(PLACEMENTS, partitions=[partition]):
        data = event.data
        if isinstance(data, ResourceSnapshotCreated) and data.placement == placement and data.index == index:
            return list(data.selected_resources)
    raise ApiError(404, "NotFound", f'placement "{placement}" has no resource snapshot with index {index}',
                   details={"name": resource_snapshot_name(placement, index)})


async def diff_snapshots(store: EventStore, read: ReadModel, placement: str, old: int, new: int) -> dict[str, Any]:
    """{placement, from, to, objects: [{key, change: added|removed|modified, before, after}]} in key order."""
    before = {object_key(o): o for o in await snapshot_objects(store, read, placement, old)}
    after = {object_key(o): o for o in await snapshot_objects(store, read, placement, new)}
    objects = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        change = "added" if was is None else "removed" if now is None else "modified"
        objects.append({"key": key, "change": change, "before": was, "after": now})
    return {"placement": placement, "from": old, "to": new, "objects": objects}
