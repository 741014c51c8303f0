"""In-process event store for unit tests: the same semantics as the durable backends, kept in dicts.

Payloads are stored encoded and decoded on every read, as the durable backends do, so a payload that
does not survive a round trip fails here too. `inject_raw` is the test hook that stores a record
without validation (to exercise dead-lettering).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from eventstore.errors import FencedError, StoreClosedError, UnknownStreamError
from eventstore.locallog import LocalLogStore, Prepared, prepare
from eventstore.records import DeadLetter, Event, Position
from eventstore.registry import EventRegistry
from eventstore.rowdecode import Row
from eventstore.store import StreamSpec, partition_for


class MemoryEventStore(LocalLogStore):
    """An event store that lives as long as this object (groups survive their subscriptions)."""

    def __init__(
        self,
        registry: EventRegistry,
        *,
        lease_ttl: float = 10.0,
        max_idle: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(registry, lease_ttl=lease_ttl, max_idle=max_idle)
        self._clock = clock
        self._open = False
        self._logs: dict[str, list[list[Row]]] = {}
        self._positions: dict[tuple[str, str], dict[int, int]] = {}
        self._leases: dict[tuple[str, str], tuple[str, float]] = {}
        self._dead: dict[tuple[str, Position | None], DeadLetter] = {}

    async def open(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False

    async def ensure_streams(self, specs: Sequence[StreamSpec]) -> None:
        self._check_open()
        for spec in specs:
            self._logs.setdefault(spec.name, [[] for _ in range(spec.partitions)])

    async def append(self, events: Sequence[Event]) -> list[Position]:
        self._check_open()
        positions = self._write(prepare(self.registry, events, self._partitions_of))
        self._signal.fire()
        return positions

    async def end_offsets(self, stream: str) -> dict[int, int]:
        return {p: len(rows) for p, rows in enumerate(self._log(stream))}

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        self._check_open()
        return list(self._dead.values())[-limit:] if limit > 0 else []

    def inject_raw(self, stream: str, subject: str, type_: str, body: bytes) -> Position:
        """Test hook: store a record as is, without validating or encoding it."""
        partition = partition_for(subject, self._partitions_of(stream))
        now = datetime.now(timezone.utc).isoformat()
        envelope = ("injected", type_, subject, now, "test", None, None, "test", "application/json", body)
        [position] = self._write([(stream, partition, envelope)])
        self._signal.fire()
        return position

    # --- LocalLogStore primitives -------------------------------------------------------------------

    async def _partition_count(self, stream: str) -> int:
        return len(self._log(stream))

    async def _fetch(self, stream: str, partition: int, start: int, stop: int | None, limit: int) -> list[Row]:
        rows = self._log(stream)[partition]
        end = len(rows) if stop is None else min(stop, len(rows))
        return rows[start : min(end, start + limit)]

    async def _store_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            self._dead.setdefault((letter.stream, letter.position), letter)

    async def _claim(self, group: str, stream: str, owner: str) -> bool:
        self._check_open()
        holder = self._leases.get((group, stream))
        now = self._clock()
        if holder is not None and holder[0] != owner and holder[1] > now:
            return False
        self._leases[(group, stream)] = (owner, now + self.lease_ttl)
        return True

    async def _release(self, group: str, stream: str, owner: str) -> None:
        holder = self._leases.get((group, stream))
        if holder is not None and holder[0] == owner:
            del self._leases[(group, stream)]
            self._signal.fire()

    async def _committed(self, group: str, stream: str) -> dict[int, int]:
        return dict(self._positions.get((group, stream), {}))

    async def _commit(
        self, group: str, stream: str, owner: str, partition: int, next_offset: int, events: Sequence[Event]
    ) -> None:
        self._check_open()
        prepared = prepare(self.registry, events, self._partitions_of)
        holder = self._leases.get((group, stream))
        if holder is None or holder[0] != owner:
            raise FencedError(f"group {group!r} on {stream!r} is now served by another member")
        self._write(prepared)
        self._positions.setdefault((group, stream), {})[partition] = next_offset
        if prepared:
            self._signal.fire()

    # --- helpers --------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._open:
            raise StoreClosedError("the memory event store is not open: use `async with store:` or open()")

    def _log(self, stream: str) -> list[list[Row]]:
        self._check_open()
        try:
            return self._logs[stream]
        except KeyError:
            raise UnknownStreamError(stream) from None

    def _partitions_of(self, stream: str) -> int:
        return len(self._log(stream))

    def _write(self, prepared: Sequence[Prepared]) -> list[Position]:
        """Store already validated records (all partitions were checked by `prepare`)."""
        positions = []
        for stream, partition, envelope in prepared:
            rows = self._logs[stream][partition]
            positions.append(Position(partition, len(rows)))
            rows.append((len(rows), *envelope))
        return positions
