"""A Kafka subscription whose partition producer is lost with no rebalance coming takes the partition
again, fresh from the committed offset, instead of leaving it unhandled.

This is what a broker paused past the transaction timeout does (tests/faults/test_broker_faults.py): on
resuming it aborts the transaction left open and bumps its producer's epoch, so the producer's commit
fails as fenced (or, when the commit races the abort, the broker answers an unknown server error and
aiokafka's sender stops for good), while the member still owns the partition in its group generation. Here
the epoch is bumped by hand (a producer with the same transactional id registers, as the broker's abort
does), or the write fails as a broken producer's does, or the handler's own read times out. The handler hears `on_revoke` then `on_assign`,
the batch is handled again, and its outputs are in the log exactly once.
"""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import pytest
from aiokafka.errors import KafkaError, KafkaTimeoutError

from eventstore import Event, StreamSpec
from eventstore.kafka import KafkaEventStore
from tests.eventstore.collect import WAIT, Collector
from tests.eventstore.ledger import audit_of, deposits, read_all
from tests.eventstore.payloads import registry
from tests.faults.fencing import register_again

pytestmark = pytest.mark.kafka

GROUP, STREAM = "auditor", "ledger"
INPUTS = 10
Spoiler = Callable[[KafkaEventStore], Awaitable[None]]
"""What befalls the partition's producer while the first batch is handled."""


async def bump_the_epoch(store: KafkaEventStore) -> None:
    """Register the subscription's transactional id again, as the broker does when it aborts a timed-out
    transaction: the subscription's producer is fenced, and no member joins or leaves the group."""
    await register_again(store, f"{GROUP}-{STREAM}-0")


def break_the_next_write(monkeypatch: pytest.MonkeyPatch) -> Spoiler:
    """The subscription's next transactional write fails as aiokafka's does once its sender stopped."""

    async def spoil(store: KafkaEventStore) -> None:
        write = store.write

        async def broken(producer: Any, records: Any, offsets: Any = None, group: str | None = None) -> list[Any]:
            monkeypatch.setattr(store, "write", write)  # once
            raise KafkaError("Unexpected error during batch delivery")

        monkeypatch.setattr(store, "write", broken)

    return spoil


async def time_out_a_read(store: KafkaEventStore) -> None:
    """A request of the handler's times out, as it does while the broker is frozen past the request timeout."""
    raise KafkaTimeoutError("Failed to get offsets by times in 40000 ms")


async def lose_the_producer_mid_batch(kafka_bootstrap: str, spoil: Spoiler) -> None:
    inputs = deposits(INPUTS)
    seen = Collector()
    calls: list[tuple[str, object]] = []
    prefix = f"lost-producer-{uuid.uuid4().hex[:8]}."
    async with KafkaEventStore(registry, kafka_bootstrap, topic_prefix=prefix) as store:
        await store.ensure_streams([StreamSpec(STREAM, 1), StreamSpec("audit", 1)])
        await store.append(inputs)

        async def handle(partition: int, batch: Sequence[Event]) -> list[Event]:
            first = not seen.events
            await seen.add(batch)
            if first:
                await spoil(store)
            return [audit_of(event) for event in batch]

        async def on_assign(offsets: Mapping[int, int]) -> None:
            calls.append(("assign", dict(offsets)))

        async def on_revoke(partitions: Sequence[int]) -> None:
            calls.append(("revoke", list(partitions)))

        async with store.subscribe(GROUP, STREAM, handle, on_assign=on_assign, on_revoke=on_revoke) as sub:
            await sub.wait_caught_up(WAIT)
        audited = [a.causationid for a in await read_all(store, "audit")]

    assert sorted(audited) == sorted(e.id for e in inputs), "every input audited exactly once"  # type: ignore[type-var]
    assert calls[:3] == [("assign", {0: 0}), ("revoke", [0]), ("assign", {0: 0})], calls
    assert len(seen.ids) > INPUTS and set(seen.ids) == {e.id for e in inputs}, "the lost batch is handled again"


async def test_a_producer_fenced_with_no_rebalance_coming_takes_its_partition_again(kafka_bootstrap: str) -> None:
    await lose_the_producer_mid_batch(kafka_bootstrap, bump_the_epoch)


async def test_a_producer_broken_mid_transaction_takes_its_partition_again(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await lose_the_producer_mid_batch(kafka_bootstrap, break_the_next_write(monkeypatch))


async def test_a_batch_whose_handler_timed_out_is_handled_again(kafka_bootstrap: str) -> None:
    await lose_the_producer_mid_batch(kafka_bootstrap, time_out_a_read)
