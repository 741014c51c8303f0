"""The Kafka store's `end_offsets` waits out a broker frozen past the clients' request timeout instead of
failing: the orchestrator's subscription watch asks for them all the time, and a broker paused for 45 s
made it exit (tests/faults/test_broker_faults.py, the 45 s soak)."""
from __future__ import annotations

import asyncio

import pytest

from eventstore import StreamSpec
from eventstore.kafka import KafkaEventStore
from localkafka import LocalKafka
from tests.eventstore.ledger import deposits
from tests.eventstore.payloads import registry

pytestmark = pytest.mark.kafka

REQUEST_TIMEOUT_MS = 1_000
FREEZE_SECONDS = 3.0
"""The length of the outage: three request timeouts."""


async def test_end_offsets_wait_out_a_broker_frozen_past_the_request_timeout(private_kafka: LocalKafka) -> None:
    short = {"request_timeout_ms": REQUEST_TIMEOUT_MS}
    async with KafkaEventStore(registry, private_kafka.bootstrap, topic_prefix="frozen-reads.",
                               client_options=short) as store:
        await store.ensure_streams([StreamSpec("ledger", 1)])
        await store.append(deposits(3))
        before = await store.end_offsets("ledger")
        private_kafka.pause()
        try:
            asking = asyncio.create_task(store.end_offsets("ledger"))
            done, _ = await asyncio.wait([asking], timeout=FREEZE_SECONDS)
            assert not done, f"end_offsets ended while the broker was frozen: {asking.exception() or asking.result()!r}"
        finally:
            private_kafka.resume()
        assert await asyncio.wait_for(asking, 30) == before
