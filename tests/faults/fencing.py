"""Fencing a Kafka producer from outside, as the broker does when it aborts a transaction left open past
the transaction timeout: registering the same transactional id again bumps its epoch."""
from __future__ import annotations

from eventstore.kafka import KafkaEventStore


async def register_again(store: KafkaEventStore, transactional_id: str) -> None:
    """Start a producer with `transactional_id` (without the store's topic prefix) and finish an empty
    transaction: every earlier producer of that id is fenced."""
    usurper = store.transactional_producer(transactional_id)
    try:
        await usurper.start()
        await usurper.begin_transaction()
        await usurper.abort_transaction()
    finally:
        await usurper.stop()
