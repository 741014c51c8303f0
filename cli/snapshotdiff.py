"""`fleetstage diff snapshot`: what changed between two resource snapshots of a placement, object by object."""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from cli.output import to_yaml


def _objects(snapshot: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The selected objects of a snapshot by `Kind/namespace/name` (`Kind/name` when cluster-scoped)."""
    objects = {}
    for obj in (snapshot.get("spec") or {}).get("selectedResources") or []:
        meta = obj.get("metadata") or {}
        key = "/".join(p for p in (obj.get("kind", ""), meta.get("namespace"), meta.get("name", "")) if p)
        objects[key] = obj
    return objects


def diff_snapshots(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """A unified diff (YAML of each selected object) from snapshot `old` to `new`; "" when equal."""
    old_name, new_name = old["metadata"]["name"], new["metadata"]["name"]
    before, after = _objects(old), _objects(new)
    chunks: list[str] = []
    for key in sorted(set(before) | set(after)):
        a = to_yaml(before[key]).splitlines(keepends=True) if key in before else []
        b = to_yaml(after[key]).splitlines(keepends=True) if key in after else []
        chunks += difflib.unified_diff(a, b, fromfile=f"{old_name}/{key}" if a else "/dev/null",
                                       tofile=f"{new_name}/{key}" if b else "/dev/null")
    return "".join(chunks)
