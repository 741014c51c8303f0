"""ClusterResourcePlacement: which hub resources go to which member clusters, and how they roll out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from resources.base import KubeModel, invalid
from resources.intstr import NonNegativeIntOrPercent
from resources.kinds import lookup_kind, split_api_version
from resources.kubeobject import KubeObject
from resources.meta import Condition, LabelSelector
from resources.names import PLACEMENT_V1BETA1

PlacementApiVersion = Literal["placement.kubernetes-fleet.io/v1beta1", "placement.kubernetes-fleet.io/v1"]
PlacementType = Literal["PickAll", "PickN", "PickFixed"]
RolloutStrategyType = Literal["RollingUpdate", "External"]
DEFAULT_REVISION_HISTORY_LIMIT = 10


class ClusterResourceSelector(KubeModel):
    """Selects cluster-scoped hub resources by group/version/kind and either a name or a label selector
    (neither = every object of the kind). A selected Namespace brings every object in it."""

    group: str
    version: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    name: str | None = None
    label_selector: LabelSelector | None = None

    @model_validator(mode="after")
    def _cluster_scoped_and_exclusive(self) -> ClusterResourceSelector:
        if self.name is not None and self.label_selector is not None:
            raise invalid("name and labelSelector are mutually exclusive; keep one", "labelSelector")
        info = lookup_kind(self.group, self.kind)
        if info is not None and info.namespaced:
            raise invalid(
                f"{self.kind} is namespaced; a ClusterResourcePlacement selects cluster-scoped resources only "
                "(select its Namespace instead)",
                "kind",
            )
        return self

    def selects(self, api_version: str, kind: str, name: str, labels: dict[str, str] | None) -> bool:
        """Whether a hub object with these coordinates is selected (namespace contents not included)."""
        group, version = split_api_version(api_version)
        if (group, version, kind) != (self.group, self.version, self.kind):
            return False
        if self.name is not None:
            return name == self.name
        return self.label_selector is None or self.label_selector.matches(labels)


class ClusterSelectorTerm(KubeModel):
    """A cluster matches a term when it matches its label selector (absent = every cluster)."""

    label_selector: LabelSelector | None = None

    def matches(self, labels: dict[str, str] | None) -> bool:
        return self.label_selector is None or self.label_selector.matches(labels)


class ClusterSelector(KubeModel):
    """Terms are ORed."""

    cluster_selector_terms: list[ClusterSelectorTerm] = Field(max_length=10)

    def matches(self, labels: dict[str, str] | None) -> bool:
        return any(term.matches(labels) for term in self.cluster_selector_terms)


class PreferredClusterSelector(KubeModel):
    weight: int = Field(ge=-100, le=100)
    preference: ClusterSelectorTerm


class ClusterAffinity(KubeModel):
    required_during_scheduling_ignored_during_execution: ClusterSelector | None = None
    preferred_during_scheduling_ignored_during_execution: list[PreferredClusterSelector] | None = None

    def required_matches(self, labels: dict[str, str] | None) -> bool:
        required = self.required_during_scheduling_ignored_during_execution
        return required is None or required.matches(labels)

    def preference_score(self, labels: dict[str, str] | None) -> int:
        """Sum of the weights of the preferred terms the cluster matches."""
        return sum(
            p.weight
            for p in self.preferred_during_scheduling_ignored_during_execution or []
            if p.preference.matches(labels)
        )


class Affinity(KubeModel):
    cluster_affinity: ClusterAffinity | None = None


class PlacementPolicy(KubeModel):
    """`spec.policy`: PickAll (default), PickN (numberOfClusters required) or PickFixed (clusterNames)."""

    placement_type: PlacementType | None = None
    cluster_names: list[str] | None = Field(default=None, max_length=100)
    number_of_clusters: int | None = Field(default=None, ge=0)
    affinity: Affinity | None = None

    @property
    def type(self) -> PlacementType:
        return self.placement_type or "PickAll"

    @property
    def cluster_affinity(self) -> ClusterAffinity:
        return (self.affinity.cluster_affinity if self.affinity else None) or ClusterAffinity()

    @model_validator(mode="after")
    def _fields_fit_type(self) -> PlacementPolicy:
        kind = self.type
        if kind == "PickN" and self.number_of_clusters is None:
            raise invalid(
                "required when placementType is PickN; set the number of clusters to pick", "numberOfClusters"
            )
        if kind != "PickN" and self.number_of_clusters is not None:
            raise invalid(f"only allowed when placementType is PickN (it is {kind}); remove it", "numberOfClusters")
        if kind == "PickFixed":
            if not self.cluster_names:
                raise invalid("required when placementType is PickFixed; list the member clusters", "clusterNames")
            if self.affinity is not None:
                raise invalid("not allowed when placementType is PickFixed; remove it", "affinity")
            if len(set(self.cluster_names)) != len(self.cluster_names):
                raise invalid("cluster names must be unique", "clusterNames")
        elif self.cluster_names is not None:
            raise invalid(f"only allowed when placementType is PickFixed (it is {kind}); remove it", "clusterNames")
        if kind == "PickAll" and self.cluster_affinity.preferred_during_scheduling_ignored_during_execution:
            raise invalid(
                "preferred cluster affinity is only used by PickN; remove it or use requiredDuringScheduling...",
                "affinity",
                "clusterAffinity",
                "preferredDuringSchedulingIgnoredDuringExecution",
            )
        return self


class RollingUpdateConfig(KubeModel):
    max_unavailable: NonNegativeIntOrPercent | None = None
    max_surge: NonNegativeIntOrPercent | None = None
    unavailable_period_seconds: int | None = Field(default=None, ge=0)


class RolloutStrategy(KubeModel):
    """`spec.strategy`: `External` = update runs deploy; `RollingUpdate` (Fleet's default) = automatic."""

    type: RolloutStrategyType | None = None
    rolling_update: RollingUpdateConfig | None = None

    @property
    def effective_type(self) -> RolloutStrategyType:
        return self.type or "RollingUpdate"


class ClusterResourcePlacementSpec(KubeModel):
    resource_selectors: list[ClusterResourceSelector] = Field(min_length=1, max_length=100)
    policy: PlacementPolicy | None = None
    strategy: RolloutStrategy | None = None
    revision_history_limit: int | None = Field(default=None, ge=1, le=1000)

    @property
    def effective_policy(self) -> PlacementPolicy:
        return self.policy or PlacementPolicy()

    @property
    def strategy_type(self) -> RolloutStrategyType:
        return (self.strategy or RolloutStrategy()).effective_type

    @property
    def history_limit(self) -> int:
        return self.revision_history_limit or DEFAULT_REVISION_HISTORY_LIMIT


class ResourceIdentifier(KubeModel):
    group: str | None = None
    version: str
    kind: str
    name: str
    namespace: str | None = None


class ResourcePlacementStatus(KubeModel):
    cluster_name: str
    conditions: list[Condition] | None = None


class PlacementStatus(KubeModel):
    selected_resources: list[ResourceIdentifier] | None = None
    observed_resource_index: str | None = None
    placement_statuses: list[ResourcePlacementStatus] | None = None
    conditions: list[Condition] | None = None


class ClusterResourcePlacement(KubeObject):
    api_version: PlacementApiVersion = PLACEMENT_V1BETA1
    kind: Literal["ClusterResourcePlacement"] = "ClusterResourcePlacement"
    spec: ClusterResourcePlacementSpec
    status: PlacementStatus | None = None

    def selects(self, obj: Any) -> bool:
        """Whether any selector selects `obj` (a HubObject or any object with api_version/kind/name/labels)."""
        return any(s.selects(obj.api_version, obj.kind, obj.name, obj.labels) for s in self.spec.resource_selectors)
