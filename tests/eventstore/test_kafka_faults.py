"""The Kafka backend across broker faults: a frozen broker (SIGSTOP) and a restarted one. Writes made
meanwhile complete once it is back, and a subscription goes on without losing or duplicating anything."""
from __future__ import annotations

import asyncio

import pytest

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
