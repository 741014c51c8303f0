"""Resource snapshots: which hub objects a placement selects, and when a new snapshot index is made.

Selection: the cluster-scoped hub objects any `resourceSelectors` entry selects, plus every object in a
selected Namespace; each in its snapshot form (`HubObject.selected_form`), in Fleet's order. The
content is hashed (sha-256, `resources.hashing`). Index 0 is made when the placement appears; index+1
whenever the hash differs from the latest snapshot's; an unchanged hash makes none. Snapshots beyond
the placement's `revisionHistoryLimit` are deleted (no run may deploy them any more).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fleetevents.base import Payload
from fleetevents.placements import ResourceSnapshotCreated, ResourceSnapshotDeleted
from orchestrator.fleetview import FleetView
from orchestrator.state import PlacementState
from resources.hashing import order_selected, resources_hash
from resources.hubobject import HubObject
from resources.placement import ClusterResourcePlacement


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
    """A new snapshot when the selected content changed (and the ones that fall out of the history)."""
    assert state.placement is not None
    resources = selected_resources(state.placement, fleet.objects.values())
    new_hash = resources_hash(resources)
    latest = state.latest_resources
    if latest is not None and latest.resource_hash == new_hash:
        return []
    index = latest.index + 1 if latest is not None else 0
    events: list[Payload] = [ResourceSnapshotCreated(
        placement=state.name, index=index, resource_hash=new_hash, selected_resources=resources,
    )]
    kept = [r for r in state.resource_snapshots if not r.deleted]
    overflow = len(kept) + 1 - state.placement.spec.history_limit
    events += [ResourceSnapshotDeleted(placement=state.name, index=r.index) for r in kept[:max(0, overflow)]]
    return events


def affects(placement: ClusterResourcePlacement, obj: HubObject) -> bool:
    """Whether a change of `obj` may change what `placement` selects (the object, or its namespace)."""
    if obj.namespace is None:
        return placement.selects(obj)
    return any((s.group, s.kind) == ("", "Namespace") for s in placement.spec.resource_selectors)
