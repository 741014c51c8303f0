"""Kafka records on the wire: the CloudEvents binary binding of an `Event` (key, value, headers) and back,
and producing encoded records.

Key = subject (the partition key), value = the JSON payload, `content-type` = datacontenttype and every
other attribute a `ce_<name>` header (UTF-8). Decoding is strict: anything missing or malformed raises
DecodeError with the reason, so the caller can dead-letter the record.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aiokafka import AIOKafkaProducer

from eventstore.errors import DecodeError
from eventstore.records import Event, Position
from eventstore.registry import EventRegistry

Headers = list[tuple[str, bytes]]

SPECVERSION = "1.0"
STRUCTURED_PREFIX = "application/cloudevents"
_REQUIRED = ("ce_id", "ce_type", "ce_source", "ce_subject", "ce_time")


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
    out: dict[str, str] = {}
    for name, value in headers:
        try:
            out[name] = value.decode()
        except UnicodeDecodeError:
            raise DecodeError(f"header {name!r} is not UTF-8") from None
    return out


def decode_event(
    registry: EventRegistry,
    stream: str,
    position: Position,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
) -> Event:
    """The typed event of a record; DecodeError says why when it cannot be one."""
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
    try:
        at = datetime.fromisoformat(attrs["ce_time"])
    except ValueError:
        raise DecodeError(f"header 'ce_time' is not an RFC 3339 time: {attrs['ce_time']!r}") from None
    return Event(
        type=attrs["ce_type"],
        subject=attrs["ce_subject"],
        data=registry.decode(attrs["ce_type"], value),
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


def record_time(timestamp_ms: int) -> datetime:
    """The UTC time of a Kafka record timestamp."""
    return datetime.fromtimestamp(timestamp_ms / 1000, timezone.utc)


async def send_records(producer: AIOKafkaProducer, records: Sequence[OutRecord]) -> list[asyncio.Future[Any]]:
    """Queue `records` on `producer` (inside its open transaction); the futures resolve once written."""
    return [
        await producer.send(r.topic, r.value, key=r.key, partition=r.partition, headers=r.headers) for r in records
    ]
