"""The read-only kinds the system makes: ClusterResourceSnapshot and ClusterSchedulingPolicySnapshot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import Field

from resources.base import KubeModel
from resources.hashing import order_selected, policy_hash, resources_hash
from resources.kubeobject import KubeObject
from resources.meta import Condition, ObjectMeta
from resources.names import (
    ANNOTATION_NUMBER_OF_CLUSTERS,
    ANNOTATION_RESOURCE_HASH,
    LABEL_IS_LATEST_SNAPSHOT,
    LABEL_PARENT_CRP,
    LABEL_POLICY_INDEX,
    LABEL_RESOURCE_INDEX,
    PLACEMENT_V1,
    policy_snapshot_name,
    resource_snapshot_name,
)
from resources.placement import PlacementApiVersion, PlacementPolicy


def snapshot_labels(placement: str, index_label: str, index: int, *, latest: bool) -> dict[str, str]:
    """Fleet's labels of a snapshot: is-latest-snapshot, parent-CRP and its index under `index_label`
    (resource-index or policy-index)."""
    return {LABEL_IS_LATEST_SNAPSHOT: str(latest).lower(), LABEL_PARENT_CRP: placement, index_label: str(index)}


class ResourceSnapshotSpec(KubeModel):
    selected_resources: list[dict[str, Any]] = Field(default_factory=list)


class ResourceSnapshotStatus(KubeModel):
    conditions: list[Condition] | None = None


class ClusterResourceSnapshot(KubeObject):
    """`<placement>-<index>-snapshot`: the selected objects (in their selected form) at one index."""

    api_version: PlacementApiVersion = PLACEMENT_V1
    kind: Literal["ClusterResourceSnapshot"] = "ClusterResourceSnapshot"
    spec: ResourceSnapshotSpec
    status: ResourceSnapshotStatus | None = None

    @classmethod
    def build(
        cls, placement: str, index: int, selected: Iterable[Mapping[str, Any]], *, latest: bool
    ) -> ClusterResourceSnapshot:
        """The snapshot of `selected` (selected-form dicts, see HubObject.selected_form), with Fleet's labels
        and the resource-hash annotation."""
        ordered = order_selected(selected)
        return cls(
            metadata=ObjectMeta(
                name=resource_snapshot_name(placement, index),
                labels=snapshot_labels(placement, LABEL_RESOURCE_INDEX, index, latest=latest),
                annotations={ANNOTATION_RESOURCE_HASH: resources_hash(ordered)},
            ),
            spec=ResourceSnapshotSpec(selected_resources=ordered),
        )

    @property
    def index(self) -> int:
        return int(self.labels[LABEL_RESOURCE_INDEX])

    @property
    def is_latest(self) -> bool:
        return self.labels.get(LABEL_IS_LATEST_SNAPSHOT) == "true"

    @property
    def placement_name(self) -> str:
        return self.labels[LABEL_PARENT_CRP]


class SchedulingPolicySnapshotSpec(KubeModel):
    policy: PlacementPolicy | None = None
    policy_hash: str


class ClusterDecision(KubeModel):
    cluster_name: str
    selected: bool
    reason: str | None = None


class SchedulingPolicySnapshotStatus(KubeModel):
    observed_crp_generation: int | None = Field(default=None, alias="observedCRPGeneration")
    conditions: list[Condition] | None = None
    target_clusters: list[ClusterDecision] | None = None


class ClusterSchedulingPolicySnapshot(KubeObject):
    """`<placement>-<policyIndex>`: one version of a placement's policy and the scheduler's decisions."""

    api_version: PlacementApiVersion = PLACEMENT_V1
    kind: Literal["ClusterSchedulingPolicySnapshot"] = "ClusterSchedulingPolicySnapshot"
    spec: SchedulingPolicySnapshotSpec
    status: SchedulingPolicySnapshotStatus | None = None

    @classmethod
    def build(
        cls, placement: str, policy_index: int, policy: PlacementPolicy | None, *, latest: bool
    ) -> ClusterSchedulingPolicySnapshot:
        """The policy snapshot; PickN records its count in the number-of-clusters annotation (the count is not
        part of the hash, so changing it alone makes no new snapshot)."""
        count = policy.number_of_clusters if policy is not None else None
        return cls(
            metadata=ObjectMeta(
                name=policy_snapshot_name(placement, policy_index),
                labels=snapshot_labels(placement, LABEL_POLICY_INDEX, policy_index, latest=latest),
                annotations={ANNOTATION_NUMBER_OF_CLUSTERS: str(count)} if count is not None else None,
            ),
            spec=SchedulingPolicySnapshotSpec(policy=policy, policy_hash=policy_hash(policy)),
        )

    @property
    def index(self) -> int:
        return int(self.labels[LABEL_POLICY_INDEX])
