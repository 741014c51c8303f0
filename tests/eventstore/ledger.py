"""The test ledger: builders of deposit and audit events, and helpers to read and handle them."""
from __future__ import annotations

from collections.abc import Sequence

from eventstore import Event, EventStore, StreamSpec
from eventstore.store import Handler
from tests.eventstore.collect import Collector
from tests.eventstore.payloads import Audited, Deposited

ACCOUNTS = ("acc-1", "acc-2", "acc-3", "acc-4", "acc-5")


def deposit(account: str, seq: int, stream: str = "ledger") -> Event:
    return Event("Deposited", account, Deposited(account=account, amount=10, seq=seq), stream=stream)


def deposits(count: int, stream: str = "ledger") -> list[Event]:
    return [deposit(ACCOUNTS[i % len(ACCOUNTS)], i, stream) for i in range(count)]


def audit_of(event: Event) -> Event:
    return Event("Audited", event.subject, Audited(account=event.subject, of_event=event.id), stream="audit").caused_by(
        event
    )


async def streams(store: EventStore, ledger_partitions: int = 3) -> None:
    await store.ensure_streams([StreamSpec("ledger", ledger_partitions), StreamSpec("audit", 2)])


async def read_all(store: EventStore, stream: str, **options: object) -> list[Event]:
    return [event async for event in store.read(stream, **options)]  # type: ignore[arg-type]


def by_partition(events: Sequence[Event]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for event in events:
        assert event.position is not None
        out.setdefault(event.position.partition, []).append(event.id)
    return out


def audit_handler(seen: Collector) -> Handler:
    """A handler that records the batches it gets and returns one audit event per input."""

    async def handle(partition: int, batch: Sequence[Event]) -> list[Event]:
        await seen.add(batch)
        return [audit_of(event) for event in batch]

    return handle
