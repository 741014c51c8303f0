"""`describe` text: kubectl's layout for custom resources (camelCase keys as words, nested indents)."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from cli.age import age
from cli.tables import layout, parse_time

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_INDENT = "  "
EVENT_PREFIX = "fleetstage."


def field_title(key: str) -> str:
    """`placementName` -> `Placement Name` (kubectl describe's field names)."""
    words = _WORD_BOUNDARY.sub(" ", key)
    return words[:1].upper() + words[1:]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _is_nested(item: Any) -> bool:
    return isinstance(item, (Mapping, list)) and bool(item)


def _lines(value: Any, depth: int) -> list[str]:
    """Nested fields as kubectl describes them: a mapping's scalar values aligned, lists unmarked."""
    pad = _INDENT * depth
    lines: list[str] = []
    if isinstance(value, Mapping):
        scalars = [field_title(str(k)) for k, v in value.items() if not _is_nested(v)]
        width = max((len(t) for t in scalars), default=0) + 3
        for key, item in value.items():
            title = field_title(str(key))
            if _is_nested(item):
                lines.append(f"{pad}{title}:")
                lines += _lines(item, depth + 1)
            else:
                text = "" if isinstance(item, (Mapping, list)) else _scalar(item)
                lines.append(f"{pad}{(title + ':').ljust(width)}{text}".rstrip())
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                lines += _lines(item, depth)
            else:
                lines.append(f"{pad}{_scalar(item)}")
    return lines


def _labels(mapping: Mapping[str, str] | None) -> list[str]:
    items = sorted((mapping or {}).items())
    if not items:
        return ["<none>"]
    return [f"{k}={v}" for k, v in items]


def events_text(entries: Sequence[Mapping[str, Any]], now: datetime) -> list[str]:
    """kubectl's Events table from audit entries (newest last): Type, Reason, Age, From, Message."""
    if not entries:
        return ["Events:       <none>"]
    rows = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
    for entry in entries:
        reason = entry["type"].removeprefix(EVENT_PREFIX)
        message = entry.get("summary", "").removeprefix(reason).strip()
        warning = any(word in reason for word in ("failed", "rejected", "stuck"))
        rows.append(["Warning" if warning else "Normal", reason, age(parse_time(entry["time"]), now),
                     entry.get("actor", ""), message])
    return ["Events:"] + ["  " + line for line in layout(rows).splitlines()]


def describe(doc: Mapping[str, Any], events: Sequence[Mapping[str, Any]] = (),
             now: datetime | None = None) -> str:
    """kubectl describe of one object (Name, Namespace, Labels, Annotations, every field, then the
    audit entries about it as Events)."""
    meta = doc.get("metadata") or {}
    labels = _labels(meta.get("labels"))
    annotations = [f"{k}: {v}" for k, v in sorted((meta.get("annotations") or {}).items())] or ["<none>"]
    lines = [f"{'Name:':<13}{meta.get('name', '')}"]
    if meta.get("namespace"):
        lines.append(f"{'Namespace:':<13}{meta['namespace']}")
    lines.append(f"{'Labels:':<13}{labels[0]}")
    lines += [" " * 13 + label for label in labels[1:]]
    lines.append(f"{'Annotations:':<13}{annotations[0]}")
    lines += [" " * 13 + note for note in annotations[1:]]
    lines.append(f"{'API Version:':<13}{doc.get('apiVersion', '')}")
    lines.append(f"{'Kind:':<13}{doc.get('kind', '')}")
    rest = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
    meta_rest = {k: v for k, v in meta.items() if k not in ("name", "namespace", "labels", "annotations")}
    if meta_rest:
        lines.append("Metadata:")
        lines += _lines(meta_rest, 1)
    for key, value in rest.items():
        lines.append(f"{field_title(key)}:")
        lines += _lines(value, 1)
    lines += events_text(events, now or datetime.now(timezone.utc))
    return "\n".join(lines) + "\n"
