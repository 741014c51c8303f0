"""Publishing commands to the orchestrator and waiting for its answer.

A command goes to the `placements` stream keyed by its placement. The orchestrator owning that
partition answers with events whose `causationid` is the command's id: a `CommandRejected`, a
`CommandUnchanged`, or the domain events the command caused (appended together, in one transaction).
One background reader follows the stream from the end it found at start and resolves the waiting
requests by causation id. Read-your-writes waits for the last answer event the reader had seen when
the request resumed (not the end offset: on Kafka, transaction markers take offsets too).

`consequence(event_id)` does the same for what a `fleet` event leads to: the orchestrator's
`ReconcileRequested` is caused by it, and the decision (a new resource snapshot) shares its correlation id.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from eventstore import Event, EventStore
from fleetevents.base import registry
from fleetevents.runs import ReconcileRequested
from fleetevents.streams import PLACEMENTS

RECONCILE_TYPE = registry.type_of(ReconcileRequested)


class NoAnswerError(Exception):
    """The orchestrator did not answer a command in time (not running, or far behind)."""


@dataclass
class _Pending:
    answered: asyncio.Future[Event]
    last: Event | None = None


@dataclass(frozen=True)
class Answer:
    """The orchestrator's first event caused by a command, and the last one seen so far."""

    event: Event
    last: Event

    @property
    def read_offsets(self) -> dict[str, dict[int, int]]:
        """Where the read side must be for the answer to be visible."""
        assert self.last.position is not None  # events read from the store have positions
        return {PLACEMENTS: {self.last.position.partition: self.last.position.offset + 1}}


class CommandBus:
    """Append commands and await the orchestrator's answers. Use `async with`."""

    def __init__(self, store: EventStore, *, timeout: float = 10.0) -> None:
        self._store = store
        self._timeout = timeout
        self._waiting: dict[str, _Pending] = {}
        self._consequences: dict[str, _Pending] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "CommandBus":
        start = await self._store.end_offsets(PLACEMENTS)
        self._task = asyncio.create_task(self._follow(start), name="command-answers")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for pending in self._waiting.values():
            pending.answered.cancel()

    async def stopped(self) -> BaseException:
        """Wait until following the orchestrator's answers fails (every command would then time out); return why."""
        if self._task is None:
            raise RuntimeError("use `async with CommandBus(...)` before stopped()")
        await asyncio.wait([self._task])
        error = None if self._task.cancelled() else self._task.exception()
        return error or RuntimeError("the reader of the orchestrator's answers ended")

    async def submit(self, command: Event) -> Answer:
        """Append `command` and return the orchestrator's answer; NoAnswerError after the timeout."""
        pending = _Pending(asyncio.get_running_loop().create_future())
        self._waiting[command.id] = pending
        try:
            await self._store.append([command])
            try:
                first = await asyncio.wait_for(pending.answered, self._timeout)
            except asyncio.TimeoutError:
                raise NoAnswerError(
                    f"the orchestrator did not answer within {self._timeout:g}s; is it running? "
                    "(`fleetstage hub` runs it with the API; `fleetstage orchestrator` runs it alone)"
                ) from None
            return Answer(first, pending.last or first)
        finally:
            self._waiting.pop(command.id, None)

    @contextlib.contextmanager
    def expecting(self, event_id: str) -> Iterator[None]:
        """Around appending the `fleet` event `event_id` and awaiting `consequence(event_id)`."""
        self._consequences[event_id] = _Pending(asyncio.get_running_loop().create_future())
        try:
            yield
        finally:
            self._consequences.pop(event_id, None)

    async def consequence(self, event_id: str, timeout: float) -> Answer | None:
        """The orchestrator's first decision (after its ReconcileRequested) that the expected `fleet` event
        led to; None when there was none within `timeout` seconds (nothing to decide, or not running)."""
        pending = self._consequences[event_id]
        try:
            first = await asyncio.wait_for(pending.answered, timeout)
        except asyncio.TimeoutError:
            return None
        return Answer(first, pending.last or first)

    async def _follow(self, start: dict[int, int]) -> None:
        async for event in self._store.read(PLACEMENTS, start=start, follow=True):
            if event.type != RECONCILE_TYPE:
                _resolve(self._consequences.get(event.correlationid or ""), event)
            _resolve(self._waiting.get(event.causationid or ""), event)


def _resolve(pending: _Pending | None, event: Event) -> None:
    if pending is None:
        return
    pending.last = event
    if not pending.answered.done():
        pending.answered.set_result(event)
