"""The kind table: every kind fleetstage knows, its plural and short names, group/version and scope.

`resolve_kind(word)` turns what a user types (`csur`, `clusterapprovalrequests`, `deploy`,
`clusterapprovalrequest.placement.kubernetes-fleet.io`) into a KindInfo.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from resources.dns import DNS1035_LABEL, DNS1123_LABEL, DNS1123_SUBDOMAIN, PATH_SEGMENT, UPDATE_RUN_NAME, NameRule
from resources.errors import UnknownKindError
from resources.names import CLUSTER_GROUP, PLACEMENT_GROUP


@dataclass(frozen=True)
class KindInfo:
    """One kind: `versions[0]` is the version fleetstage writes."""

    kind: str
    group: str
    versions: tuple[str, ...]
    plural: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = False
    read_only: bool = False
    name_rule: NameRule = DNS1123_SUBDOMAIN

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        """`placement.kubernetes-fleet.io/v1beta1`, `apps/v1`, `v1`."""
        return f"{self.group}/{self.versions[0]}" if self.group else self.versions[0]

    @property
    def kind_group(self) -> str:
        """What kubectl prints before `/name`: `clusterapprovalrequest.placement.kubernetes-fleet.io`, `configmap`."""
        return f"{self.singular}.{self.group}" if self.group else self.singular

    @property
    def is_fleet(self) -> bool:
        return self.group in (PLACEMENT_GROUP, CLUSTER_GROUP)

    def words(self) -> tuple[str, ...]:
        """Every lower-case word that names this kind on the command line."""
        base = (self.singular, self.plural, *self.short_names)
        grouped = tuple(f"{w}.{self.group}" for w in (self.singular, self.plural) if self.group)
        return tuple(dict.fromkeys(base + grouped))


_FLEET_VERSIONS = ("v1beta1", "v1")


def _fleet(
    kind: str, plural: str, *short: str, read_only: bool = False, rule: NameRule = DNS1123_SUBDOMAIN
) -> KindInfo:
    return KindInfo(kind, PLACEMENT_GROUP, _FLEET_VERSIONS, plural, short, read_only=read_only, name_rule=rule)


def _core(kind: str, plural: str, *short: str, namespaced: bool = True, rule: NameRule = DNS1123_SUBDOMAIN) -> KindInfo:
    return KindInfo(kind, "", ("v1",), plural, short, namespaced=namespaced, name_rule=rule)


def _grouped(
    group: str,
    version: str,
    kind: str,
    plural: str,
    *short: str,
    namespaced: bool = True,
    rule: NameRule = DNS1123_SUBDOMAIN,
) -> KindInfo:
    return KindInfo(kind, group, (version,), plural, short, namespaced=namespaced, name_rule=rule)


KINDS: tuple[KindInfo, ...] = (
    _fleet("ClusterResourcePlacement", "clusterresourceplacements", "crp"),
    _fleet("ClusterStagedUpdateStrategy", "clusterstagedupdatestrategies", "csus"),
    _fleet("ClusterStagedUpdateRun", "clusterstagedupdateruns", "csur", rule=UPDATE_RUN_NAME),
    _fleet("ClusterApprovalRequest", "clusterapprovalrequests", "careq"),
    _fleet("ClusterResourceSnapshot", "clusterresourcesnapshots", read_only=True),
    _fleet("ClusterSchedulingPolicySnapshot", "clusterschedulingpolicysnapshots", read_only=True),
    KindInfo("MemberCluster", CLUSTER_GROUP, _FLEET_VERSIONS, "memberclusters", name_rule=DNS1123_LABEL),
    _core("Namespace", "namespaces", "ns", namespaced=False, rule=DNS1123_LABEL),
    _core("ConfigMap", "configmaps", "cm"),
    _core("Secret", "secrets"),
    _core("Service", "services", "svc", rule=DNS1035_LABEL),
    _core("ServiceAccount", "serviceaccounts", "sa"),
    _core("PersistentVolumeClaim", "persistentvolumeclaims", "pvc"),
    _core("PersistentVolume", "persistentvolumes", "pv", namespaced=False),
    _core("Pod", "pods", "po"),
    _core("Endpoints", "endpoints", "ep"),
    _core("LimitRange", "limitranges", "limits"),
    _core("ResourceQuota", "resourcequotas", "quota"),
    _core("ReplicationController", "replicationcontrollers", "rc"),
    _core("Node", "nodes", "no", namespaced=False),
    _grouped("apps", "v1", "Deployment", "deployments", "deploy"),
    _grouped("apps", "v1", "StatefulSet", "statefulsets", "sts"),
    _grouped("apps", "v1", "DaemonSet", "daemonsets", "ds"),
    _grouped("apps", "v1", "ReplicaSet", "replicasets", "rs"),
    _grouped("batch", "v1", "Job", "jobs"),
    _grouped("batch", "v1", "CronJob", "cronjobs", "cj"),
    _grouped("rbac.authorization.k8s.io", "v1", "Role", "roles", rule=PATH_SEGMENT),
    _grouped("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", rule=PATH_SEGMENT),
    _grouped("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False, rule=PATH_SEGMENT),
    _grouped(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        namespaced=False,
        rule=PATH_SEGMENT,
    ),
    _grouped("networking.k8s.io", "v1", "Ingress", "ingresses", "ing"),
    _grouped("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False),
    _grouped("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "netpol"),
    _grouped("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "pdb"),
    _grouped("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "hpa"),
    _grouped("storage.k8s.io", "v1", "StorageClass", "storageclasses", "sc", namespaced=False),
    _grouped("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "pc", namespaced=False),
    _grouped(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        "crd",
        "crds",
        namespaced=False,
    ),
)

# Groups whose every kind and version is in the table: another kind or version there is a typo.
CLOSED_GROUPS: dict[str, tuple[str, ...]] = {
    PLACEMENT_GROUP: _FLEET_VERSIONS,
    CLUSTER_GROUP: _FLEET_VERSIONS,
    "": ("v1",),
    "apps": ("v1",),
}

_BY_WORD: dict[str, KindInfo] = {w: info for info in KINDS for w in info.words()}
_BY_GROUP_KIND: dict[tuple[str, str], KindInfo] = {(info.group, info.kind): info for info in KINDS}


def split_api_version(api_version: str) -> tuple[str, str]:
    """`apps/v1` -> ("apps", "v1"); `v1` -> ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


