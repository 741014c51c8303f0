"""Read, subscribe and dead-letter machinery shared by the single-host backends (memory and SQLite).

A single-host backend keeps, per (stream, partition), rows of dense offsets (`Row`: the envelope
columns and the JSON payload) and implements a few primitives: fetch rows, end offsets, a group lease
with expiry, and an atomic "append these events and move the group position" commit. `LocalLogStore`
turns them into `read`, `subscribe` and dead-lettering; a `ChangeSignal` wakes readers when the log grows.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from abc import abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

from eventstore.changesignal import ChangeSignal
from eventstore.errors import FencedError, StoreClosedError
from eventstore.groupsubscription import GroupSubscription
from eventstore.records import DeadLetter, Event
from eventstore.registry import EventRegistry
from eventstore.rowdecode import Envelope, Row, RowDecoder
from eventstore.store import EventStore, Subscription, SubscriptionSpec, partition_for

log = logging.getLogger(__name__)

Prepared = tuple[str, int, Envelope]
"""An event ready to be written: stream, partition, envelope."""


def prepare(registry: EventRegistry, events: Sequence[Event], partitions_of: Callable[[str], int]) -> list[Prepared]:
    """Validate every event against the registry, then encode it. Raises before anything is written."""
    for event in events:
        registry.check(event.type, event.data)
    encode = registry.payload_bytes
    return [
        (
            event.stream,
            partition_for(event.subject, partitions_of(event.stream)),
            (
                event.id,
                event.type,
                event.subject,
                event.time.isoformat(),
                event.actor,
                event.correlationid,
                event.causationid,
                event.source,
                event.datacontenttype,
                encode(event),
            ),
        )
        for event in events
    ]


class LocalLogStore(EventStore):
    """An `EventStore` over the primitives of a single-host log (see the module docstring).

    `lease_ttl` is how long a group member keeps its membership without renewing it (renewed every
    third of it while running); `max_idle` is the longest a follower waits before looking again when
    nothing woke it.
    """

    read_chunk = 2000
    """Rows fetched per query while reading."""
    decode_slice = 100
    """Rows decoded at a time while reading: small enough that events a reader drops die young (cheap GC)."""

    def __init__(self, registry: EventRegistry, *, lease_ttl: float = 10.0, max_idle: float = 0.25) -> None:
        self.registry = registry
        self.lease_ttl = lease_ttl
        self.max_idle = max_idle
        self._signal = ChangeSignal()
        self._decoder = RowDecoder(registry)

    # --- primitives every backend implements -------------------------------------------------------

    @abstractmethod
    async def _partition_count(self, stream: str) -> int:
        """Partitions of `stream`; UnknownStreamError when it does not exist."""

    @abstractmethod
    async def _fetch(self, stream: str, partition: int, start: int, stop: int | None, limit: int) -> list[Row]:
        """Up to `limit` rows with start <= offset < stop (no upper bound when stop is None), in order."""

    @abstractmethod
    async def _store_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Keep `letters` (once per position)."""

    @abstractmethod
    async def _claim(self, group: str, stream: str, owner: str) -> bool:
        """Take or renew the membership of (group, stream) for `lease_ttl`; False while another owner holds it."""

    @abstractmethod
    async def _release(self, group: str, stream: str, owner: str) -> None:
        """Give up the membership if `owner` holds it."""

    @abstractmethod
    async def _committed(self, group: str, stream: str) -> dict[int, int]:
        """The group's committed next offset per partition (partitions never committed are left out)."""

    @abstractmethod
    async def _commit(
        self, group: str, stream: str, owner: str, partition: int, next_offset: int, events: Sequence[Event]
    ) -> None:
        """Append `events` and set the group position in one transaction; FencedError unless `owner` is member."""

    # --- the EventStore operations built on them --------------------------------------------------

    async def read_batches(
        self,
        stream: str,
        *,
        start: Mapping[int, int] | None = None,
        partitions: Sequence[int] | None = None,
        follow: bool = False,
    ) -> AsyncIterator[list[Event]]:
        count = await self._partition_count(stream)
        chosen = check_partitions(stream, count, partitions)
        positions = {p: (start or {}).get(p, 0) for p in chosen}
        stops: Mapping[int, int | None] = (
            dict.fromkeys(chosen) if follow else await self.end_offsets(stream)
        )
        while True:
            token = self._signal.token()
            busy = False
            for p in chosen:
                stop = stops[p]
                if stop is not None and positions[p] >= stop:
                    continue
                rows = await self._fetch(stream, p, positions[p], stop, self.read_chunk)
                if not rows:
                    continue
                busy = True
                positions[p] = rows[-1][0] + 1
                for first in range(0, len(rows), self.decode_slice):
                    events = await self._decode(stream, p, rows[first : first + self.decode_slice])
                    if events:
                        yield events
            if not busy:
                if not follow:
                    return
                await self._signal.wait(token, self.max_idle)

    def _subscription(self, spec: SubscriptionSpec) -> Subscription:
        return LocalSubscription(self, spec)

    async def _decode(self, stream: str, partition: int, rows: Sequence[Row]) -> list[Event]:
        events, dead = self._decoder.decode(stream, partition, rows)
        if dead:
            for letter in dead:
                log.warning("dead-lettered %s record at %s: %s", letter.stream, letter.position, letter.reason)
            await self._store_dead_letters(dead)
        return events


