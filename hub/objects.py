"""What the API knows about objects: validation into models, how errors name kinds, what counts as a change."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from hub.errors import ApiError, invalid
from resources.errors import ManifestError
from resources.hubobject import HubObject, strip_server_set
from resources.kinds import KindInfo, lookup_kind
from resources.manifests import Resource, parse_object
from resources.messages import format_path, problems_of
from resources.meta import Condition


def kind_group(info: KindInfo | None, kind: str) -> str:
    """`ClusterStagedUpdateRun.placement.kubernetes-fleet.io`, `ConfigMap` (how errors name a kind)."""
    return f"{kind}.{info.group}" if info and info.group else kind


def resource_name(info: KindInfo) -> str:
    """`clusterstagedupdateruns.placement.kubernetes-fleet.io`, `configmaps` (how NotFound names it)."""
    return f"{info.plural}.{info.group}" if info.group else info.plural


def strip_server_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The object as a user would write it: no status, no server-set metadata."""
    return strip_server_set(copy.deepcopy(dict(doc)))


def validate(doc: Any) -> Resource:
    """The model of a request body; 422 Invalid naming the field path when it is not acceptable."""
    try:
        return parse_object(doc, writable_only=True)
    except ManifestError as exc:
        kind = exc.kind or (doc.get("kind") if isinstance(doc, dict) else None) or "Object"
        info = _info_of_doc(doc)
        if len(exc.problems) == 1:
            problem = exc.problems[0]
            raise invalid(kind_group(info, kind), exc.name or "", problem.message, field=problem.path) from None
        raise invalid(kind_group(info, kind), exc.name or "", "; ".join(str(p) for p in exc.problems)) from None


def stored_comparable(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`comparable` of a stored document; one that no longer validates (kept by an older version)
    compares as it is, so any apply counts as a change and replaces it."""
    body = strip_server_fields(doc)
    try:
        return comparable(validate(body))
    except ApiError:
        return body


def _info_of_doc(doc: Any) -> KindInfo | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("apiVersion"), str) or not isinstance(doc.get("kind"), str):
        return None
    return lookup_kind(doc["apiVersion"].rpartition("/")[0], doc["kind"])


def comparable(obj: Resource) -> dict[str, Any]:
    """What decides `unchanged`: the object as written, with the server's defaults applied."""
    body = obj.selected_form() if isinstance(obj, HubObject) else strip_server_fields(obj.to_dict())
    return strip_server_fields(body)


def approval_condition(raw: Any, index: int, name: str) -> dict[str, Any]:
    """A status condition of a patch, validated (422 naming `status.conditions[i].<field>`)."""
    try:
        return Condition.model_validate(raw, by_alias=True, by_name=False).to_dict()
    except ValidationError as exc:
        problem = problems_of(Condition, exc)[0]
        path = format_path(("status", "conditions", index)) + (f".{problem.path}" if problem.path else "")
        raise invalid("ClusterApprovalRequest.placement.kubernetes-fleet.io", name, problem.message,
                      field=path) from None
