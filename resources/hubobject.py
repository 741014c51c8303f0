"""HubObject: any other Kubernetes object on the hub (Namespace, ConfigMap, Deployment, ...).

apiVersion, kind and metadata are validated; everything else is kept verbatim. `selected_form()` is the
object as a resource snapshot holds it (server-set metadata and status stripped, server defaults added).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, model_validator

from resources.base import invalid
from resources.kubeobject import KubeObject
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


class HubObject(KubeObject):
    model_config = ConfigDict(extra="allow")  # merged with KubeModel's config

    @model_validator(mode="after")
    def _string_maps(self) -> HubObject:
        """ConfigMap/Secret data must map strings to strings (an unquoted `1` or `true` in YAML is not)."""
        if self.group != "":
            return self
        for field in _STRING_MAPS.get(self.kind, ()):
            value = self.extra.get(field)
            if value is None:
                continue
            if not isinstance(value, dict):
                raise invalid(f"must be a mapping of keys to strings, got {type(value).__name__}", field)
            for key, item in value.items():
                if not isinstance(item, str):
                    raise invalid(f'must be a string; quote it: "{_yaml_scalar(item)}"', field, key)
        return self

    @property
    def extra(self) -> dict[str, Any]:
        """Every top-level field but apiVersion, kind and metadata (spec, data, status, ...)."""
        return self.__pydantic_extra__ or {}

    def selected_form(self) -> dict[str, Any]:
        """The object as a ClusterResourceSnapshot's `spec.selectedResources` shows it."""
        body = self.to_dict()
        body.pop("status", None)
        meta = body["metadata"]
        for field in SERVER_SET_METADATA:
            meta.pop(field, None)
        annotations = meta.get("annotations")
        if annotations is not None:
            annotations.pop(ANNOTATION_LAST_APPLIED, None)
            if not annotations:
                del meta["annotations"]
        if (self.group, self.kind) == ("", "Namespace"):
            _namespace_defaults(body)
        elif (self.group, self.kind) == ("", "Service"):
            _strip_service_allocations(body)
        return body


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
