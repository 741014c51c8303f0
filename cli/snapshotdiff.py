"""`fleetstage diff snapshot`: the hub's object-by-object snapshot diff as a unified diff of YAML."""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from cli.output import to_yaml


def _lines(obj: Mapping[str, Any] | None) -> list[str]:
    return to_yaml(obj).splitlines(keepends=True) if obj is not None else []


def render_diff(diff: Mapping[str, Any]) -> str:
    """A unified diff of each changed object (`GET /fleetstage/v1/diff`); "" when nothing changed."""
    placement = diff["placement"]
    old_name, new_name = f"{placement}-{diff['from']}-snapshot", f"{placement}-{diff['to']}-snapshot"
    chunks: list[str] = []
    for change in diff["objects"]:
        key = change["key"]
        chunks += difflib.unified_diff(
            _lines(change["before"]), _lines(change["after"]),
            fromfile=f"{old_name}/{key}" if change["before"] is not None else "/dev/null",
            tofile=f"{new_name}/{key}" if change["after"] is not None else "/dev/null",
        )
    return "".join(chunks)
