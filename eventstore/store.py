"""The event store interface every backend implements, and the subscription contract.

Semantics every backend keeps (the contract tests in tests/eventstore/ prove them):
- A stream is a named log split into `partitions`; an event goes to partition
  `partition_for(subject, partitions)`, so events with one subject stay in order.
- `append` of a batch is all or nothing, across streams too; each event's payload is validated
  against the registry first and nothing is written if one fails (EventValidationError names the field).
- `read` replays from the beginning (or given offsets) up to the end seen when the call started,
  or with `follow=True` keeps going with new events as they arrive (`read_batches`: the same in lists).
- `subscribe` consumes a stream as a named group. The handler gets batches of one partition and returns
  the events it wants appended. It may be called for several partitions at once (Kafka handles the owned
  partitions' batches concurrently), never twice at once for one partition. With `exactly_once=True`
  those events and the group's new position are written in one transaction (Kafka transactions / one
  SQLite transaction): a crash never duplicates them. With `exactly_once=False` the events are appended,
  then the position committed: a crash between the two redelivers the batch (at least once).
- A record that cannot be decoded is never handed to a handler: it is put in the dead letters with the
  reason, counted and logged, and consumption goes on.
- A handler that raises stops its subscription without committing that batch; the exception comes out
  of `wait_caught_up` and of the `async with` block. A new subscription of the group starts after the
  last committed batch.
- Using a stream that was never created raises UnknownStreamError.
"""
from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from types import TracebackType

from eventstore.records import DeadLetter, Event, Position
from eventstore.registry import EventRegistry

Handler = Callable[[int, Sequence[Event]], Awaitable[Sequence[Event]]]
"""async handler(partition, batch) -> events to append (atomically with the commit when exactly-once)."""

AssignCallback = Callable[[Mapping[int, int]], Awaitable[None]]
"""Called with {partition: committed next offset} of newly assigned partitions, before any batch of them."""

RevokeCallback = Callable[[Sequence[int]], Awaitable[None]]
"""Called with the partitions taken away from this member (after their last batch finished)."""


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """A stream to create: its name and number of partitions."""

    name: str
    partitions: int = 1


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """What a subscription consumes and how: the arguments of `EventStore.subscribe`."""

    group: str
    stream: str
    handler: Handler
    exactly_once: bool
    on_assign: AssignCallback | None
    on_revoke: RevokeCallback | None
    max_batch: int


def partition_for(subject: str, partitions: int) -> int:
    """The partition of `subject` (stable across processes and backends)."""
    return zlib.crc32(subject.encode()) % partitions


class Subscription(ABC):
    """A running group consumer. Use `async with`; it stops (and commits nothing more) on exit."""

    @abstractmethod
    async def __aenter__(self) -> "Subscription": ...

    @abstractmethod
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    @abstractmethod
    async def wait_caught_up(self, timeout: float | None = None) -> None:
        """Return once every record that existed when called has been handled and committed."""

    @abstractmethod
    def lag(self) -> dict[int, int]:
        """Records not yet handled, per assigned partition (for metrics)."""


class EventStore(ABC):
    """An append-only event log. Use `async with store:` (or open()/close())."""

    registry: EventRegistry

    async def __aenter__(self) -> "EventStore":
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ensure_streams(self, specs: Sequence[StreamSpec]) -> None:
        """Create the streams that do not exist yet (Kafka: topics with retention.ms=-1, cleanup delete)."""

    @abstractmethod
    async def append(self, events: Sequence[Event]) -> list[Position]:
        """Append a batch atomically; the positions come back in the order of `events`."""

    async def read(
        self,
        stream: str,
        *,
        start: Mapping[int, int] | None = None,
        partitions: Sequence[int] | None = None,
        follow: bool = False,
    ) -> AsyncIterator[Event]:
        """Replay `stream` (all partitions, or those given) from `start` offsets (default: the beginning).

        Without `follow`, stops at the end seen when the call started. Order is kept per partition.
        """
        async with aclosing(self.read_batches(stream, start=start, partitions=partitions, follow=follow)) as batches:
            async for batch in batches:
                for event in batch:
                    yield event

    @abstractmethod
    def read_batches(
        self,
        stream: str,
        *,
        start: Mapping[int, int] | None = None,
        partitions: Sequence[int] | None = None,
        follow: bool = False,
    ) -> AsyncIterator[list[Event]]:
        """`read` in the lists of events the backend decodes at a time (each non-empty, of one partition):
        a bulk replay (the projections' rebuild) then takes no step per event."""

    @abstractmethod
    async def end_offsets(self, stream: str) -> dict[int, int]:
        """The next offset of each partition of `stream` (what a reader is caught up to)."""

    def subscribe(
        self,
        group: str,
        stream: str,
        handler: Handler,
        *,
        exactly_once: bool = True,
        on_assign: AssignCallback | None = None,
        on_revoke: RevokeCallback | None = None,
        max_batch: int = 500,
    ) -> Subscription:
        """Consume `stream` as member of `group` (see the module docstring)."""
        return self._subscription(
            SubscriptionSpec(group, stream, handler, exactly_once, on_assign, on_revoke, max_batch)
        )

    @abstractmethod
    def _subscription(self, spec: SubscriptionSpec) -> Subscription:
        """This backend's subscription for `spec`, not started yet (`async with` starts it)."""

    @abstractmethod
    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The most recent records that could not be decoded, newest last."""
