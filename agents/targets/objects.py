"""Identity of a placed Kubernetes object (kind, namespace, name) and the order objects are applied in."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents.targets.errors import TargetError

# Kinds other objects live in or refer to: applied first, removed last.
_FIRST_KINDS = ("CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole", "Role")


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    """Which object: `namespace` is None for cluster-scoped objects (no `metadata.namespace`)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ObjectKey:
        """The key of a manifest; TargetError naming the missing field when it has none."""
        metadata = obj.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}

        def required(field: str, value: Any) -> str:
            if not isinstance(value, str) or not value:
                raise TargetError(f"{_describe_raw(obj)} has no {field}: every placed object needs one")
            return value

        api_version = required("apiVersion", obj.get("apiVersion"))
        kind = required("kind", obj.get("kind"))
        name = required("metadata.name", metadata.get("name"))
        namespace = metadata.get("namespace")
        if namespace is not None and (not isinstance(namespace, str) or not namespace):
            raise TargetError(f"{kind} {name!r}: metadata.namespace must be a non-empty string or absent")
        return cls(api_version, kind, name, namespace)

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def _describe_raw(obj: Mapping[str, Any]) -> str:
    """As much of an object's identity as it has, e.g. `ConfigMap (no name) in namespace test-namespace`."""
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    kind = obj.get("kind") or "object (no kind)"
    name = repr(metadata["name"]) if metadata.get("name") else "(no name)"
    namespace = f" in namespace {metadata['namespace']}" if metadata.get("namespace") else ""
    return f"{kind} {name}{namespace}"


def apply_order(key: ObjectKey) -> tuple[int, str, str, str]:
    """Sort key: namespaces and the like first, then the rest by kind, namespace and name."""
    rank = _FIRST_KINDS.index(key.kind) if key.kind in _FIRST_KINDS else len(_FIRST_KINDS)
    return rank, key.kind, key.namespace or "", key.name


def keyed(objects: Sequence[Mapping[str, Any]]) -> dict[ObjectKey, Mapping[str, Any]]:
    """The objects by key, in apply order; TargetError if one is malformed or listed twice."""
    by_key: dict[ObjectKey, Mapping[str, Any]] = {}
    for obj in objects:
        key = ObjectKey.of(obj)
        if key in by_key:
            raise TargetError(f"{key} is listed twice in the placement's resources")
        by_key[key] = obj
    return {key: by_key[key] for key in sorted(by_key, key=apply_order)}
