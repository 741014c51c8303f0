"""Resource snapshots: which hub objects a placement selects, and when a new snapshot index is made.

Selection: the cluster-scoped hub objects any `resourceSelectors` entry selects, plus every object in a
selected Namespace; each in its snapshot form (`HubObject.selected_form`), in Fleet's order. The
content is hashed (sha-256, `resources.hashing`). Index 0 is made when the placement appears; index+1
whenever the hash differs from the latest snapshot's; an unchanged hash makes none. Snapshots beyond
the placement's `revisionHistoryLimit` are deleted (no run may deploy them any more). A selection over
MAX_SNAPSHOT_BYTES makes no snapshot but one refusal (the placement shows it) until it fits again.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from eventstore.registry import MAX_PAYLOAD_BYTES
from fleetevents.base import Payload
from fleetevents.placements import ResourceSnapshotCreated, ResourceSnapshotDeleted, ResourceSnapshotRefused
from orchestrator.fleetview import FleetView
from orchestrator.state import PlacementState
from resources.hashing import order_selected, resources_hash
from resources.hubobject import HubObject
from resources.placement import ClusterResourcePlacement

MAX_SNAPSHOT_BYTES = MAX_PAYLOAD_BYTES - 8_192
"""The largest selection (JSON bytes of the selected objects) one snapshot takes: the snapshot event and
each cluster's update command carry it whole, with a few names beside it, in one event each."""


def selected_objects(placement: ClusterResourcePlacement, objects: Iterable[HubObject]) -> list[HubObject]:
    """The hub objects `placement` selects (a selected Namespace brings everything in it)."""
    pool = list(objects)
    chosen = [o for o in pool if o.namespace is None and placement.selects(o)]
    namespaces = {o.name for o in chosen if (o.group, o.kind) == ("", "Namespace")}
    return chosen + [o for o in pool if o.namespace is not None and o.namespace in namespaces]


def selected_resources(placement: ClusterResourcePlacement, objects: Iterable[HubObject]) -> list[dict[str, Any]]:
    """The snapshot content: selected objects in snapshot form and Fleet's order."""
    return order_selected(o.selected_form() for o in selected_objects(placement, objects))


def resource_snapshot_events(state: PlacementState, fleet: FleetView) -> list[Payload]:
    """A new snapshot when the selected content changed (and the ones that fall out of the history); a
    refusal instead when it is too large for one snapshot."""
    assert state.placement is not None
    resources = selected_resources(state.placement, fleet.objects.values())
    new_hash = resources_hash(resources)
    latest = state.latest_resources
    if latest is not None and latest.resource_hash == new_hash:
        return _refusal_lifted(state)
    if state.refused_selection == new_hash:
        return []  # refused once already
    size = len(orjson.dumps(resources))
    if size > MAX_SNAPSHOT_BYTES:
        return [_refusal(state, new_hash, size)]
    index = latest.index + 1 if latest is not None else 0
    events: list[Payload] = [*_refusal_lifted(state), ResourceSnapshotCreated(
        placement=state.name, index=index, resource_hash=new_hash, selected_resources=resources,
    )]
    kept = [r for r in state.resource_snapshots if not r.deleted]
    overflow = len(kept) + 1 - state.placement.spec.history_limit
    events += [ResourceSnapshotDeleted(placement=state.name, index=r.index) for r in kept[:max(0, overflow)]]
    return events


def _refusal(state: PlacementState, selection_hash: str, size: int) -> ResourceSnapshotRefused:
    return ResourceSnapshotRefused(
        placement=state.name, resource_hash=selection_hash, size=size, limit=MAX_SNAPSHOT_BYTES,
        placement_generation=state.generation,
        message=(
            f"The resource selectors are invalid: the selected objects take {size} bytes as JSON, over the "
            f"limit of {MAX_SNAPSHOT_BYTES} for one resource snapshot; select fewer or smaller objects, or "
            "split them among several placements"
        ),
    )


def _refusal_lifted(state: PlacementState) -> list[Payload]:
    """After a refusal, the selection fits again: the scheduling decision, stated again, shows it."""
    if state.refused_selection is None or state.scheduled is None:
        return []
    return [state.scheduled]


def affects(placement: ClusterResourcePlacement, obj: HubObject) -> bool:
    """Whether a change of `obj` may change what `placement` selects (the object, or its namespace)."""
    if obj.namespace is None:
        return placement.selects(obj)
    return any((s.group, s.kind) == ("", "Namespace") for s in placement.spec.resource_selectors)
