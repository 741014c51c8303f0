"""The Kafka backend without a broker: CloudEvents binary binding, dead-letter records, the safety
settings a caller cannot override, and the error when no broker answers."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from eventstore import DeadLetter, DecodeError, Event, EventStoreError, Position
from eventstore.kafka import KafkaEventStore
from eventstore.kafka_codec import decode_event, decode_records, encode_headers
from eventstore.kafka_deadletters import from_dead_letter_record, newest_distinct, to_dead_letter_record
from tests.eventstore.payloads import AccountOpened, registry

AT = Position(2, 41)


def opened(**changes: object) -> Event:
    fields: dict[str, object] = {
        "type": "AccountOpened", "subject": "acc-9", "data": AccountOpened(account="acc-9", owner="bo"),
        "stream": "ledger", "actor": "bo",
    }
    fields.update(changes)
    return Event(**fields)  # type: ignore[arg-type]


def roundtrip(event: Event) -> Event:
    return decode_event(registry, event.stream, AT, registry.encode(event.data), encode_headers(event))


def test_every_attribute_survives_the_round_trip() -> None:
    cause = opened()
    event = opened(time=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))).caused_by(cause)

    back = roundtrip(event)

    assert back == event.at(AT)


def test_absent_optional_attributes_are_left_out_and_stay_absent() -> None:
    event = opened()
    names = [name for name, _ in encode_headers(event)]
    assert "ce_correlationid" not in names and "ce_causationid" not in names
    assert roundtrip(event).correlationid is None


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([], "ce_specversion"),
        ([("ce_specversion", b"1.0"), ("ce_type", b"AccountOpened")], "missing CloudEvents header(s) 'ce_id'"),
        ([("content-type", b"application/cloudevents+json")], "structured-mode"),
        ([("ce_specversion", b"\xff")], "not UTF-8"),
    ],
)
def test_records_that_are_not_our_cloudevents_say_why(headers: list[tuple[str, bytes]], reason: str) -> None:
    with pytest.raises(DecodeError) as raised:
        decode_event(registry, "ledger", AT, b"{}", headers)
    assert reason in raised.value.reason


def test_a_bad_time_or_payload_is_named() -> None:
    headers = dict(encode_headers(opened()))
    with pytest.raises(DecodeError, match="ce_time"):
        decode_event(registry, "ledger", AT, b"{}", [*{**headers, "ce_time": b"yesterday"}.items()])
    with pytest.raises(DecodeError, match="AccountOpened.*owner"):
        decode_event(registry, "ledger", AT, b'{"account": "a"}', [*headers.items()])


@dataclass(frozen=True)
class Consumed:
    """What the store reads of an aiokafka ConsumerRecord."""

    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: int = 1_700_000_000_000


def consumed(offset: int, event: Event, value: bytes | None = None, **header_changes: bytes) -> Consumed:
    headers = {**dict(encode_headers(event)), **header_changes}
    body = registry.encode(event.data) if value is None else value
    return Consumed(offset, event.subject.encode(), body, list(headers.items()))


def test_a_fetched_batch_decodes_in_order_and_bad_records_keep_their_original() -> None:
    cause = opened()
    good = [opened(), opened(actor="system").caused_by(cause), opened(data=AccountOpened(account="acc-9", owner="cy"))]
    records = [
        consumed(10, good[0]),
        Consumed(11, b"acc-9", b"{}", [("content-type", b"application/cloudevents+json")]),
        consumed(12, good[1]),
        consumed(13, opened(), value=b'{"account": "acc-9"}'),
        consumed(14, opened(), ce_time=b"yesterday"),
        consumed(15, good[2]),
        consumed(16, good[2]),
    ]

    events, dead = decode_records(registry, "ledger", 2, records, stop=16)

    assert events == [event.at(Position(2, offset)) for event, offset in zip(good, (10, 12, 15))]
    reasons = {letter.position.offset: letter.reason for letter in dead}  # type: ignore[union-attr]
    assert sorted(reasons) == [11, 13, 14]
    assert "structured-mode" in reasons[11] and "owner" in reasons[13] and "yesterday" in reasons[14]
    letter = next(d for d in dead if d.position == Position(2, 13))
    assert (letter.stream, letter.key, letter.value, letter.headers) == (
        "ledger", b"acc-9", b'{"account": "acc-9"}', tuple(records[3].headers),
    )


def test_dead_letter_records_keep_the_original_and_where_it_came_from() -> None:
    letter = DeadLetter("ledger", AT, "bad JSON", b"acc-1", b"{", (("ce_id", b"x"),), datetime.now(timezone.utc))
    record = to_dead_letter_record("p.deadletters", letter)

    back = from_dead_letter_record(record.key, record.value, record.headers, 1_700_000_000_000)

    assert (back.stream, back.position, back.reason, back.key, back.value, back.headers) == (
        "ledger", AT, "bad JSON", b"acc-1", b"{", (("ce_id", b"x"),),
    )
    assert newest_distinct([letter, back], 10) == [letter]


def test_the_safety_settings_cannot_be_overridden() -> None:
    with pytest.raises(ValueError, match=r"\['acks', 'isolation_level'\].*remove them"):
        KafkaEventStore(registry, "localhost:9092", client_options={"acks": 1, "isolation_level": "read_uncommitted"})


async def test_an_unreachable_broker_names_the_fix() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{free.getsockname()[1]}"
    store = KafkaEventStore(registry, address)
    with pytest.raises(EventStoreError, match=f"cannot reach the Kafka brokers at {address}.*kafka-local start"):
        await store.open()
