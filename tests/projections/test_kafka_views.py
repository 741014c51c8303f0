"""On Kafka: the runner projects a Kafka event store, and every document reaches its compacted view topic,
also when the broker is away at the time."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

import fleetevents
from eventstore.kafka import KafkaEventStore
from fleetevents import streams
from localkafka import LocalKafka
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


class _Retrying(logging.Handler):
    """Sets `seen` when a Kafka client of ours logs that it is trying again."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if "trying again" in record.getMessage():
            self._loop.call_soon_threadsafe(self.seen.set)


@pytest.fixture
async def retrying() -> Iterator[_Retrying]:
    handler = _Retrying()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


async def test_a_view_sent_while_the_broker_is_down_arrives_once_it_is_back(
    private_kafka: LocalKafka, retrying: _Retrying
):
    """The first document of a kind, published while the broker restarts: its view topic cannot be made
    yet. The publisher waits the outage out, so the projections that publish go on (CI once saw the
    hub's read models stop here for good, on NodeNotReadyError, when the broker restarted mid-run)."""
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config", "namespace": "apps"}}
    impatient = {"request_timeout_ms": 3000}  # a request to the absent broker fails after 3 s, not 40
    async with KafkaViewPublisher(private_kafka.bootstrap, topic_prefix="outage.", client_options=impatient) as publisher:
        await asyncio.to_thread(private_kafka.stop)
        sending = asyncio.create_task(publisher.publish_all([doc]))
        retried = asyncio.create_task(retrying.seen.wait())
        await asyncio.wait({sending, retried}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        gave_up = sending.done() or not retried.done()
        retried.cancel()
        assert not gave_up, "the publisher gave up while the broker was down"
        await private_kafka.arestart()
        await asyncio.wait_for(sending, TIMEOUT)
    views = await _latest_values(private_kafka.bootstrap, "outage.view.configmaps")
    assert {k: orjson.loads(v) for k, v in views.items() if v is not None} == {b"ConfigMap/apps/app-config": doc}


async def test_a_view_too_large_for_its_topic_is_left_out_and_the_others_go_on(
    kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
):
    """A document past the producer's request size is logged and left out; a later change still goes out
    (retrying it would never succeed, and stopping would stop the read models at every start)."""
    prefix = f"large{uuid.uuid4().hex[:8]}."
    small = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "small", "namespace": "apps"}}
    huge = {**small, "metadata": {"name": "huge", "namespace": "apps"}, "data": {"blob": "x" * 2_000_000}}
    async with KafkaViewPublisher(kafka_bootstrap, topic_prefix=prefix) as publisher:
        await asyncio.wait_for(publisher.publish_all([huge, small]), TIMEOUT)
    views = await _latest_values(kafka_bootstrap, f"{prefix}view.configmaps")
    assert {k: orjson.loads(v) for k, v in views.items() if v is not None} == {b"ConfigMap/apps/small": small}
    assert "view of ConfigMap/apps/huge left out of its topic" in caplog.text
