"""Canonical order and sha-256 of a placement's selected objects, and the hash of a placement policy."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from resources.placement import PlacementPolicy

# Fleet applies (and lists) selected objects in this kind order, then by group/version/kind, namespace, name.
APPLY_ORDER: tuple[str, ...] = (
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
_RANK = {kind: i for i, kind in enumerate(APPLY_ORDER)}


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no whitespace: equal content, equal bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _order_key(obj: Mapping[str, Any]) -> tuple[int, str, str, str, str]:
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind", ""))
    return (
        _RANK.get(kind, len(APPLY_ORDER)),
        f"{obj.get('apiVersion', '')}/{kind}",
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        canonical_json(obj).decode(),
    )


def order_selected(objects: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The objects in Fleet's order (Namespace before what it contains, ...), as plain dicts."""
    return [dict(o) for o in sorted(objects, key=_order_key)]


def resources_hash(objects: Iterable[Mapping[str, Any]]) -> str:
    """Hex sha-256 of the selected objects; independent of input order and of key order."""
    return hashlib.sha256(canonical_json(order_selected(objects))).hexdigest()


def policy_hash(policy: PlacementPolicy | None) -> str:
    """Hex sha-256 of a placement policy without `numberOfClusters` (a count change alone is no new policy)."""
    data = (
        policy.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"number_of_clusters"})
        if policy
        else {}
    )
    return hashlib.sha256(canonical_json(data)).hexdigest()
