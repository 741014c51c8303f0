"""The Kafka backend across broker faults: a frozen broker (SIGSTOP) and a restarted one. Writes made
meanwhile complete once it is back, and a subscription goes on without losing or duplicating anything."""
from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from eventstore import StreamSpec
from eventstore.kafka import KafkaEventStore
from localkafka import LocalKafka
from tests.eventstore.collect import WAIT, Collector
from tests.eventstore.payloads import registry
from tests.eventstore.test_contract import audit_handler, deposits, read_all

pytestmark = pytest.mark.kafka


async def test_subscription_survives_a_frozen_and_a_restarted_broker(private_kafka: LocalKafka) -> None:
    inputs = deposits(30)
    seen = Collector()
    async with KafkaEventStore(registry, private_kafka.bootstrap, topic_prefix="faults.") as store:
        await store.ensure_streams([StreamSpec("ledger", 2), StreamSpec("audit", 2)])
        async with store.subscribe("auditor", "ledger", audit_handler(seen)) as sub:
            await store.append(inputs[:10])
            await sub.wait_caught_up(WAIT)

            private_kafka.pause()
            frozen = asyncio.create_task(store.append(inputs[10:20]))
            done, _ = await asyncio.wait([frozen], timeout=1.0)
            assert not done, "an append completed while the broker was frozen"
            private_kafka.resume()
            await frozen
            await sub.wait_caught_up(WAIT)

            await private_kafka.arestart()
            await store.append(inputs[20:])
            await sub.wait_caught_up(WAIT)

        audited = [a.causationid for a in await read_all(store, "audit")]

    assert sorted(audited) == sorted(e.id for e in inputs)  # type: ignore[type-var]
    assert sorted(seen.ids) == sorted(e.id for e in inputs)


FREEZE_SECONDS = 4.0
"""Longer than the store's transaction timeout and its clients' request timeout in the test below."""


async def test_append_waits_out_a_broker_frozen_just_after_its_commit(
    private_kafka: LocalKafka, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transaction committed, then the broker froze (longer than every timeout) before the records were
    visible to readers: the append neither fails nor returns while it is frozen, and returns once it is back."""
    short = {"request_timeout_ms": 1_000}
    async with KafkaEventStore(registry, private_kafka.bootstrap, topic_prefix="frozen-commit.",
                               client_options=short, transaction_timeout_ms=2_000) as store:
        await store.ensure_streams([StreamSpec("ledger", 1)])
        offsets = store._offsets
        assert offsets is not None
        look_up = offsets.end_offsets
        thawed: list[asyncio.Task[None]] = []

        async def thaw_later() -> None:
            await asyncio.sleep(FREEZE_SECONDS)  # the length of the outage
            private_kafka.resume()

        async def freeze_first(partitions: list[object]) -> object:
            if not thawed:  # the first look after the commit: freeze the broker before it answers
                private_kafka.pause()
                thawed.append(asyncio.create_task(thaw_later()))
            return await look_up(partitions)

        monkeypatch.setattr(offsets, "end_offsets", freeze_first)
        try:
            [written] = deposits(1)
            await store.append([written])
            assert thawed and thawed[0].done(), "the append returned while the broker was frozen"
        finally:
            private_kafka.resume()
        assert [e.id for e in await read_all(store, "ledger")] == [written.id]


async def test_a_write_cancelled_on_a_fenced_producer_is_cancelled(private_kafka: LocalKafka) -> None:
    """A zombie told to stop while its write waits on a frozen broker: once the broker answers that the
    producer is fenced, the write ends cancelled (the abort's ProducerFenced must not replace the
    cancellation, or the caller would go on as if it had only lost the partition)."""
    async with KafkaEventStore(registry, private_kafka.bootstrap, topic_prefix="fenced.") as store:
        await store.ensure_streams([StreamSpec("ledger", 1)])
        zombie, owner = store.transactional_producer("fenced"), store.transactional_producer("fenced")
        try:
            for producer in zombie, owner:  # the owner registering the same id fences the zombie
                await producer.start()
                await producer.begin_transaction()
                await producer.abort_transaction()
            private_kafka.pause()
            offsets = {TopicPartition(store.topic("ledger"), 0): 0}
            write = asyncio.create_task(store.write(zombie, [], offsets, "fenced-group"))
            done, _ = await asyncio.wait([write], timeout=0.5)  # time to send the offsets; no answer comes
            assert not done, "a write completed while the broker was frozen"
            write.cancel()
            private_kafka.resume()
            with pytest.raises(asyncio.CancelledError):
                await write
        finally:
            private_kafka.resume()
            await owner.stop()
            await zombie.stop()
