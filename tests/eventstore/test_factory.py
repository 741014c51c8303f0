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


def test_kafka_url_sets_replication_and_min_insync_of_created_topics() -> None:
    pytest.importorskip("eventstore.kafka")
    store = open_store("kafka://k1:9092,k2:9092,k3:9092?replication=3&min_insync=2", registry)
    assert (store.replication_factor, store.min_insync_replicas) == (3, 2)  # type: ignore[attr-defined]
    assert store.topic_config({"cleanup.policy": "delete"}) == {  # type: ignore[attr-defined]
        "cleanup.policy": "delete", "min.insync.replicas": "2"}
    default = open_store("kafka://k1:9092", registry)
    assert (default.replication_factor, default.min_insync_replicas) == (1, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("query", "named"), [
    ("replication=0", "`replication` must be a whole number"),
    ("replication=three", "`replication` must be a whole number"),
    ("replication=2&min_insync=3", "`min_insync=3` is more than the replication factor (2)"),
    ("min_insync=2", "`min_insync=2` is more than the replication factor (1)"),
])
def test_bad_replication_options_name_the_option_and_the_fix(query: str, named: str) -> None:
    with pytest.raises(ValueError) as raised:
        open_store(f"kafka://k1:9092?{query}", registry)
    assert named in str(raised.value)


def test_an_unknown_kafka_url_parameter_is_named_with_the_accepted_ones() -> None:
    with pytest.raises(ValueError) as raised:
        open_store("kafka://k1:9092?password=hunter2", registry)
    message = str(raised.value)
    assert "unknown parameter(s) ['password']" in message
    assert "prefix, security, mechanism, replication, min_insync" in message
    assert "FLEETSTAGE_KAFKA_PASSWORD" in message
