"""Names of derived objects and the label/annotation keys Fleet uses, exactly as Fleet spells them."""

from __future__ import annotations

from typing import Final

PLACEMENT_GROUP = "placement.kubernetes-fleet.io"
CLUSTER_GROUP = "cluster.kubernetes-fleet.io"
PLACEMENT_V1BETA1: Final = "placement.kubernetes-fleet.io/v1beta1"
PLACEMENT_V1: Final = "placement.kubernetes-fleet.io/v1"
CLUSTER_V1BETA1: Final = "cluster.kubernetes-fleet.io/v1beta1"
CLUSTER_V1: Final = "cluster.kubernetes-fleet.io/v1"

LABEL_PARENT_CRP = "kubernetes-fleet.io/parent-CRP"
LABEL_RESOURCE_INDEX = "kubernetes-fleet.io/resource-index"
LABEL_IS_LATEST_SNAPSHOT = "kubernetes-fleet.io/is-latest-snapshot"
LABEL_POLICY_INDEX = "kubernetes-fleet.io/policy-index"
ANNOTATION_RESOURCE_HASH = "kubernetes-fleet.io/resource-hash"
ANNOTATION_NUMBER_OF_CLUSTERS = "kubernetes-fleet.io/number-of-clusters"
LABEL_TARGET_UPDATE_RUN = "kubernetes-fleet.io/targetUpdateRun"
LABEL_TARGET_UPDATING_STAGE = "kubernetes-fleet.io/targetUpdatingStage"

DELETION_STAGE_NAME = "kubernetes-fleet.io/deleteStage"

LABEL_NAMESPACE_NAME = "kubernetes.io/metadata.name"  # set on every Namespace by the API server
ANNOTATION_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
NAMESPACE_FINALIZER = "kubernetes"


def resource_snapshot_name(placement: str, index: int) -> str:
    """`example-placement-1-snapshot`."""
    return f"{placement}-{index}-snapshot"


def policy_snapshot_name(placement: str, policy_index: int) -> str:
    """`example-placement-0`."""
    return f"{placement}-{policy_index}"


def approval_request_name(run: str, stage: str, *, before: bool = False) -> str:
    """`example-run-canary` after a stage; `example-run-before-canary` for a before-stage approval."""
    return f"{run}-before-{stage}" if before else f"{run}-{stage}"
