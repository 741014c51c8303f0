"""Embedded event store: one SQLite file in WAL mode, shared safely by several processes on one machine.

Every database call runs on one dedicated worker thread per store (stdlib sqlite3, autocommit mode,
`BEGIN IMMEDIATE` for each write transaction, a busy timeout for the other processes). Offsets are
dense from 0 per (stream, partition). Readers wake at once on this process's writes, and on other
processes' commits through `eventstore.wakeups` (a datagram per commit); where Unix sockets cannot be
used, by polling `PRAGMA data_version` (every few milliseconds while someone waits).
Group membership is a lease row per (group, stream) renewed while the member runs; every commit
checks, in its own transaction, that the lease is still the member's (fencing).
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

import orjson

from eventstore.errors import FencedError, StoreClosedError, UnknownStreamError
from eventstore.locallog import LocalLogStore, Prepared, prepare
from eventstore.records import DeadLetter, Event, Position
from eventstore.registry import EventRegistry
from eventstore.rowdecode import DEFAULT_ACTOR, DEFAULT_CONTENT_TYPE, DEFAULT_SOURCE, Row
from eventstore.sqlitetx import insert_rows, write_transaction
from eventstore.store import StreamSpec
from eventstore.wakeups import Wakeups

SETUP_RETRY = 0.01
"""Seconds between tries to set a new file up while another process does the same."""

P = ParamSpec("P")
T = TypeVar("T")

SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS streams (
    name TEXT PRIMARY KEY,
    partitions INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    stream TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    correlationid TEXT,
    causationid TEXT,
    source TEXT NOT NULL,
    datacontenttype TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (stream, "partition", "offset")
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_positions (
    "group" TEXT NOT NULL,
    stream TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY ("group", stream, "partition")
);
CREATE TABLE IF NOT EXISTS group_leases (
    "group" TEXT NOT NULL,
    stream TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY ("group", stream)
);
CREATE TABLE IF NOT EXISTS dead_letters (
    stream TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    reason TEXT NOT NULL,
    key BLOB,
    value BLOB,
    headers BLOB NOT NULL,
    time TEXT NOT NULL,
    UNIQUE (stream, "partition", "offset")
);
COMMIT;
"""

INSERT_EVENTS = (
    'INSERT INTO events (stream, "partition", "offset", id, type, subject, time, actor, correlationid,'
    " causationid, source, datacontenttype, body)"
)
SELECT_ROWS = (
    'SELECT "offset", id, type, subject, time, NULLIF(actor, ?), correlationid, causationid, NULLIF(source, ?),'
    ' NULLIF(datacontenttype, ?), body FROM events'
    ' WHERE stream = ? AND "partition" = ? AND "offset" >= ? AND "offset" < ? ORDER BY "offset" LIMIT ?'
)
"""Rows of one partition in offset order; the Event defaults of actor, source and datacontenttype come back
as NULL (`rowdecode` fills in the one shared default string: less to build and to keep per event)."""
_ROW_DEFAULTS = (DEFAULT_ACTOR, DEFAULT_SOURCE, DEFAULT_CONTENT_TYPE)
_MAX_OFFSET = 'SELECT MAX("offset") FROM events WHERE stream = ? AND "partition" = ?'
_NO_STOP = 2**62

_POLL_MIN = 0.002
_POLL_MAX = 0.05


