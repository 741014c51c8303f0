"""HubObject: any other Kubernetes object on the hub (Namespace, ConfigMap, Deployment, ...).

apiVersion, kind and metadata are validated; everything else is kept verbatim. The core kinds whose
top-level fields are few (Namespace, ConfigMap, Secret) refuse unknown ones, as kubectl's strict field
validation does; ConfigMap and Secret data are maps of valid keys to strings, at most 1 MiB
(resources.limits). `selected_form()` is the object as a resource snapshot holds it (server-set metadata
and status stripped, server defaults added).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ConfigDict, model_validator

from resources.base import invalid
from resources.kubeobject import KubeObject
from resources.limits import data_size_message
from resources.messages import did_you_mean
from resources.names import ANNOTATION_LAST_APPLIED, LABEL_NAMESPACE_NAME, NAMESPACE_FINALIZER

# metadata fields the API server owns: never carried into a snapshot (Fleet's generateRawContent).
SERVER_SET_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "managedFields",
    "selfLink",
    "ownerReferences",
)
_STRING_MAPS = {"ConfigMap": ("data", "binaryData"), "Secret": ("data", "stringData")}
_TOP_LEVEL_FIELDS = {  # beyond apiVersion, kind and metadata
    "ConfigMap": ("data", "binaryData", "immutable"),
    "Namespace": ("spec", "status"),
    "Secret": ("data", "stringData", "type", "immutable"),
}
_DATA_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_DATA_KEY_MAX = 253


class HubObject(KubeObject):
    model_config = ConfigDict(extra="allow")  # merged with KubeModel's config

    @model_validator(mode="after")
    def _core_kind_fields(self) -> HubObject:
        """Namespace, ConfigMap and Secret: no unknown top-level field; data maps of valid keys to strings."""
        if self.group != "":
            return self
        allowed = _TOP_LEVEL_FIELDS.get(self.kind)
        unknown = [field for field in self.extra if allowed is not None and field not in allowed]
        if unknown and allowed is not None:
            known = ["apiVersion", "kind", "metadata", *allowed]
            hint = did_you_mean(unknown[0], known) or f" (allowed: {', '.join(known)})"
            raise invalid(f'unknown field "{unknown[0]}"{hint}', unknown[0])
        maps = {field: _string_map(self.extra[field], field) for field in _STRING_MAPS.get(self.kind, ())
                if self.extra.get(field) is not None}
        too_large = data_size_message(self.kind, maps)
        if too_large:
            raise invalid(too_large, next(iter(maps)))
        return self

    @property
    def extra(self) -> dict[str, Any]:
        """Every top-level field but apiVersion, kind and metadata (spec, data, status, ...)."""
        return self.__pydantic_extra__ or {}

    def selected_form(self) -> dict[str, Any]:
        """The object as a ClusterResourceSnapshot's `spec.selectedResources` shows it."""
        body = strip_server_set(self.to_dict())
        if (self.group, self.kind) == ("", "Namespace"):
            _namespace_defaults(body)
        elif (self.group, self.kind) == ("", "Service"):
            _strip_service_allocations(body)
        return body


def strip_server_set(body: dict[str, Any]) -> dict[str, Any]:
    """`body` (changed in place and returned) as a user would write it: no status, no server-set
    metadata, no last-applied annotation."""
    body.pop("status", None)
    meta = body.get("metadata") or {}
    for field in SERVER_SET_METADATA:
        meta.pop(field, None)
    annotations = meta.get("annotations")
    if annotations is not None:
        annotations.pop(ANNOTATION_LAST_APPLIED, None)
        if not annotations:
            del meta["annotations"]
    return body


def _string_map(value: Any, field: str) -> dict[str, str]:
    """A ConfigMap/Secret data map: valid keys, string values (an unquoted `1` or `true` in YAML is not)."""
    if not isinstance(value, dict):
        raise invalid(f"must be a mapping of keys to strings, got {type(value).__name__}", field)
    for key, item in value.items():
        if not isinstance(key, str) or not _DATA_KEY.fullmatch(key) or len(key) > _DATA_KEY_MAX:
            raise invalid(f"a valid key must consist of alphanumeric characters, '-', '_' or '.' "
                          f'(regex [-._a-zA-Z0-9]+, at most {_DATA_KEY_MAX} characters), got "{key}"',
                          field, str(key))
        if key in (".", "..") or key.startswith(".."):
            raise invalid(f'a valid key must not be "." or ".." nor start with "..", got "{key}"', field, key)
        if not isinstance(item, str):
            raise invalid(f'must be a string; quote it: "{_yaml_scalar(item)}"', field, key)
    return value


def _yaml_scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _namespace_defaults(body: dict[str, Any]) -> None:
    """What the API server adds to every Namespace: its name label and the `kubernetes` finalizer."""
    meta = body["metadata"]
    meta["labels"] = {**(meta.get("labels") or {}), LABEL_NAMESPACE_NAME: meta["name"]}
    spec = body.setdefault("spec", {})
    spec.setdefault("finalizers", [NAMESPACE_FINALIZER])


def _strip_service_allocations(body: dict[str, Any]) -> None:
    """Cluster IPs and node ports are allocated by each cluster; a member must allocate its own."""
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    spec.pop("healthCheckNodePort", None)
    ports = spec.get("ports")
    if isinstance(ports, list):
        spec["ports"] = [{k: v for k, v in p.items() if k != "nodePort"} if isinstance(p, dict) else p for p in ports]
