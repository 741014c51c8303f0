"""The audit trail: one entry per event of every stream (who did what, when, why, in reply to what).

`row(event)` is a pure function of the event: stream, position, time, actor, type, subject,
correlation and causation ids, the placement / run / cluster it concerns (for filtering) and a short
one-line summary, as one tuple in the audit table's column order (`ROW_FIELDS`).
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
_MEMBER_STREAMS = (streams.HEARTBEATS, streams.AGENTS)

ROW_FIELDS = (
    "stream",
    "partition",
    "offset",
    "time",
    "actor",
    "type",
    "subject",
    "id",
    "correlationId",
    "causationId",
    "placement",
    "run",
    "cluster",
    "summary",
)
AuditRow = tuple[Any, ...]
"""One audit entry: its values in `ROW_FIELDS` order (the audit table's columns)."""


class _Plan:
    """What the audit reads of the events of one type and payload model (made once per pair).

    Payloads forbid extra fields, so a field the model does not declare reads as None without asking
    the model (a pydantic attribute miss is slow), and a declared one is read from the instance
    `__dict__`, where pydantic keeps field values.
    """

    __slots__ = ("word", "summary", "manifest", "names_run", "names_member")

    def __init__(self, type_: str, model: type[BaseModel]) -> None:
        fields = model.model_fields
        self.word = type_.removeprefix(TYPE_PREFIX)
        # (field, its `field=` prefix) of the summary fields the model declares
        self.summary = tuple((name, f"{name}=") for name in SUMMARY_FIELDS if name in fields)
        self.manifest = "manifest" in fields
        self.names_run = type_.startswith(f"{TYPE_PREFIX}command.run.")
        self.names_member = type_.startswith(f"{TYPE_PREFIX}member.")


_PLANS: dict[tuple[str, type[BaseModel]], _Plan] = {}


def _plan(event: Event) -> _Plan:
    key = (event.type, type(event.data))
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _Plan(*key)
    return plan


def _manifest_name(plan: _Plan, values: dict[str, Any]) -> tuple[str | None, str | None]:
    manifest = values["manifest"] if plan.manifest else None
    if not isinstance(manifest, dict):
        return None, None
    return manifest.get("kind"), (manifest.get("metadata") or {}).get("name")


def _placement(event: Event, values: dict[str, Any]) -> str | None:
    return event.subject if event.stream == streams.PLACEMENTS else values.get("placement")


def _run(plan: _Plan, values: dict[str, Any]) -> str | None:
    run = values.get("run")
    if run is not None:
        return run
    kind, name = _manifest_name(plan, values)
    if kind == RUN_KIND:
        return name
    return values.get("name") if plan.names_run else None


def _cluster(event: Event, plan: _Plan, values: dict[str, Any]) -> str | None:
    cluster = values.get("cluster")
    if cluster is not None:
        return cluster
    if plan.names_member or event.stream in _MEMBER_STREAMS:
        return values.get("name") or event.subject
    return None


def placement_of(event: Event) -> str | None:
    return _placement(event, event.data.__dict__)


def run_of(event: Event) -> str | None:
    return _run(_plan(event), event.data.__dict__)


def cluster_of(event: Event) -> str | None:
    return _cluster(event, _plan(event), event.data.__dict__)


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "[]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _summary(plan: _Plan, values: dict[str, Any]) -> str:
    words = [plan.word]
    if plan.manifest:
        kind, name = _manifest_name(plan, values)
        if name is not None:
            words.append(f"{kind} {name}")
            generation = values.get("generation")
            if generation is not None:
                words.append(f"(generation {generation})")
    for field, prefix in plan.summary:
        value = values[field]
        if value is not None and value != "":
            words.append(prefix + (value if type(value) is str else _text(value)))
    text = " ".join(words)
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 3] + "..."


def summary(event: Event) -> str:
    """`run.created ClusterStagedUpdateRun example-run (generation 1)`, `stage.started run=example-run stage=canary`."""
    return _summary(_plan(event), event.data.__dict__)


@lru_cache(maxsize=1024)
def audit_time(at: datetime) -> str:
    """Fixed-width UTC text (`2025-01-01T12:00:00.000000Z`): sorts and compares as the times do (memoized:
    an event's time stamps its audit entry and every document it changed)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def row(event: Event) -> AuditRow:
    """The audit entry of a stored event (it must have a position), in `ROW_FIELDS` order."""
    position = event.position
    if position is None:
        raise ValueError(f"event {event.id} ({event.type}) has no position: only stored events are audited")
    plan = _PLANS.get((event.type, type(event.data))) or _plan(event)
    values = event.data.__dict__
    return (
        event.stream,
        position.partition,
        position.offset,
        audit_time(event.time),
        event.actor,
        event.type,
        event.subject,
        event.id,
        event.correlationid,
        event.causationid,
        _placement(event, values),
        _run(plan, values),
        _cluster(event, plan, values),
        _summary(plan, values),
    )