def check_partitions(stream: str, count: int, partitions: Sequence[int] | None) -> list[int]:
    if partitions is None:
        return list(range(count))
    for p in partitions:
        if not 0 <= p < count:
            raise ValueError(f"partition {p} does not exist in stream {stream!r}: it has partitions 0..{count - 1}")
    return list(partitions)


class LocalSubscription(GroupSubscription[LocalLogStore]):
    """One group member of a single-host store: holds the (group, stream) lease, so all partitions."""

    def __init__(self, store: LocalLogStore, spec: SubscriptionSpec) -> None:
        super().__init__(store, spec)
        self._owner = f"{spec.group}:{uuid.uuid4()}"
        self._positions: dict[int, int] = {}
        self._ends: dict[int, int] = {}
        self._assigned = False
        self._lost = False

    def lag(self) -> dict[int, int]:
        return {p: max(0, self._ends.get(p, pos) - pos) for p, pos in self._positions.items()}

    def _caught_up(self, targets: dict[int, int]) -> bool:
        return self._assigned and all(self._positions.get(p, 0) >= end for p, end in targets.items())

    async def _run(self) -> None:
        try:
            while True:
                await self._acquire()
                try:
                    await self._serve()
                except FencedError as exc:
                    log.warning("group %s lost %s: %s", self._group, self._stream, exc)
                    await self._revoke()
        except Exception as exc:
            log.error("subscription %s on %s stopped: %r", self._group, self._stream, exc)
            self._error = exc
            self._progress.fire()
            await self._stop()

    async def _acquire(self) -> None:
        signal = self._store._signal
        while True:
            token = signal.token()
            if await self._store._claim(self._group, self._stream, self._owner):
                return
            await signal.wait(token, self._store.lease_ttl / 4)

    async def _serve(self) -> None:
        store = self._store
        count = await store._partition_count(self._stream)
        committed = await store._committed(self._group, self._stream)
        self._positions = {p: committed.get(p, 0) for p in range(count)}
        self._lost = False
        if self._on_assign is not None:
            await self._on_assign(dict(self._positions))
        self._assigned = True
        self._progress.fire()
        renewer = asyncio.create_task(self._keep_lease())
        try:
            while True:
                token = store._signal.token()
                if self._lost:
                    raise FencedError(f"the lease of group {self._group!r} on {self._stream!r} expired")
                self._ends = await store.end_offsets(self._stream)
                busy = False
                for p, position in self._positions.items():
                    end = self._ends.get(p, 0)
                    if position < end:
                        await self._handle(p, position, end)
                        busy = True
                if not busy:
                    await store._signal.wait(token, store.max_idle)
        finally:
            renewer.cancel()

    async def _keep_lease(self) -> None:
        store = self._store
        while not self._lost:
            await asyncio.sleep(store.lease_ttl / 3)
            if not await store._claim(self._group, self._stream, self._owner):
                self._lost = True
                store._signal.fire()

    async def _handle(self, partition: int, position: int, end: int) -> None:
        store = self._store
        rows = await store._fetch(self._stream, partition, position, end, self._max_batch)
        if not rows:
            return
        events = await store._decode(self._stream, partition, rows)
        outputs = (await self._handler(partition, events) or ()) if events else ()
        next_offset = rows[-1][0] + 1
        if self._exactly_once:
            await store._commit(self._group, self._stream, self._owner, partition, next_offset, outputs)
        else:
            if outputs:
                await store.append(outputs)
            await store._commit(self._group, self._stream, self._owner, partition, next_offset, ())
        self._positions[partition] = next_offset
        self._progress.fire()

    async def _revoke(self) -> None:
        if not self._assigned:
            return
        self._assigned = False
        if self._on_revoke is not None:
            await self._on_revoke(list(self._positions))

    async def _stop(self) -> None:
        """Hand the partitions back and give up the membership (again harmless)."""
        await self._revoke()
        try:
            await self._store._release(self._group, self._stream, self._owner)
        except StoreClosedError:
            log.info("store closed before subscription %s on %s released its lease", self._group, self._stream)
