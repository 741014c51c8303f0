"""Read models of ClusterResourceSnapshots and ClusterSchedulingPolicySnapshots.

Snapshots are immutable (GEN 1); what moves is the `is-latest-snapshot` label (exactly one "true" per
placement) and, for policy snapshots, the scheduling result in the status. A placement keeps its
`revisionHistoryLimit` (default 10) newest snapshots of each kind; older ones are collected (the log,
and so the audit trail, still has them). Deleting a placement deletes its snapshots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eventstore import Event
from fleetevents import placements
from projections.documents import (
    Changes,
    Document,
    Handler,
    Overlay,
    clone,
    editor,
    new_object,
    set_condition,
)
from resources.names import (
    ANNOTATION_NUMBER_OF_CLUSTERS,
    ANNOTATION_RESOURCE_HASH,
    LABEL_IS_LATEST_SNAPSHOT,
    LABEL_POLICY_INDEX,
    LABEL_RESOURCE_INDEX,
    PLACEMENT_V1,
    policy_snapshot_name,
    resource_snapshot_name,
)
from resources.snapshots import snapshot_labels

RESOURCE_KIND = "ClusterResourceSnapshot"
POLICY_KIND = "ClusterSchedulingPolicySnapshot"
SCHEDULED = "Scheduled"
SCHEDULED_REASON = "Scheduled"
NOT_SCHEDULED_REASON = "SchedulingFailed"


def scheduling_message(data: placements.PlacementScheduled) -> str:
    """The message of a Scheduled condition: Fleet's on success, the scheduler's reason otherwise."""
    if data.scheduled:
        return f"found all cluster needed as specified by the scheduling policy, found {len(data.selected)} cluster(s)"
    return data.message


def _add_latest(view: Overlay, doc: Document, placement: str) -> Changes:
    """`doc` becomes the placement's latest snapshot of its kind; the others stop being latest."""
    kind, name = doc["kind"], doc["metadata"]["name"]
    changes: Changes = {(kind, "", name): doc}
    for other_name in view.children(kind, placement):
        other = view.get(kind, other_name)
        latest = other is not None and other["metadata"]["labels"].get(LABEL_IS_LATEST_SNAPSHOT) == "true"
        if latest and other_name != name:
            moved = view.writable(kind, "", other_name)
            if moved is not None:
                moved["metadata"]["labels"][LABEL_IS_LATEST_SNAPSHOT] = "false"
                changes[(kind, "", other_name)] = moved
    return changes


def _snapshot_created(
    kind: str,
    name_of: Callable[[str, int], str],
    index_label: str,
    content: Callable[[Any], tuple[Mapping[str, str], Document]],
) -> Handler:
    """A new snapshot of `data.placement` at `data.index`, with Fleet's labels and the annotations and spec
    `content(data)` gives: its kind's latest from now on."""

    def handle(
        view: Overlay, data: placements.ResourceSnapshotCreated | placements.PolicySnapshotCreated, event: Event
    ) -> Changes:
        annotations, spec = content(data)
        doc = new_object(
            PLACEMENT_V1,
            kind,
            name_of(data.placement, data.index),
            event,
            labels=snapshot_labels(data.placement, index_label, data.index, latest=True),
            annotations=annotations,
        )
        doc["spec"] = spec
        return _add_latest(view, doc, data.placement)

    return handle


def _resource_content(data: placements.ResourceSnapshotCreated) -> tuple[Mapping[str, str], Document]:
    return {ANNOTATION_RESOURCE_HASH: data.resource_hash}, {"selectedResources": clone(data.selected_resources)}


def _number_of_clusters(policy: Mapping[str, Any]) -> dict[str, str]:
    count = policy.get("numberOfClusters")
    return (
        {ANNOTATION_NUMBER_OF_CLUSTERS: str(count)}
        if policy.get("placementType") == "PickN" and count is not None
        else {}
    )


def _policy_content(data: placements.PolicySnapshotCreated) -> tuple[Mapping[str, str], Document]:
    return _number_of_clusters(data.policy), {"policy": clone(data.policy), "policyHash": data.policy_hash}


def _scheduled(doc: Document, data: placements.PlacementScheduled, event: Event) -> None:
    """The scheduling result goes into the status of the policy snapshot it was computed for."""
    status = doc.setdefault("status", {})
    status["observedCRPGeneration"] = data.placement_generation
    set_condition(
        status.setdefault("conditions", []),
        SCHEDULED,
        data.scheduled,
        SCHEDULED_REASON if data.scheduled else NOT_SCHEDULED_REASON,
        event.time,
        doc["metadata"]["generation"],
        scheduling_message(data),
    )
    status["targetClusters"] = [
        {"clusterName": d.cluster, "selected": d.selected, "reason": d.reason} for d in data.decisions
    ]
    if (doc["spec"]["policy"] or {}).get("placementType") == "PickN":
        doc["metadata"].setdefault("annotations", {})[ANNOTATION_NUMBER_OF_CLUSTERS] = str(data.observed_cluster_count)


def _snapshot_deleted(kind: str, name_of: Callable[[str, int], str]) -> Handler:
    def handle(
        view: Overlay, data: placements.ResourceSnapshotDeleted | placements.PolicySnapshotDeleted, event: Event
    ) -> Changes:
        return {(kind, "", name_of(data.placement, data.index)): None}

    return handle


def _placement_deleted(view: Overlay, data: placements.PlacementDeleted, event: Event) -> Changes:
    return {
        (kind, "", name): None for kind in (RESOURCE_KIND, POLICY_KIND) for name in view.children(kind, data.name)
    }


HANDLERS: dict[type, Handler] = {
    placements.ResourceSnapshotCreated: _snapshot_created(
        RESOURCE_KIND, resource_snapshot_name, LABEL_RESOURCE_INDEX, _resource_content
    ),
    placements.PolicySnapshotCreated: _snapshot_created(
        POLICY_KIND, policy_snapshot_name, LABEL_POLICY_INDEX, _policy_content
    ),
    placements.PlacementScheduled: editor(
        lambda d, e: (POLICY_KIND, "", policy_snapshot_name(d.placement, d.policy_index)), _scheduled
    ),
    placements.ResourceSnapshotDeleted: _snapshot_deleted(RESOURCE_KIND, resource_snapshot_name),
    placements.PolicySnapshotDeleted: _snapshot_deleted(POLICY_KIND, policy_snapshot_name),
    placements.PlacementDeleted: _placement_deleted,
}
