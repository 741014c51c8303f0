"""Looking at the hub's event log from the test: end offsets of every stream, and the events added since.

Opens the store the hub writes (`eventstore.factory.open_store`) in this process, on a private event
loop so the synchronous corpus test can use it between CLI calls.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import fleetevents
from eventstore import Event
from eventstore.factory import open_store
from fleetevents.streams import ALL_STREAMS

Offsets = dict[str, dict[int, int]]
COMMAND_PREFIX = "fleetstage.command."
REJECTED = "fleetstage.command.rejected"


@dataclass(frozen=True)
class Added:
    """The events appended between two looks at the log."""

    events: list[Event]

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def domain_events(self) -> list[Event]:
        """Events that change state (anything but commands and their answers)."""
        return [e for e in self.events if not e.type.startswith(COMMAND_PREFIX)]

    def describe(self) -> str:
        return "\n".join(f"  {e.stream}[{e.position}] {e.type} {e.subject}" for e in self.events) or "  (none)"


class EventLog:
    """The store at `url`, opened for reading (use as a context manager)."""

    def __init__(self, url: str) -> None:
        self._store = open_store(url, fleetevents.registry)
        self._loop = asyncio.Runner()

    def __enter__(self) -> "EventLog":
        self._loop.run(self._store.open())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._loop.run(self._store.close())
        finally:
            self._loop.close()

    def offsets(self) -> Offsets:
        """The next offset of every partition of every stream."""
        async def all_offsets() -> Offsets:
            return {spec.name: await self._store.end_offsets(spec.name) for spec in ALL_STREAMS}

        return self._loop.run(all_offsets())

    def added_since(self, before: Offsets) -> Added:
        """Every event appended after `before`, stream by stream."""
        async def collect() -> list[Event]:
            found: list[Event] = []
            for spec in ALL_STREAMS:
                async for event in self._store.read(spec.name, start=before.get(spec.name, {})):
                    found.append(event)
            return found

        return Added(self._loop.run(collect()))
