"""Domain events about a placement: its spec, policy snapshots, scheduling and resource snapshots.

Stream `placements`, subject = placement name; written by the orchestrator that owns the placement.
"""
from typing import Any

from pydantic import BaseModel, ConfigDict

from fleetevents.base import Payload, registry


@registry.event("fleetstage.placement.applied")
class PlacementApplied(Payload):
    manifest: dict[str, Any]
    generation: int


@registry.event("fleetstage.placement.deleted")
class PlacementDeleted(Payload):
    name: str


@registry.event("fleetstage.policysnapshot.created")
class PolicySnapshotCreated(Payload):
    """Name `<placement>-<index>`; a new one only when the policy hash changes (numberOfClusters excluded)."""

    placement: str
    index: int
    policy: dict[str, Any]
    policy_hash: str
    placement_generation: int


class ClusterDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cluster: str
    selected: bool
    reason: str


@registry.event("fleetstage.placement.scheduled")
class PlacementScheduled(Payload):
    """Scheduling result of the latest policy snapshot: which member clusters the placement selects."""

    placement: str
    policy_index: int
    placement_generation: int
    observed_cluster_count: int
    selected: list[str]
    decisions: list[ClusterDecision]
    scheduled: bool = True
    message: str = ""
    """Why `scheduled` is False (e.g. PickN found fewer clusters than numberOfClusters)."""


@registry.event("fleetstage.policysnapshot.deleted")
class PolicySnapshotDeleted(Payload):
    """Policy snapshot `<placement>-<index>` fell out of the placement's revisionHistoryLimit."""

    placement: str
    index: int


@registry.event("fleetstage.resourcesnapshot.created")
class ResourceSnapshotCreated(Payload):
    """Name `<placement>-<index>-snapshot`; a new one only when the hash of the selected content changes."""

    placement: str
    index: int
    resource_hash: str
    selected_resources: list[dict[str, Any]]


@registry.event("fleetstage.resourcesnapshot.refused")
class ResourceSnapshotRefused(Payload):
    """The placement's selection is too large for one snapshot (`size` JSON bytes over `limit`): no snapshot
    is made for it and the placement shows `ClusterResourcePlacementScheduled=False/InvalidResourceSelectors`
    until its selection fits again (then its scheduling decision is stated again)."""

    placement: str
    resource_hash: str
    size: int
    limit: int
    placement_generation: int
    message: str


@registry.event("fleetstage.resourcesnapshot.deleted")
class ResourceSnapshotDeleted(Payload):
    """Snapshot `<placement>-<index>-snapshot` fell out of the placement's revisionHistoryLimit: it is no
    longer listed and no new run may deploy it (its content stays in the log for audit)."""

    placement: str
    index: int
