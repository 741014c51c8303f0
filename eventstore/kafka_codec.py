"""Kafka records on the wire: the CloudEvents binary binding of an `Event` (key, value, headers) and back,
and producing encoded records.

Key = subject (the partition key), value = the JSON payload, `content-type` = datacontenttype and every
other attribute a `ce_<name>` header (UTF-8). Decoding is strict: anything missing or malformed raises
DecodeError with the reason, so the caller can dead-letter the record. `decode_records` decodes a fetched
batch: each record's headers become a stored row, and the rows go through `RowDecoder` (one pydantic call
per event type, events built column-wise), as on the single-host backends.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aiokafka import AIOKafkaProducer

from eventstore.errors import DecodeError
from eventstore.records import DeadLetter, Event, Position
from eventstore.registry import EventRegistry
from eventstore.rowdecode import Row, RowDecoder

Headers = list[tuple[str, bytes]]

SPECVERSION = "1.0"
STRUCTURED_PREFIX = "application/cloudevents"
_REQUIRED = ("ce_id", "ce_type", "ce_source", "ce_subject", "ce_time")
DECODE_SLICE = 100
"""Records decoded at a time while reading: small enough that the events a reader drops die young (the
garbage collector's young generation frees them; a whole fetch decoded at once costs a third more CPU)."""


@dataclass(frozen=True, slots=True)
class OutRecord:
    """An encoded event ready to be produced to `topic`/`partition`."""

    topic: str
    partition: int
    key: bytes
    value: bytes
    headers: Headers


def rfc3339(at: datetime) -> str:
    """`at` as RFC 3339 (UTC written as Z); naive datetimes are refused by the Event model's users."""
    text = at.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def encode_headers(event: Event) -> Headers:
    """The binary-mode headers of `event` (attributes that are None are left out)."""
    attributes = (
        ("ce_specversion", SPECVERSION),
        ("ce_id", event.id),
        ("ce_type", event.type),
        ("ce_source", event.source),
        ("ce_subject", event.subject),
        ("ce_time", rfc3339(event.time)),
        ("ce_correlationid", event.correlationid),
        ("ce_causationid", event.causationid),
        ("ce_actor", event.actor),
    )
    headers = [("content-type", event.datacontenttype.encode())]
    headers.extend((name, value.encode()) for name, value in attributes if value is not None)
    return headers


def _header_map(headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    try:
        return {name: value.decode() for name, value in headers}
    except UnicodeDecodeError:
        for name, value in headers:
            try:
                value.decode()
            except UnicodeDecodeError:
                raise DecodeError(f"header {name!r} is not UTF-8") from None
        raise


def _checked(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> tuple[dict[str, str], bytes]:
    """The headers and value of a binary-mode CloudEvent record; DecodeError says why it is not one."""
    attrs = _header_map(headers)
    content_type = attrs.get("content-type", "application/json")
    if content_type.startswith(STRUCTURED_PREFIX):
        raise DecodeError(f"structured-mode CloudEvent ({content_type}) is not supported: use the binary mode")
    if attrs.get("ce_specversion") != SPECVERSION:
        raise DecodeError(f"header 'ce_specversion' must be {SPECVERSION!r}, got {attrs.get('ce_specversion')!r}")
    missing = [name for name in _REQUIRED if name not in attrs]
    if missing:
        raise DecodeError(f"missing CloudEvents header(s) {', '.join(map(repr, missing))}")
    if value is None:
        raise DecodeError(f"record of {attrs['ce_type']!r} has no value (payload)")
    return attrs, value


def decode_event(
    registry: EventRegistry,
    stream: str,
    position: Position,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
) -> Event:
    """The typed event of a record; DecodeError says why when it cannot be one."""
    attrs, body = _checked(value, headers)
    content_type = attrs.get("content-type", "application/json")
    try:
        at = datetime.fromisoformat(attrs["ce_time"])
    except ValueError:
        raise DecodeError(f"header 'ce_time' is not an RFC 3339 time: {attrs['ce_time']!r}") from None
    return Event(
        type=attrs["ce_type"],
        subject=attrs["ce_subject"],
        data=registry.decode(attrs["ce_type"], body),
        stream=stream,
        source=attrs["ce_source"],
        actor=attrs.get("ce_actor", "system"),
        id=attrs["ce_id"],
        time=at,
        correlationid=attrs.get("ce_correlationid"),
        causationid=attrs.get("ce_causationid"),
        datacontenttype=content_type,
        position=position,
    )


_ATTRIBUTE_HEADERS = frozenset(
    {"content-type", "ce_specversion", "ce_correlationid", "ce_causationid", "ce_actor", *_REQUIRED}
)
_REQUIRED_HEADERS = frozenset(_REQUIRED)
_SPECVERSION = SPECVERSION.encode()
_STRUCTURED = STRUCTURED_PREFIX.encode()


def _optional(value: bytes | None) -> str | None:
    return None if value is None else value.decode()


def _row(offset: int, value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Row:
    """The stored row of a record (payload and time not parsed yet); DecodeError says why it cannot be one.

    Fast path for the records the store writes (only attribute headers, every required one, a value);
    anything else goes through the full checks, which name what is wrong.
    """
    raw = dict(headers)
    names = raw.keys()
    content = raw.get("content-type")
    if (
        value is not None
        and names <= _ATTRIBUTE_HEADERS
        and _REQUIRED_HEADERS <= names
        and raw.get("ce_specversion") == _SPECVERSION
        and not (content is not None and content.startswith(_STRUCTURED))
    ):
        try:
            return (
                offset, raw["ce_id"].decode(), raw["ce_type"].decode(), raw["ce_subject"].decode(),
                raw["ce_time"].decode(), _optional(raw.get("ce_actor")), _optional(raw.get("ce_correlationid")),
                _optional(raw.get("ce_causationid")), raw["ce_source"].decode(), _optional(content), value,
            )
        except UnicodeDecodeError:
            pass  # the full checks name the header
    attrs, body = _checked(value, headers)
    get = attrs.get
    return (
        offset, attrs["ce_id"], attrs["ce_type"], attrs["ce_subject"], attrs["ce_time"], get("ce_actor"),
        get("ce_correlationid"), get("ce_causationid"), attrs["ce_source"], get("content-type"), body,
    )


def decode_records(
    registry: EventRegistry, stream: str, partition: int, records: Sequence[Any], stop: int | None = None
) -> tuple[list[Event], list[DeadLetter]]:
    """The events of consumed `records` of one partition (offsets below `stop`), and dead letters (the
    original key, value and headers, with the reason) for the records that cannot be decoded."""
    rows: list[Row] = []
    dead: list[DeadLetter] = []
    for record in records:
        if stop is not None and record.offset >= stop:
            break
        try:
            rows.append(_row(record.offset, record.value, record.headers))
        except DecodeError as exc:
            dead.append(_dead_letter(stream, partition, record, exc.reason))

    def dead_letter_of(row: Row, reason: str) -> DeadLetter:
        record = next(record for record in records if record.offset == row[0])
        return _dead_letter(stream, partition, record, reason)

    events, undecodable = RowDecoder(registry).decode(stream, partition, rows, dead_letter_of)
    dead.extend(undecodable)
    return events, dead


def _dead_letter(stream: str, partition: int, record: Any, reason: str) -> DeadLetter:
    return DeadLetter(
        stream, Position(partition, record.offset), reason, record.key, record.value, tuple(record.headers),
        record_time(record.timestamp),
    )


def record_time(timestamp_ms: int) -> datetime:
    """The UTC time of a Kafka record timestamp."""
    return datetime.fromtimestamp(timestamp_ms / 1000, timezone.utc)


async def send_records(producer: AIOKafkaProducer, records: Sequence[OutRecord]) -> list[asyncio.Future[Any]]:
    """Queue `records` on `producer` (inside its open transaction); the futures resolve once written."""
    return [
        await producer.send(r.topic, r.value, key=r.key, partition=r.partition, headers=r.headers) for r in records
    ]