class SqliteEventStore(LocalLogStore):
    """The embedded event store in the SQLite file at `path` (created on open)."""

    def __init__(
        self,
        registry: EventRegistry,
        path: str | Path,
        *,
        lease_ttl: float = 10.0,
        max_idle: float = 0.25,
        busy_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(registry, lease_ttl=lease_ttl, max_idle=max_idle)
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._poller: asyncio.Task[None] | None = None
        self._wakeups: Wakeups | None = None
        self._partitions: dict[str, int] = {}

    async def open(self) -> None:
        if self._db is not None:
            return
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"eventstore-{self.path.name}")
        self._db = await asyncio.get_running_loop().run_in_executor(self._executor, self._connect)
        wakeups = Wakeups(self.path.resolve().with_name(f"{self.path.name}.wake"), self._signal.fire)
        if wakeups.open():
            self._wakeups = wakeups
        else:
            self._poller = asyncio.create_task(self._watch_other_writers(), name=f"eventstore-watch-{self.path.name}")

    async def close(self) -> None:
        if self._db is None or self._executor is None:
            return
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.wait([self._poller])
            self._poller = None
        if self._wakeups is not None:
            self._wakeups.close()
            self._wakeups = None
        db, executor = self._db, self._executor
        self._db = None
        await asyncio.get_running_loop().run_in_executor(executor, db.close)
        executor.shutdown()

    async def ensure_streams(self, specs: Sequence[StreamSpec]) -> None:
        await self._call(self._ensure_streams, list(specs))

    async def append(self, events: Sequence[Event]) -> list[Position]:
        if not events:
            return []
        positions = await self._call(self._append, events)
        self._changed()
        return positions

    async def end_offsets(self, stream: str) -> dict[int, int]:
        return await self._call(self._end_offsets, stream)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return await self._call(self._dead_letters, limit)

    # --- LocalLogStore primitives -------------------------------------------------------------------

    async def _partition_count(self, stream: str) -> int:
        return await self._call(self._partitions_of, stream)

    async def _fetch(self, stream: str, partition: int, start: int, stop: int | None, limit: int) -> list[Row]:
        return await self._call(self._select, stream, partition, start, _NO_STOP if stop is None else stop, limit)

    async def _store_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        await self._call(self._insert_dead_letters, letters)

    async def _claim(self, group: str, stream: str, owner: str) -> bool:
        return await self._call(self._claim_lease, group, stream, owner)

    async def _release(self, group: str, stream: str, owner: str) -> None:
        await self._call(self._release_lease, group, stream, owner)
        self._changed()

    async def _committed(self, group: str, stream: str) -> dict[int, int]:
        return await self._call(self._group_positions, group, stream)

    async def _commit(
        self, group: str, stream: str, owner: str, partition: int, next_offset: int, events: Sequence[Event]
    ) -> None:
        await self._call(self._commit_batch, group, stream, owner, partition, next_offset, events)
        if events:
            self._changed()

    # --- plumbing -------------------------------------------------------------------------------------

    async def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._db is None:
            raise StoreClosedError(f"the event store {self.path} is not open: use `async with store:` or open()")
        return await asyncio.get_running_loop().run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def _changed(self) -> None:
        """After a commit others may wait for: wake this process's readers and the other processes'."""
        self._signal.fire()
        if self._wakeups is not None:
            self._wakeups.notify()

    async def _watch_other_writers(self) -> None:
        """Fire the change signal when another connection commits (polled while someone waits)."""
        version = await self._call(self._data_version)
        interval = _POLL_MIN
        while True:
            await asyncio.sleep(interval)
            if not self._signal.waiters:
                interval = _POLL_MAX
                continue
            current = await self._call(self._data_version)
            if current != version:
                version = current
                interval = _POLL_MIN
                self._signal.fire()
            else:
                interval = min(interval * 2, _POLL_MAX)

    # --- synchronous database work (worker thread only) ----------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                db.executescript(SCHEMA)
                return db
            except sqlite3.OperationalError as exc:
                # Processes opening a new file at once (a hub and its agents starting together): switching
                # it to WAL fails at once with "database is locked", without waiting for the busy timeout.
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    db.close()
                    raise
                time.sleep(SETUP_RETRY)

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreClosedError(f"the event store {self.path} is closed")
        return self._db

    def _data_version(self) -> int:
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _ensure_streams(self, specs: list[StreamSpec]) -> None:
        with write_transaction(self._conn) as db:
            db.executemany(
                "INSERT OR IGNORE INTO streams (name, partitions) VALUES (?, ?)", [(s.name, s.partitions) for s in specs]
            )

    def _partitions_of(self, stream: str) -> int:
        count = self._partitions.get(stream)
        if count is None:
            row = self._conn.execute("SELECT partitions FROM streams WHERE name = ?", (stream,)).fetchone()
            if row is None:
                raise UnknownStreamError(stream)
            count = self._partitions[stream] = row[0]
        return count

    def _append(self, events: Sequence[Event]) -> list[Position]:
        prepared = prepare(self.registry, events, self._partitions_of)
        with write_transaction(self._conn) as db:
            return self._insert(db, prepared)

    def _insert(self, db: sqlite3.Connection, prepared: Sequence[Prepared]) -> list[Position]:
        heads: dict[tuple[str, int], int] = {}
        positions: list[Position] = []
        rows = []
        for stream, partition, envelope in prepared:
            key = (stream, partition)
            offset = heads.get(key)
            if offset is None:
                last = db.execute(_MAX_OFFSET, key).fetchone()[0]
                offset = 0 if last is None else last + 1
            heads[key] = offset + 1
            positions.append(Position(partition, offset))
            rows.append((stream, partition, offset, *envelope))
        insert_rows(db, INSERT_EVENTS, rows)
        return positions

    def _select(self, stream: str, partition: int, start: int, stop: int, limit: int) -> list[Row]:
        return self._conn.execute(SELECT_ROWS, (*_ROW_DEFAULTS, stream, partition, start, stop, limit)).fetchall()

    def _end_offsets(self, stream: str) -> dict[int, int]:
        db = self._conn
        ends = {}
        for partition in range(self._partitions_of(stream)):
            last = db.execute(_MAX_OFFSET, (stream, partition)).fetchone()[0]
            ends[partition] = 0 if last is None else last + 1
        return ends

    def _insert_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        rows = [
            (
                letter.stream,
                letter.position.partition if letter.position else -1,
                letter.position.offset if letter.position else -1,
                letter.reason,
                letter.key,
                letter.value,
                orjson.dumps([[name, value.decode("utf-8", "replace")] for name, value in letter.headers]),
                letter.time.isoformat(),
            )
            for letter in letters
        ]
        with write_transaction(self._conn) as db:
            db.executemany(
                'INSERT OR IGNORE INTO dead_letters (stream, "partition", "offset", reason, key, value, headers, time)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def _dead_letters(self, limit: int) -> list[DeadLetter]:
        rows = self._conn.execute(
            'SELECT stream, "partition", "offset", reason, key, value, headers, time FROM dead_letters'
            " ORDER BY rowid DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            DeadLetter(
                stream=stream,
                position=Position(partition, offset) if offset >= 0 else None,
                reason=reason,
                key=key,
                value=value,
                headers=tuple((name, text.encode()) for name, text in orjson.loads(headers)),
                time=datetime.fromisoformat(at),
            )
            for stream, partition, offset, reason, key, value, headers, at in reversed(rows)
        ]

    def _held_by_other(self, group: str, stream: str, owner: str, now: float) -> bool:
        row = self._conn.execute(
            'SELECT owner, expires FROM group_leases WHERE "group" = ? AND stream = ?', (group, stream)
        ).fetchone()
        return row is not None and row[0] != owner and row[1] > now

    def _claim_lease(self, group: str, stream: str, owner: str) -> bool:
        now = self._clock()
        if self._held_by_other(group, stream, owner, now):  # a waiting member looks without taking the write lock
            return False
        with write_transaction(self._conn) as db:
            if self._held_by_other(group, stream, owner, now):
                return False
            db.execute(
                'INSERT OR REPLACE INTO group_leases ("group", stream, owner, expires) VALUES (?, ?, ?, ?)',
                (group, stream, owner, now + self.lease_ttl),
            )
            return True

    def _release_lease(self, group: str, stream: str, owner: str) -> None:
        with write_transaction(self._conn) as db:
            db.execute('DELETE FROM group_leases WHERE "group" = ? AND stream = ? AND owner = ?', (group, stream, owner))

    def _group_positions(self, group: str, stream: str) -> dict[int, int]:
        rows = self._conn.execute(
            'SELECT "partition", next_offset FROM group_positions WHERE "group" = ? AND stream = ?', (group, stream)
        )
        return dict(rows.fetchall())

    def _commit_batch(
        self, group: str, stream: str, owner: str, partition: int, next_offset: int, events: Sequence[Event]
    ) -> None:
        prepared = prepare(self.registry, events, self._partitions_of)
        with write_transaction(self._conn) as db:
            row = db.execute(
                'SELECT owner FROM group_leases WHERE "group" = ? AND stream = ?', (group, stream)
            ).fetchone()
            if row is None or row[0] != owner:
                raise FencedError(f"group {group!r} on {stream!r} is now served by another member")
            db.execute(
                'UPDATE group_leases SET expires = ? WHERE "group" = ? AND stream = ?',
                (self._clock() + self.lease_ttl, group, stream),
            )
            if prepared:
                self._insert(db, prepared)
            db.execute(
                'INSERT OR REPLACE INTO group_positions ("group", stream, "partition", next_offset) VALUES (?, ?, ?, ?)',
                (group, stream, partition, next_offset),
            )
