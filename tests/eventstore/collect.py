"""Waiting helpers for the event store tests: collect what handlers and readers see, wait with a timeout."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from eventstore import Event

WAIT = 30.0
"""Seconds to wait for an expected event (Kafka group joins take a few seconds on 2 cores)."""


class Collector:
    """The events seen so far; `until(n)` returns once there are at least n of them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._grew = asyncio.Condition()

    async def add(self, events: Sequence[Event]) -> None:
        self.events.extend(events)
        async with self._grew:
            self._grew.notify_all()

    async def until(self, count: int, timeout: float = WAIT) -> list[Event]:
        async with asyncio.timeout(timeout):
            async with self._grew:
                await self._grew.wait_for(lambda: len(self.events) >= count)
        return self.events

    async def follow(self, events: AsyncIterator[Event]) -> None:
        """Collect everything `events` yields (run it as a task)."""
        async for event in events:
            await self.add([event])

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.events]
