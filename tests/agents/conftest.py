"""Fixtures of the agent tests: a fresh event store per test (memory, SQLite, and Kafka when marked),
fast retry settings, sample resources, and helpers to send commands and wait for the agents' events."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from agents.applier import ApplySettings, RetryPolicy
from agents.ledger import FileLedger, LedgerEntry
from eventstore import Event, EventStore, Position
from eventstore.factory import open_store
from fleetevents import registry
from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.streams import AGENTS, ALL_STREAMS

WAIT = 30.0
"""Seconds to wait for an expected event (Kafka group joins take seconds on 2 cores)."""

FAST = ApplySettings(
    RetryPolicy(max_attempts=3, initial=0.001, maximum=0.004), available_timeout=0.05, available_poll=0.001
)
"""Retries in milliseconds."""


def namespace(name: str = "test-namespace") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(name: str = "test-cm", value: str = "value1", ns: str = "test-namespace") -> dict[str, Any]:
    metadata = {"name": name, "namespace": ns}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"key": value}}


@pytest.fixture(params=["memory", "sqlite"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh store (memory and SQLite)."""
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/events.db"


@pytest.fixture(params=["memory", "sqlite", pytest.param("kafka", marks=pytest.mark.kafka)])
def any_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Like `store_url`, plus a real Kafka broker (for the tests worth running on every backend)."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/events.db"
    bootstrap = request.getfixturevalue("kafka_bootstrap")  # a sync fixture: the broker starts outside the loop
    return f"kafka://{bootstrap}?prefix=agents-{uuid.uuid4().hex[:8]}."


async def _opened(url: str) -> AsyncIterator[EventStore]:
    async with open_store(url, registry) as opened:
        await opened.ensure_streams(ALL_STREAMS)
        yield opened


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[EventStore]:
    """A fresh store with the fleetstage streams."""
    async for opened in _opened(store_url):
        yield opened


@pytest.fixture
async def any_store(any_store_url: str) -> AsyncIterator[EventStore]:
    async for opened in _opened(any_store_url):
        yield opened


async def send(
    store: EventStore,
    cluster: str,
    resources: Sequence[dict[str, Any]],
    *,
    run: str = "run-1",
    placement: str = "example-placement",
    index: int = 0,
    delete: bool = False,
) -> Event:
    """Append a ClusterUpdateRequested for `cluster`, as the orchestrator does; returns it."""
    data = ClusterUpdateRequested(
        run=run, placement=placement, stage="canary", cluster=cluster,
        resource_snapshot_index=index, resources=list(resources), delete=delete,
    )
    event = Event(type=registry.type_of(ClusterUpdateRequested), subject=cluster, data=data, stream=AGENTS)
    await store.append([event])
    return event


async def wait_events(
    store: EventStore, stream: str, count: int, where: Callable[[Event], bool] = lambda e: True, timeout: float = WAIT
) -> list[Event]:
    """The first `count` events of `stream` matching `where` (waits for them, up to `timeout`)."""
    found: list[Event] = []
    async with asyncio.timeout(timeout):
        async for event in store.read(stream, follow=True):
            if where(event):
                found.append(event)
                if len(found) >= count:
                    return found
    return found


async def read_all(store: EventStore, stream: str, where: Callable[[Event], bool] = lambda e: True) -> list[Event]:
    """Every event of `stream` now, matching `where`."""
    return [event async for event in store.read(stream) if where(event)]


def is_report(event: Event) -> bool:
    return isinstance(event.data, ClusterUpdated)


def report_of(command: Event) -> Callable[[Event], bool]:
    """Matches the ClusterUpdated caused by `command`."""
    return lambda event: is_report(event) and event.causationid == command.id


class StuckLedger(FileLedger):
    """Records, then never returns (the process dies before the report)."""

    def __init__(self, path: Path, reached: asyncio.Event) -> None:
        super().__init__(path)
        self.reached = reached

    async def record(self, entry: LedgerEntry, committed_before: Position) -> None:
        await super().record(entry, committed_before)
        self.reached.set()
        await asyncio.Event().wait()
