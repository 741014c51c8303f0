"""Pydantic v2 models of the Fleet kinds and hub objects, manifest parsing and validation.

Import from here: models (ClusterResourcePlacement, ClusterStagedUpdateStrategy, ClusterStagedUpdateRun,
ClusterApprovalRequest, MemberCluster, ClusterResourceSnapshot, ClusterSchedulingPolicySnapshot,
HubObject), `parse_manifests` / `parse_object`, the kind table (`resolve_kind`), Go durations, and the
Fleet names in `resources.names`.
"""

from resources.approval import (
    APPROVAL_ACCEPTED,
    APPROVED,
    ApprovalRequestSpec,
    ApprovalRequestStatus,
    ClusterApprovalRequest,
    check_approval_update,
)
from resources.base import KubeModel, Time, format_time
from resources.cluster import MemberCluster, MemberClusterSpec
from resources.duration import format_duration, parse_duration
from resources.errors import FieldProblem, InvalidUpdateError, ManifestError, ResourceError, UnknownKindError
from resources.hashing import order_selected, policy_hash, resources_hash
from resources.hubobject import HubObject
from resources.kinds import KINDS, KindInfo, lookup_kind, resolve_kind, split_api_version
from resources.kubeobject import KubeObject
from resources.manifests import FLEET_MODELS, Resource, load_documents, parse_manifests, parse_object
from resources.meta import Condition, LabelSelector, LabelSelectorRequirement, ObjectMeta, find_condition
from resources.placement import (
    ClusterResourcePlacement,
    ClusterResourcePlacementSpec,
    ClusterResourceSelector,
    PlacementPolicy,
    PlacementStatus,
    RolloutStrategy,
)
from resources.snapshots import ClusterResourceSnapshot, ClusterSchedulingPolicySnapshot
from resources.strategy import ClusterStagedUpdateStrategy, StageConfig, StagedUpdateStrategySpec, StageTask
from resources.updaterun import (
    ClusterStagedUpdateRun,
    ClusterUpdatingStatus,
    StageTaskStatus,
    StageUpdatingStatus,
    UpdateRunSpec,
    UpdateRunStatus,
    check_run_update,
)

__all__ = [
    "APPROVAL_ACCEPTED",
    "APPROVED",
    "ApprovalRequestSpec",
    "ApprovalRequestStatus",
    "ClusterApprovalRequest",
    "ClusterResourcePlacement",
    "ClusterResourcePlacementSpec",
    "ClusterResourceSelector",
    "ClusterResourceSnapshot",
    "ClusterSchedulingPolicySnapshot",
    "ClusterStagedUpdateRun",
    "ClusterStagedUpdateStrategy",
    "ClusterUpdatingStatus",
    "Condition",
    "FLEET_MODELS",
    "FieldProblem",
    "HubObject",
    "InvalidUpdateError",
    "KINDS",
    "KindInfo",
    "KubeModel",
    "KubeObject",
    "LabelSelector",
    "LabelSelectorRequirement",
    "ManifestError",
    "MemberCluster",
    "MemberClusterSpec",
    "ObjectMeta",
    "PlacementPolicy",
    "PlacementStatus",
    "Resource",
    "ResourceError",
    "RolloutStrategy",
    "StageConfig",
    "StageTask",
    "StageTaskStatus",
    "StageUpdatingStatus",
    "StagedUpdateStrategySpec",
    "Time",
    "UnknownKindError",
    "UpdateRunSpec",
    "UpdateRunStatus",
    "check_approval_update",
    "check_run_update",
    "find_condition",
    "format_duration",
    "format_time",
    "load_documents",
    "lookup_kind",
    "order_selected",
    "parse_duration",
    "parse_manifests",
    "parse_object",
    "policy_hash",
    "resolve_kind",
    "resources_hash",
    "split_api_version",
]
