"""On Kafka: the runner projects a Kafka event store, and every document reaches its compacted view topic."""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

import fleetevents
from eventstore.kafka import KafkaEventStore
from fleetevents import streams
from projections import ProjectionRunner
from projections.publisher import KafkaViewPublisher
from tests.projections.howto_events import whole_howto
from tests.projections.views import csur_row

pytestmark = pytest.mark.kafka
TIMEOUT = 60.0


@pytest.fixture
def kafka_store(kafka_bootstrap: str) -> KafkaEventStore:
    return KafkaEventStore(fleetevents.registry, kafka_bootstrap, topic_prefix=f"proj{uuid.uuid4().hex[:8]}.")


async def _latest_values(bootstrap: str, topic: str) -> dict[bytes, bytes | None]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        end = (await consumer.end_offsets([partition]))[partition]
        values: dict[bytes, bytes | None] = {}
        while await consumer.position(partition) < end:
            for record in (await consumer.getmany(partition, timeout_ms=1000)).get(partition, []):
                values[record.key] = record.value
        return values
    finally:
        await consumer.stop()


async def _cleanup_policy(bootstrap: str, topic: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"cleanup.policy": None})]
        )
        [(_, _, _, _, configs)] = response.resources
        return next(value for name, value, *_ in configs if name == "cleanup.policy")
    finally:
        await admin.close()


async def test_runner_on_kafka_publishes_compacted_views(kafka_store: KafkaEventStore, tmp_path: Path):
    howto = whole_howto()
    async with kafka_store:
        await kafka_store.ensure_streams(streams.ALL_STREAMS)
        async with (
            KafkaViewPublisher.for_store(kafka_store) as publisher,
            ProjectionRunner(kafka_store, tmp_path / "p.db", publisher=publisher) as runner,
        ):
            await kafka_store.append(howto.events)
            await runner.caught_up(TIMEOUT)
            assert len(await runner.audit(limit=None)) == len(howto.events)
            runs = await runner.list("ClusterStagedUpdateRun")
            assert [csur_row(r) for r in runs] == [
                ["example-run", "example-placement", "1", "0", "True", "True"],
                ["example-run-2", "example-placement", "0", "0", "True", "True"],
            ]
    topic = f"{kafka_store.topic_prefix}view.clusterstagedupdateruns"
    views = await _latest_values(kafka_store.bootstrap_servers, topic)
    assert {k: orjson.loads(v) for k, v in views.items() if v is not None} == {
        f"ClusterStagedUpdateRun//{r['metadata']['name']}".encode(): r for r in runs
    }
    assert await _cleanup_policy(kafka_store.bootstrap_servers, topic) == "compact"
