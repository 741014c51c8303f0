"""Fixtures of the event store contract suite: the same tests run against every backend.

`backend` is parametrized over memory, sqlite and kafka (the kafka one is marked `kafka` and uses the
session broker of tests/conftest.py). Each test gets a fresh store: a new SQLite file, or a unique
Kafka topic prefix.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eventstore import EventStore
from tests.eventstore.backends import Backend, kafka_backend, memory_backend, sqlite_backend


@pytest.fixture(params=["memory", "sqlite", pytest.param("kafka", marks=pytest.mark.kafka)])
def unopened_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Built outside the event loop: the session broker behind `kafka_bootstrap` starts synchronously."""
    if request.param == "memory":
        return memory_backend()
    if request.param == "sqlite":
        return sqlite_backend(tmp_path / "events.db")
    return kafka_backend(request.getfixturevalue("kafka_bootstrap"))


@pytest.fixture
async def backend(unopened_backend: Backend) -> AsyncIterator[Backend]:
    async with unopened_backend.store:
        yield unopened_backend


@pytest.fixture
def store(backend: Backend) -> EventStore:
    return backend.store