def lookup_kind(group: str, kind: str) -> KindInfo | None:
    """The table entry of `kind` in `group` (case-sensitive, as in manifests), or None."""
    return _BY_GROUP_KIND.get((group, kind))


def kinds_named(kind: str) -> list[KindInfo]:
    """Every entry whose kind is `kind` (in any group)."""
    return [info for info in KINDS if info.kind == kind]


def close_kind_names(word: str, candidates: list[str], limit: int = 3) -> list[str]:
    """Up to `limit` names of `candidates` that look like `word` (case-insensitive)."""
    lowered = {c.lower(): c for c in candidates}
    return [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=limit, cutoff=0.6)]


def _close_words(word: str, limit: int = 3) -> list[str]:
    """Close command-line words, at most one per kind."""
    seen: set[KindInfo] = set()
    words = []
    for match in close_kind_names(word, list(_BY_WORD), limit=10):
        if _BY_WORD[match] not in seen:
            seen.add(_BY_WORD[match])
            words.append(match)
    return words[:limit]


def resolve_kind(word: str) -> KindInfo:
    """The kind a command-line word names: kind, singular, plural, short name or `<plural>.<group>`,
    case-insensitive. Raises UnknownKindError listing close matches."""
    info = _BY_WORD.get(word.lower())
    if info is None:
        raise UnknownKindError(word, _close_words(word))
    return info
