"""The audit trail: one entry per event of every stream (who did what, when, why, in reply to what).

`entry(event)` is a pure function of the event: time, actor, type, stream, position, subject,
correlation and causation ids, the placement / run / cluster it concerns (for filtering) and a short
one-line summary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from eventstore import Event
from fleetevents import streams

TYPE_PREFIX = "fleetstage."
SUMMARY_FIELDS = (
    "name",
    "run",
    "placement",
    "stage",
    "cluster",
    "index",
    "resource_snapshot_index",
    "policy_index",
    "state",
    "succeeded",
    "task",
    "reason",
    "message",
    "selected",
    "clusters",
    "command_type",
    "field",
)
MAX_SUMMARY = 200
RUN_KIND = "ClusterStagedUpdateRun"


class _Shape:
    """Which of the fields the audit reads a payload type has (made once per type from `model_fields`).

    Payloads forbid extra fields, so a field the type does not declare reads as None without asking
    the model (a pydantic attribute miss is slow).
    """

    __slots__ = ("fields", "summary")

    def __init__(self, model: type[BaseModel]) -> None:
        self.fields = frozenset(model.model_fields)
        self.summary = tuple(name for name in SUMMARY_FIELDS if name in self.fields)


_SHAPES: dict[type[BaseModel], _Shape] = {}


def _shape(data: BaseModel) -> _Shape:
    model = type(data)
    shape = _SHAPES.get(model)
    if shape is None:
        shape = _SHAPES[model] = _Shape(model)
    return shape


def _field(data: BaseModel, name: str) -> Any:
    return getattr(data, name) if name in _shape(data).fields else None


def _manifest_name(data: BaseModel) -> tuple[str | None, str | None]:
    manifest = _field(data, "manifest")
    if not isinstance(manifest, dict):
        return None, None
    return manifest.get("kind"), (manifest.get("metadata") or {}).get("name")


def placement_of(event: Event) -> str | None:
    if event.stream == streams.PLACEMENTS:
        return event.subject
    return _field(event.data, "placement")


def run_of(event: Event) -> str | None:
    run = _field(event.data, "run")
    if run is not None:
        return run
    kind, name = _manifest_name(event.data)
    if kind == RUN_KIND:
        return name
    return _field(event.data, "name") if event.type.startswith(f"{TYPE_PREFIX}command.run.") else None


def cluster_of(event: Event) -> str | None:
    cluster = _field(event.data, "cluster")
    if cluster is not None:
        return cluster
    if event.stream in (streams.HEARTBEATS, streams.AGENTS) or event.type.startswith(f"{TYPE_PREFIX}member."):
        return _field(event.data, "name") or event.subject
    return None


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "[]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def summary(event: Event) -> str:
    """`run.created ClusterStagedUpdateRun example-run (generation 1)`, `stage.started run=example-run stage=canary`."""
    words = [event.type.removeprefix(TYPE_PREFIX)]
    kind, name = _manifest_name(event.data)
    if name is not None:
        words.append(f"{kind} {name}")
        generation = _field(event.data, "generation")
        if generation is not None:
            words.append(f"(generation {generation})")
    for field in _shape(event.data).summary:
        value = getattr(event.data, field)
        if value is not None and value != "":
            words.append(f"{field}={_text(value)}")
    text = " ".join(words)
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 3] + "..."


@lru_cache(maxsize=1024)
def audit_time(at: datetime) -> str:
    """Fixed-width UTC text (`2025-01-01T12:00:00.000000Z`): sorts and compares as the times do (memoized:
    an event's time stamps its audit entry and every document it changed)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def entry(event: Event) -> dict[str, Any]:
    """The audit entry of a stored event (it must have a position)."""
    if event.position is None:
        raise ValueError(f"event {event.id} ({event.type}) has no position: only stored events are audited")
    return {
        "time": audit_time(event.time),
        "actor": event.actor,
        "type": event.type,
        "stream": event.stream,
        "partition": event.position.partition,
        "offset": event.position.offset,
        "subject": event.subject,
        "id": event.id,
        "correlationId": event.correlationid,
        "causationId": event.causationid,
        "placement": placement_of(event),
        "run": run_of(event),
        "cluster": cluster_of(event),
        "summary": summary(event),
    }
