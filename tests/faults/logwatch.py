"""`LogWatch`: the test's own reader of the event log (every stream but heartbeats), following it as
it grows, so a scenario can wait on the events a run writes and count them afterwards."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType

from eventstore import Event, EventStore
from fleetevents import streams
from projections.audit import run_of

FOLLOWED = (streams.FLEET, streams.PLACEMENTS, streams.AGENTS)


class LogWatch:
    """`async with LogWatch(store) as log:` follows FOLLOWED; `log.events` grows as events are committed."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.events: list[Event] = []
        self._of_run: dict[str | None, list[Event]] = {}
        """`events` by run (`run_of`), so a wait looks only at its run's events."""
        self._tasks: list[asyncio.Task[None]] = []
        self._grew = asyncio.Event()

    async def __aenter__(self) -> LogWatch:
        await self.store.ensure_streams(streams.ALL_STREAMS)
        self._tasks = [asyncio.create_task(self._follow(stream), name=f"logwatch-{stream}") for stream in FOLLOWED]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _follow(self, stream: str) -> None:
        async for event in self.store.read(stream, follow=True):
            self.events.append(event)
            self._of_run.setdefault(run_of(event), []).append(event)
            self._grew.set()

    def of_run(self, run: str, type_: str | None = None) -> list[Event]:
        """The events of run `run` seen so far (of type `fleetstage.<type_>` when given)."""
        events = self._of_run.get(run, [])
        return list(events) if type_ is None else [e for e in events if e.type == f"fleetstage.{type_}"]

    def has(self, run: str, type_: str, **fields: object) -> bool:
        """Whether run `run` has a `fleetstage.<type_>` event whose payload has `fields`."""
        return any(all(getattr(e.data, k, None) == v for k, v in fields.items()) for e in self.of_run(run, type_))

    async def wait(self, condition: Callable[[], bool], what: str, timeout: float,
                   check: Callable[[], None] = lambda: None) -> None:
        """Return once `condition()` holds (looked at whenever events arrive, and every 0.5 s, when `check`
        may raise, e.g. because a process died); AssertionError naming `what` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            check()
            for task in self._tasks:
                if task.done():
                    raise AssertionError(f"the test's log reader stopped: {task.exception()!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout:g}s waiting until {what}")
            self._grew.clear()
            try:
                await asyncio.wait_for(self._grew.wait(), min(left, 0.5))
            except TimeoutError:
                pass
