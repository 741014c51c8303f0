"""Creating topics: an answer that passes (too few unfenced brokers, as right after a broker restart) is
tried again until it clears; one that does not clear within the timeout, or any other error, fails with
the topic and the broker's reason. Nothing is created when it fails."""
from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from eventstore.errors import EventStoreError
from eventstore.kafka import INVALID_REPLICATION_FACTOR, TOPIC_ALREADY_EXISTS, create_topics

FENCED = "Unable to replicate the partition 1 time(s): All brokers are currently fenced."


class AnsweringAdmin:
    """An admin client whose create_topics gives the broker answers of `codes`, one per call (the real
    fenced state is a moment of a broker's restart, too short to hit on purpose)."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.asked: list[list[str]] = []

    async def create_topics(self, topics: list[NewTopic]) -> SimpleNamespace:
        self.asked.append([t.name for t in topics])
        code = self.codes.pop(0)
        return SimpleNamespace(topic_errors=[(t.name, code, FENCED if code else None) for t in topics])


async def test_fenced_brokers_are_waited_out() -> None:
    admin = AnsweringAdmin(INVALID_REPLICATION_FACTOR, INVALID_REPLICATION_FACTOR, 0)
    await create_topics(admin, [NewTopic("views.a", 1, 1)], "view topic", timeout=10)  # type: ignore[arg-type]
    assert admin.asked == [["views.a"]] * 3


async def test_an_existing_topic_is_fine() -> None:
    admin = AnsweringAdmin(TOPIC_ALREADY_EXISTS)
    await create_topics(admin, [NewTopic("views.a", 1, 1)], "view topic")  # type: ignore[arg-type]
    assert admin.asked == [["views.a"]]


async def test_an_error_that_does_not_pass_fails_at_once() -> None:
    admin = AnsweringAdmin(42, 0)  # INVALID_REQUEST
    with pytest.raises(EventStoreError, match="could not create view topic 'views.a'"):
        await create_topics(admin, [NewTopic("views.a", 1, 1)], "view topic", timeout=10)  # type: ignore[arg-type]
    assert admin.asked == [["views.a"]]


@pytest.fixture
async def admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


@pytest.mark.kafka
async def test_a_replication_factor_the_cluster_cannot_reach_fails_naming_it(
    admin: AIOKafkaAdminClient, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"t{uuid.uuid4().hex[:10]}.events"
    with caplog.at_level(logging.WARNING, "eventstore.kafka"), pytest.raises(EventStoreError) as raised:
        await create_topics(admin, [NewTopic(name, 1, 2)], "topic", timeout=0.5)  # one broker, two replicas
    assert f"could not create topic {name!r}" in str(raised.value)
    assert "replication factor" in str(raised.value)
    assert any("trying again" in r.getMessage() for r in caplog.records)
    assert name not in await admin.list_topics()


class UnreachableAdmin(AnsweringAdmin):
    """The broker is down for the first `down` calls (its connection refused), then answers `codes`."""

    def __init__(self, down: int, *codes: int) -> None:
        super().__init__(*codes)
        self.down = down

    async def create_topics(self, topics: list[NewTopic]) -> SimpleNamespace:
        if self.down:
            self.down -= 1
            self.asked.append([t.name for t in topics])
            raise KafkaConnectionError("Connection at 127.0.0.1:9092 closed")
        return await super().create_topics(topics)


async def test_a_broker_down_for_a_moment_is_waited_out() -> None:
    admin = UnreachableAdmin(2, INVALID_REPLICATION_FACTOR, 0)
    await create_topics(admin, [NewTopic("views.a", 1, 1)], "view topic", timeout=10)  # type: ignore[arg-type]
    assert admin.asked == [["views.a"]] * 4


async def test_a_broker_down_past_the_timeout_raises_the_client_error() -> None:
    admin = UnreachableAdmin(1000)
    with pytest.raises(KafkaConnectionError):
        await create_topics(admin, [NewTopic("views.a", 1, 1)], "view topic", timeout=0.3)  # type: ignore[arg-type]
    assert len(admin.asked) >= 2
