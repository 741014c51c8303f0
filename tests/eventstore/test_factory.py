"""`open_store(url)`: which backend each URL form opens, and the error for a bad URL."""
from __future__ import annotations

from pathlib import Path

import pytest

from eventstore.factory import open_store
from eventstore.memory import MemoryEventStore
from eventstore.sqlite import SqliteEventStore
from tests.eventstore.payloads import registry


def test_memory_url_opens_the_in_process_store() -> None:
    assert isinstance(open_store("memory://", registry), MemoryEventStore)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/lib/fleetstage/events.db", "/var/lib/fleetstage/events.db"),
        ("sqlite:events.db", "events.db"),
        ("embedded:/tmp/x/events.db", "/tmp/x/events.db"),
        ("embedded:data/events.db", "data/events.db"),
    ],
)
def test_sqlite_and_embedded_urls_name_the_database_file(url: str, path: str) -> None:
    store = open_store(url, registry)
    assert isinstance(store, SqliteEventStore) and store.path == Path(path)


@pytest.mark.parametrize("url", ["events.db", "postgres://db/events", "sqlite:", "kafka://", "kafka://broker", "memory://x"])
def test_a_bad_url_names_the_accepted_forms(url: str) -> None:
    with pytest.raises(ValueError, match="accepted forms: memory://, sqlite:///abs/path.db") as raised:
        open_store(url, registry)
    assert repr(url) in str(raised.value)


def test_kafka_url_gives_the_brokers_and_topic_prefix() -> None:
    kafka = pytest.importorskip("eventstore.kafka")
    store = open_store("kafka://k1:9092,k2:9093?prefix=staging.", registry)
    assert isinstance(store, kafka.KafkaEventStore)
    assert (store.bootstrap_servers, store.topic_prefix) == ("k1:9092,k2:9093", "staging.")
    assert open_store("kafka://k1:9092", registry).topic_prefix == "fleetstage."  # type: ignore[attr-defined]
