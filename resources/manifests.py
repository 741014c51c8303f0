"""Manifest parsing: multi-document YAML (or JSON) text -> validated resource models.

`parse_manifests(text)` reads every document (empty ones skipped, `List` items expanded) and
dispatches on (apiVersion group, kind): Fleet kinds get their models, anything else is a HubObject.
Every problem raises ManifestError naming the document, the object and the field path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias

import yaml
from pydantic import ValidationError

from resources.approval import ClusterApprovalRequest
from resources.cluster import MemberCluster
from resources.errors import FieldProblem, ManifestError
from resources.hubobject import HubObject
from resources.kinds import (
    CLOSED_GROUPS,
    KINDS,
    KindInfo,
    close_kind_names,
    kinds_named,
    lookup_kind,
    split_api_version,
)
from resources.kubeobject import KubeObject
from resources.limits import object_size_problem
from resources.messages import describe_value, problems_of
from resources.placement import ClusterResourcePlacement
from resources.snapshots import ClusterResourceSnapshot, ClusterSchedulingPolicySnapshot
from resources.strategy import ClusterStagedUpdateStrategy
from resources.updaterun import ClusterStagedUpdateRun

Resource: TypeAlias = (
    ClusterResourcePlacement
    | ClusterStagedUpdateStrategy
    | ClusterStagedUpdateRun
    | ClusterApprovalRequest
    | ClusterResourceSnapshot
    | ClusterSchedulingPolicySnapshot
    | MemberCluster
    | HubObject
)

FLEET_MODELS: dict[str, type[KubeObject]] = {
    model.model_fields["kind"].default: model
    for model in (
        ClusterResourcePlacement,
        ClusterStagedUpdateStrategy,
        ClusterStagedUpdateRun,
        ClusterApprovalRequest,
        ClusterResourceSnapshot,
        ClusterSchedulingPolicySnapshot,
        MemberCluster,
    )
}
"""Kind -> model of every Fleet kind (all other kinds are HubObjects)."""


class _StrictLoader(yaml.SafeLoader):
    """YAML as Kubernetes reads it: duplicate keys are errors, timestamps stay strings."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue  # a non-scalar key is reported by the base class ("found unhashable key")
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f'duplicate key "{key_node.value}"',
                    key_node.start_mark,
                )
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_documents(text: str, *, source: str | None = None) -> Iterator[tuple[int, Any]]:
    """(1-based document number, parsed document) for every document of `text`, empty ones included as None.
    A syntax error raises ManifestError with the line and column."""
    number, current = 0, 1
    loader = _StrictLoader(text)
    try:
        while loader.check_data():
            number = current
            yield number, loader.get_data()
            current = number + 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        at = f" at line {line}, column {column}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ManifestError(
            [FieldProblem("", f"YAML syntax error{at}: {problem}")],
            document=current,
            source=source,
            line=line,
            column=column,
        ) from None
    except yaml.YAMLError as exc:
        raise ManifestError([FieldProblem("", f"YAML syntax error: {exc}")], source=source) from None
    finally:
        loader.dispose()


def _kind_problem(group: str, version: str, kind: str, api_version: str) -> FieldProblem | None:
    """Why (apiVersion, kind) names nothing acceptable, or None."""
    info = lookup_kind(group, kind)
    if info is not None:
        if group in CLOSED_GROUPS and version not in info.versions:
            choices = " or ".join(f"{group}/{v}" if group else v for v in info.versions)
            return FieldProblem("apiVersion", f'unsupported version "{version}" for {kind}; use {choices}')
        return None
    elsewhere = kinds_named(kind)
    fleet_elsewhere = [i for i in elsewhere if i.is_fleet]
    if fleet_elsewhere or (group in CLOSED_GROUPS and elsewhere):
        target = (fleet_elsewhere or elsewhere)[0]
        return FieldProblem(
            "apiVersion", f'{kind} is in apiVersion {target.api_version}, not "{api_version}"; fix apiVersion'
        )
    if group in CLOSED_GROUPS:
        in_group = [i.kind for i in KINDS if i.group == group]
        close = close_kind_names(kind, in_group, limit=1)
        hint = f'; did you mean "{close[0]}"?' if close else f" (known kinds: {', '.join(in_group)})"
        return FieldProblem("kind", f'no kind "{kind}" is known in apiVersion "{api_version}"{hint}')
    return None


def _required_string(data: dict[str, Any], field: str, example: str) -> tuple[str | None, FieldProblem | None]:
    value = data.get(field)
    if value is None:
        return None, FieldProblem(field, f"required field is missing; add it (e.g. {field}: {example})")
    if not isinstance(value, str) or not value:
        return None, FieldProblem(field, f"must be a non-empty string, got {describe_value(value)}")
    return value, None


def parse_object(
    data: Any,
    *,
    document: int | None = None,
    item: int | None = None,
    source: str | None = None,
    writable_only: bool = False,
) -> Resource:
    """Validate one object (a dict as decoded from YAML/JSON) into its model.

    `writable_only` rejects the read-only kinds (snapshots), as `apply` must."""
    where: dict[str, Any] = {"document": document, "item": item, "source": source}
    if not isinstance(data, dict):
        expected = "expected a Kubernetes object (a mapping with apiVersion, kind and metadata)"
        raise ManifestError([FieldProblem("", f"{expected}, got {describe_value(data)}")], **where)
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) and isinstance(metadata.get("name"), str) else None
    api_version, api_problem = _required_string(data, "apiVersion", "placement.kubernetes-fleet.io/v1beta1")
    kind, kind_problem = _required_string(data, "kind", "ClusterStagedUpdateRun")
    where.update(kind=kind, name=name)
    problems = [p for p in (api_problem, kind_problem) if p]
    if problems:
        raise ManifestError(problems, **where)
    assert api_version is not None and kind is not None
    group, version = split_api_version(api_version)
    wrong_kind = _kind_problem(group, version, kind, api_version)
    if wrong_kind:
        raise ManifestError([wrong_kind], **where)
    info: KindInfo | None = lookup_kind(group, kind)
    if writable_only and info is not None and info.read_only:
        message = f"{kind} is read-only: the system creates it when a placement's selected resources or policy change"
        raise ManifestError([FieldProblem("kind", message)], **where)
    model: type[KubeObject] = FLEET_MODELS[kind] if info is not None and info.is_fleet else HubObject
    try:
        obj = model.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise ManifestError(problems_of(model, exc), **where) from None
    too_large = object_size_problem(data)
    if too_large:
        raise ManifestError([too_large], **where)
    return obj  # type: ignore[return-value]


def parse_manifests(text: str, *, source: str | None = None, writable_only: bool = False) -> list[Resource]:
    """Every object of a multi-document YAML (or JSON) text, in order; `kind: List` items expanded."""
    resources: list[Resource] = []
    for number, doc in load_documents(text, source=source):
        if doc is None:
            continue
        if isinstance(doc, dict) and doc.get("kind") == "List" and doc.get("apiVersion") == "v1":
            items = doc.get("items")
            if not isinstance(items, list):
                problem = FieldProblem("items", f"must be a list of objects, got {describe_value(items)}")
                raise ManifestError([problem], document=number, kind="List", source=source)
            for i, entry in enumerate(items):
                resources.append(
                    parse_object(entry, document=number, item=i, source=source, writable_only=writable_only)
                )
        else:
            resources.append(parse_object(doc, document=number, source=source, writable_only=writable_only))
    return resources
