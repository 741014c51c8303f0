"""The Kafka store replaces its own producer (the one `append` writes with) once it failed for good, so a
process such as the hub keeps appending after a broker pause instead of failing until restarted.

A broker paused past the transaction timeout aborts the open transaction and bumps the producer's epoch:
here another producer registers the store's transactional id, as that abort does. The append that finds
its producer fenced may or may not have committed, so it fails with AppendOutcomeUnknownError (never
retried blindly); the next one writes on a fresh producer. A producer whose sender stopped (as aiokafka's
does for good on an unexpected error) is provably unused, so it is replaced before the append, which succeeds.
The hub answers a request whose append has an unknown outcome with a 503 saying so, and serves the next one.
"""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eventstore import AppendOutcomeUnknownError, Event, StreamSpec
from eventstore.kafka import KafkaEventStore
from tests.cli.test_api import running_hub
from tests.eventstore.ledger import deposit, read_all
from tests.eventstore.payloads import registry
from tests.faults.fencing import register_again
from tests.orchestrator import howto

pytestmark = pytest.mark.kafka

STREAM = "ledger"


@pytest.fixture
async def store(kafka_bootstrap: str) -> AsyncIterator[KafkaEventStore]:
    async with KafkaEventStore(registry, kafka_bootstrap, topic_prefix=f"store-producer-{uuid.uuid4().hex[:8]}.") as s:
        await s.ensure_streams([StreamSpec(STREAM, 1)])
        await s.append([deposit("a", 0)])  # the producer has registered and written once
        yield s


async def fence_the_store_producer(store: KafkaEventStore) -> None:
    """Register the store's transactional id again, as the broker does when it aborts a timed-out transaction."""
    await register_again(store, store._producer_id)


async def ids_in(store: KafkaEventStore) -> list[str]:
    return [event.id for event in await read_all(store, STREAM)]


async def test_a_fenced_store_producer_is_replaced_and_the_failed_append_says_its_outcome_is_unknown(
    store: KafkaEventStore,
) -> None:
    await fence_the_store_producer(store)
    lost, after = deposit("a", 1), deposit("a", 2)

    with pytest.raises(AppendOutcomeUnknownError, match="may or may not have been written"):
        await store.append([lost])
    [position] = await store.append([after])

    ids = await ids_in(store)
    assert ids.count(after.id) == 1 and ids[-1] == after.id, ids
    assert ids.count(lost.id) == 0, "a fenced producer's transaction is aborted"
    assert position.offset > 0


async def test_a_store_producer_whose_sender_stopped_is_replaced_before_the_append(store: KafkaEventStore) -> None:
    await store._producer.stop()  # type: ignore[union-attr]  # as aiokafka stops it after an unexpected error
    event: Event = deposit("a", 1)

    await store.append([event])
    await store.append([deposit("a", 2)])

    assert (await ids_in(store)).count(event.id) == 1


async def test_the_hub_answers_503_when_an_append_outcome_is_unknown_and_serves_the_next_request(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"store-producer-hub-{uuid.uuid4().hex[:8]}."
    async with running_hub(f"kafka://{kafka_bootstrap}?prefix={prefix}", tmp_path, members=False) as hub:  # no other writer
        assert isinstance(hub.store, KafkaEventStore)
        await fence_the_store_producer(hub.store)

        failed = await hub.http.post("/api/v1/namespaces", json=howto.NAMESPACE)
        again = await hub.http.post("/api/v1/namespaces", json=howto.NAMESPACE)

    assert failed.status_code == 503, failed.text
    status = failed.json()
    assert status["reason"] == "ServiceUnavailable" and "may or may not have been written" in status["message"]
    assert again.status_code == 201, again.text
