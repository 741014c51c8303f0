"""On Kafka: a rebuild of the how-to's log (the batch decode of fetched records) writes exactly the
documents, audit entries and positions the live runner committed, in one process or in several."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import fleetevents
from eventstore.kafka import KafkaEventStore
from fleetevents import streams
from projections import ProjectionRunner, rebuild
from tests.projections.howto_events import whole_howto
from tests.projections.test_runner import append_in_chunks, tables, with_heartbeats

pytestmark = pytest.mark.kafka
TIMEOUT = 60.0


@pytest.mark.parametrize("workers", [1, 3], ids=["one process", "three worker processes"])
async def test_rebuild_on_kafka_equals_the_live_projection(kafka_bootstrap: str, tmp_path: Path, workers: int):
    prefix = f"rebuild{uuid.uuid4().hex[:8]}."
    store = KafkaEventStore(fleetevents.registry, kafka_bootstrap, topic_prefix=prefix)
    events = with_heartbeats(whole_howto())
    async with store:
        await store.ensure_streams(streams.ALL_STREAMS)
        async with ProjectionRunner(store, tmp_path / "live.db", batch_size=16) as runner:
            await append_in_chunks(store, events)
            await runner.caught_up(TIMEOUT)
        await rebuild(store, tmp_path / "rebuilt.db", store_url=f"kafka://{kafka_bootstrap}?prefix={prefix}",
                      workers=workers)
    live, rebuilt = tables(tmp_path / "live.db"), tables(tmp_path / "rebuilt.db")
    assert len(live["audit"]) == len(events)
    assert rebuilt == live
