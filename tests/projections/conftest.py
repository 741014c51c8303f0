"""Fixtures of the projection tests: an opened event store (memory or SQLite) with the fleet streams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import fleetevents
from eventstore import EventStore
from eventstore.memory import MemoryEventStore
from eventstore.sqlite import SqliteEventStore
from fleetevents import streams


@pytest.fixture(params=["memory", "sqlite"])
async def event_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventStore]:
    store: EventStore = (
        MemoryEventStore(fleetevents.registry, max_idle=0.05)
        if request.param == "memory"
        else SqliteEventStore(fleetevents.registry, tmp_path / "events.db")
    )
    async with store:
        await store.ensure_streams(streams.ALL_STREAMS)
        yield store


@pytest.fixture
async def sqlite_event_store(tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
    async with SqliteEventStore(fleetevents.registry, tmp_path / "events.db") as store:
        await store.ensure_streams(streams.ALL_STREAMS)
        yield store
