"""docs/events.md's promise: a stranger with a plain Kafka client (no fleetstage code) can run the how-to's
commands. Records are produced by a bare aiokafka producer, once with the documented partition and once
with the client's default partitioner."""
from __future__ import annotations

import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from eventstore import EventStore
from eventstore.factory import open_store
from fleetevents import commands as cmd
from fleetevents import registry
from fleetevents.placements import ResourceSnapshotCreated
from fleetevents.runs import ApprovalAccepted, ApprovalRequested, RunInitialized, RunSucceeded, StageWaiting
from fleetevents.streams import ALL_STREAMS
from orchestrator.clock import ManualClock
from orchestrator.service import Orchestrator
from tests.orchestrator import howto
from tests.orchestrator.harness import FakeAgents, Log, command, howto_fleet, publish_fleet

pytestmark = pytest.mark.kafka
PARTITIONS = 8


@pytest.fixture
def prefix() -> str:
    return f"stranger-{uuid.uuid4().hex[:8]}."


@pytest.fixture
async def store(kafka_bootstrap: str, prefix: str) -> AsyncIterator[EventStore]:
    async with open_store(f"kafka://{kafka_bootstrap}?prefix={prefix}", registry) as opened:
        await opened.ensure_streams(ALL_STREAMS)
        yield opened


async def produce(bootstrap: str, topic: str, type_: str, body: dict[str, Any], *, documented_partition: bool) -> str:
    """One command exactly as docs/events.md describes it; returns its ce_id."""
    key = "example-placement"
    ce_id = str(uuid.uuid4())
    headers = [
        ("content-type", b"application/json"), ("ce_specversion", b"1.0"), ("ce_id", ce_id.encode()),
        ("ce_type", type_.encode()), ("ce_source", b"a-stranger"), ("ce_subject", key.encode()),
        ("ce_time", b"2025-01-01T12:00:00Z"), ("ce_actor", b"stranger"),
    ]
    partition = zlib.crc32(key.encode()) % PARTITIONS if documented_partition else None
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, orjson.dumps(body), key=key.encode(), partition=partition, headers=headers)
    finally:
        await producer.stop()
    return ce_id


@pytest.mark.parametrize("documented_partition", [True, False], ids=["crc32-partition", "default-partitioner"])
async def test_plain_kafka_client_runs_and_approves(
    store: EventStore, kafka_bootstrap: str, prefix: str, documented_partition: bool
) -> None:
    clock = ManualClock()
    topic = f"{prefix}placements"
    await publish_fleet(store, howto_fleet("value1"))
    async with Log(store) as log, FakeAgents(store), Orchestrator(store, clock=clock):
        await command(store, cmd.ApplyPlacement(manifest=howto.PLACEMENT))
        await log.wait_for(ResourceSnapshotCreated, index=0)
        run_id = await produce(kafka_bootstrap, topic, "fleetstage.command.run.apply",
                               {"manifest": howto.run("example-run", "0")}, documented_partition=documented_partition)
        initialized = await log.wait_for(RunInitialized, run="example-run")
        assert initialized.causationid == run_id
        await log.wait_for(StageWaiting, run="example-run", stage="staging")
        await clock.advance(timedelta(minutes=1))
        await log.wait_for(ApprovalRequested, name="example-run-canary")
        approval_id = await produce(kafka_bootstrap, topic, "fleetstage.command.approval.patch",
                                    {"name": "example-run-canary", "conditions": howto.approval_patch()},
                                    documented_partition=documented_partition)
        accepted = await log.wait_for(ApprovalAccepted, name="example-run-canary")
        assert accepted.causationid == approval_id
        await log.wait_for(RunSucceeded, run="example-run")
