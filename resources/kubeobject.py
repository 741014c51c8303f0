"""The common shape of every object (apiVersion, kind, metadata) and the metadata rules of its kind."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from resources.base import KubeModel, invalid
from resources.dns import DNS1123_SUBDOMAIN
from resources.kinds import KindInfo, lookup_kind, split_api_version
from resources.meta import ObjectMeta


def check_metadata(info: KindInfo | None, meta: ObjectMeta) -> None:
    """Name present and valid for the kind; namespace present exactly when the kind is namespaced
    (kinds not in the table: DNS subdomain name, namespace optional).
    Raises a pydantic custom error naming `metadata.<field>`."""
    if not meta.name:
        raise invalid("required: every object needs metadata.name", "metadata", "name")
    problem = (info.name_rule if info else DNS1123_SUBDOMAIN).problem(meta.name)
    if problem:
        raise invalid(problem, "metadata", "name")
    if info is None:
        return
    if info.namespaced and not meta.namespace:
        raise invalid(f"required: {info.kind} is namespaced; set metadata.namespace", "metadata", "namespace")
    if not info.namespaced and meta.namespace:
        raise invalid(f"{info.kind} is cluster-scoped; remove metadata.namespace", "metadata", "namespace")


class KubeObject(KubeModel):
    """apiVersion, kind and metadata; subclasses add spec/status."""

    api_version: str
    kind: str
    metadata: ObjectMeta

    @model_validator(mode="after")
    def _metadata_fits_kind(self) -> Any:
        check_metadata(self.kind_info, self.metadata)
        return self

    @property
    def kind_info(self) -> KindInfo | None:
        return lookup_kind(self.group, self.kind)

    @property
    def group(self) -> str:
        return split_api_version(self.api_version)[0]

    @property
    def version(self) -> str:
        return split_api_version(self.api_version)[1]

    @property
    def name(self) -> str:
        assert self.metadata.name is not None  # checked by validation
        return self.metadata.name

    @property
    def namespace(self) -> str | None:
        return self.metadata.namespace

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.labels or {}

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(group, kind, namespace, name): what identifies the object on the hub."""
        return (self.group, self.kind, self.namespace or "", self.name)
