"""The stores the contract suite runs against, each with a way to write an undecodable record.

`Backend.poison(stream, subject)` slips a record no model can decode into a stream, the way a buggy or
foreign producer would, bypassing the store's validation (to prove dead-lettering).
"""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from eventstore import EventStore
from eventstore.memory import MemoryEventStore
from eventstore.sqlite import SqliteEventStore
from eventstore.store import partition_for
from tests.eventstore.payloads import registry

POISON_TYPE = "Deposited"
POISON_BODY = b'{"account": "acc-1", "amount": '  # truncated JSON


@dataclass
class Backend:
    """A store under test and a way to slip an undecodable record into one of its streams."""

    name: str
    store: EventStore
    poison: Callable[[str, str], Awaitable[None]]


def _sqlite_poisoner(path: Path) -> Callable[[str, str], Awaitable[None]]:
    async def poison(stream: str, subject: str) -> None:
        with closing(sqlite3.connect(path, timeout=10)) as db, db:
            [partitions] = db.execute("SELECT partitions FROM streams WHERE name = ?", (stream,)).fetchone()
            partition = partition_for(subject, partitions)
            [last] = db.execute(
                'SELECT MAX("offset") FROM events WHERE stream = ? AND "partition" = ?', (stream, partition)
            ).fetchone()
            db.execute(
                'INSERT INTO events (stream, "partition", "offset", id, type, subject, time, actor, source,'
                " datacontenttype, body) VALUES (?, ?, ?, ?, ?, ?, ?, 'test', 'test', 'application/json', ?)",
                (stream, partition, 0 if last is None else last + 1, str(uuid.uuid4()), POISON_TYPE, subject,
                 datetime.now(timezone.utc).isoformat(), POISON_BODY),
            )

    return poison


def _memory_poisoner(store: MemoryEventStore) -> Callable[[str, str], Awaitable[None]]:
    async def poison(stream: str, subject: str) -> None:
        store.inject_raw(stream, subject, POISON_TYPE, POISON_BODY)

    return poison


def memory_backend() -> Backend:
    store = MemoryEventStore(registry)
    return Backend("memory", store, _memory_poisoner(store))


def sqlite_backend(path: Path) -> Backend:
    return Backend("sqlite", SqliteEventStore(registry, path), _sqlite_poisoner(path))


def _kafka_poisoner(store: EventStore, bootstrap: str, topic_prefix: str) -> Callable[[str, str], Awaitable[None]]:
    async def poison(stream: str, subject: str) -> None:
        from aiokafka import AIOKafkaProducer

        partitions = len(await store.end_offsets(stream))
        headers = [
            ("content-type", b"application/json"),
            ("ce_specversion", b"1.0"),
            ("ce_id", str(uuid.uuid4()).encode()),
            ("ce_type", POISON_TYPE.encode()),
            ("ce_source", b"test"),
            ("ce_subject", subject.encode()),
            ("ce_time", datetime.now(timezone.utc).isoformat().encode()),
        ]
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait(
                topic_prefix + stream, POISON_BODY, key=subject.encode(),
                partition=partition_for(subject, partitions), headers=headers,
            )
        finally:
            await producer.stop()

    return poison


def kafka_backend(bootstrap: str) -> Backend:
    from eventstore.kafka import KafkaEventStore

    prefix = f"t{uuid.uuid4().hex[:10]}."
    store = KafkaEventStore(registry, bootstrap, topic_prefix=prefix)
    return Backend("kafka", store, _kafka_poisoner(store, bootstrap, prefix))
