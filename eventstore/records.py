"""Small typed records the store hands around: positions, events (CloudEvents envelope) and dead letters."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from pydantic import BaseModel


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a record sits in a stream: its partition and its offset inside that partition."""

    partition: int
    offset: int


def _new_id() -> str:
    return str(uuid.uuid4())


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class Event:
    """One event, with CloudEvents 1.0 attribute names.

    `subject` is the aggregate the event belongs to and the partition key: events with one subject
    are kept in order. `stream` names the log it is appended to (a Kafka topic, a SQLite stream).
    `position` is None until the store assigns it.
    """

    type: str
    subject: str
    data: BaseModel
    stream: str = "events"
    source: str = "fleetstage"
    actor: str = "system"
    id: str = field(default_factory=_new_id)
    time: datetime = field(default_factory=_utcnow)
    correlationid: str | None = None
    causationid: str | None = None
    datacontenttype: str = "application/json"
    position: Position | None = None

    def caused_by(self, cause: "Event") -> "Event":
        """This event, linked to `cause` (same correlation id, causation id = cause's id)."""
        return replace(self, correlationid=cause.correlationid or cause.id, causationid=cause.id)

    def at(self, position: Position) -> "Event":
        return replace(self, position=position)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that could not be decoded, kept aside with the reason."""

    stream: str
    position: Position | None
    reason: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    time: datetime
