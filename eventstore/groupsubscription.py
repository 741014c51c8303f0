"""GroupSubscription: what every backend's subscription shares.

It keeps the `SubscriptionSpec`, runs the backend's consume loop (`_run`) as a background task from
`async with` until exit, and implements `wait_caught_up` over the `_progress` signal the loop fires.
A backend writes `_run` (on a failure it sets `_error`, fires `_progress` and returns: exit re-raises
the error), `_caught_up` and, when the member holds something to give back after its loop ended, `_stop`.
"""
from __future__ import annotations

import asyncio
from abc import abstractmethod
from types import TracebackType
from typing import Generic, Self, TypeVar

from eventstore.changesignal import ChangeSignal
from eventstore.errors import StoreClosedError
from eventstore.store import EventStore, Subscription, SubscriptionSpec

S = TypeVar("S", bound=EventStore)


class GroupSubscription(Subscription, Generic[S]):
    """One member of consumer group `spec.group` on `spec.stream` of `store` (see the module docstring)."""

    def __init__(self, store: S, spec: SubscriptionSpec) -> None:
        self._store = store
        self._group = spec.group
        self._stream = spec.stream
        self._handler = spec.handler
        self._exactly_once = spec.exactly_once
        self._on_assign = spec.on_assign
        self._on_revoke = spec.on_revoke
        self._max_batch = spec.max_batch
        self._progress = ChangeSignal()
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        """Set by `_run` while it shuts down on its own: exit then waits for it instead of cancelling it."""

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name=f"subscription {self._group}/{self._stream}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            if not self._closing:
                self._task.cancel()
            await asyncio.wait([self._task])
        await self._stop()
        if self._error is not None and exc is None:
            raise self._error

    async def wait_caught_up(self, timeout: float | None = None) -> None:
        async with asyncio.timeout(timeout):
            targets = await self._store.end_offsets(self._stream)
            while True:
                token = self._progress.token()
                if self._error is not None:
                    raise self._error
                if self._task is None or self._task.done():
                    raise StoreClosedError(f"subscription {self._group!r} on {self._stream!r} is not running")
                if self._caught_up(targets):
                    return
                await self._progress.wait(token, None)

    @abstractmethod
    async def _run(self) -> None:
        """Consume until cancelled (see the module docstring for failures)."""

    @abstractmethod
    def _caught_up(self, targets: dict[int, int]) -> bool:
        """Whether every record below `targets` (next offset per partition) is handled and committed."""

    async def _stop(self) -> None:
        """After the consume task ended: give back what this member still holds (nothing by default)."""
