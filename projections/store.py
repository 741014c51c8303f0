"""SQLite file of the read models: documents, audit entries and the log position they reflect.

One transaction per batch writes the documents the batch changed, its audit entries and the new
positions (stream, partition) -> next offset together, so after a crash the store is exactly the fold
of the log up to its stored positions: no event is applied twice or skipped. All database work runs
on one worker thread (stdlib sqlite3, WAL).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

import orjson

from eventstore.sqlitetx import insert_rows, write_transaction
from fleetevents.streams import HEARTBEATS
from projections.audit import ROW_FIELDS, AuditRow, audit_time
from projections.documents import Document, Key

P = ParamSpec("P")
T = TypeVar("T")

Positions = dict[tuple[str, int], int]
"""(stream, partition) -> next offset to apply."""

TABLES = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    labels TEXT NOT NULL,
    doc TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    stream TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    id TEXT NOT NULL,
    correlation_id TEXT,
    causation_id TEXT,
    placement TEXT,
    run TEXT,
    cluster TEXT,
    summary TEXT NOT NULL,
    PRIMARY KEY (stream, "partition", "offset")
);
CREATE TABLE IF NOT EXISTS positions (
    stream TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (stream, "partition")
);
"""
AUDIT_INDEXES = """
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
CREATE INDEX IF NOT EXISTS audit_placement ON audit (placement, time);
CREATE INDEX IF NOT EXISTS audit_run ON audit (run, time);
CREATE INDEX IF NOT EXISTS audit_cluster ON audit (cluster, time);
CREATE INDEX IF NOT EXISTS audit_correlation ON audit (correlation_id);
"""
"""The audit's query indexes: made with the tables, or once at the end of a bulk load (`defer_indexes`)."""

_QUOTED = {
    "partition": '"partition"', "offset": '"offset"', "correlationId": "correlation_id", "causationId": "causation_id"
}
_AUDIT_COLUMNS = tuple((field, _QUOTED.get(field, field)) for field in ROW_FIELDS)
"""(entry field, SQL column) of the audit table, in the order of `audit.row`."""
_AUDIT_SELECT = "SELECT " + ", ".join(column for _, column in _AUDIT_COLUMNS) + " FROM audit"
_AUDIT_INSERT = "INSERT INTO audit (" + ", ".join(column for _, column in _AUDIT_COLUMNS) + ")"
_EXACT_FILTERS = {
    "placement": "placement",
    "run": "run",
    "cluster": "cluster",
    "actor": "actor",
    "stream": "stream",
    "correlation_id": "correlation_id",
}


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True)
class Batch:
    """What one batch of events produced: changed documents (None = deleted), when each last changed,
    the audit entries, and the positions after the batch."""

    changes: Mapping[Key, Document | None]
    updated: Mapping[Key, str]
    audit: Sequence[AuditRow]
    positions: Positions
    previous: Positions
    """The positions the batch was folded from (of the partitions in `positions`)."""


class ConcurrentWriterError(RuntimeError):
    """Another projection runner advanced the file: one runner per projection file."""


@dataclass(frozen=True)
class AuditFilter:
    """Audit query: exact matches, a type (exact, or a prefix ending in `.` or `*`), a time range
    [since, until], newest `limit` entries (in time order). Heartbeats (routine, frequent) are left out
    unless `heartbeats` is true or `stream="heartbeats"` is asked for."""

    placement: str | None = None
    run: str | None = None
    cluster: str | None = None
    actor: str | None = None
    stream: str | None = None
    correlation_id: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = 1000
    heartbeats: bool = False

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if not self.heartbeats and self.stream is None:
            clauses.append("stream != ?")
            args.append(HEARTBEATS)
        for field, column in _EXACT_FILTERS.items():
            value = getattr(self, field)
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if self.type is not None:
            if self.type.endswith(("*", ".")):
                clauses.append("type LIKE ? ESCAPE '\\'")
                prefix = self.type.rstrip("*").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                args.append(prefix + "%")
            else:
                clauses.append("type = ?")
                args.append(self.type)
        if self.since is not None:
            clauses.append("time >= ?")
            args.append(audit_time(self.since))
        if self.until is not None:
            clauses.append("time <= ?")
            args.append(audit_time(self.until))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class ProjectionStore:
    """The read models' SQLite file. Use `async with`; `load()` gives what to resume from."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0, defer_indexes: bool = False) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._defer_indexes = defer_indexes
        self._db: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None

    async def __aenter__(self) -> ProjectionStore:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="projections-db")
        self._db = await self._call(self._connect)

    async def close(self) -> None:
        if self._db is not None:
            await self._call(self._db.close)
            self._db = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def load(self) -> tuple[list[Document], Positions]:
        """Every stored document and the positions they reflect."""
        return await self._call(self._load)

    async def commit(self, batch: Batch) -> None:
        """Write a batch's documents, audit entries and positions in one transaction."""
        await self._call(self._commit, batch)

    async def create_indexes(self) -> None:
        """Make the audit's query indexes (at the end of a bulk load opened with `defer_indexes=True`:
        one sort each instead of an index update per inserted entry), sync the file, and keep it synced
        from then on."""
        await self._call(self._create_indexes)

    async def audit(self, query: AuditFilter) -> list[dict[str, Any]]:
        return await self._call(self._audit, query)

    async def placements_of_run(self, run: str) -> set[str]:
        """The placements the audit entries of run `run` name (one, unless the name was used again)."""
        return await self._call(self._placements_of_run, run)

    async def audit_count(self) -> int:
        return await self._call(lambda: self._conn.execute("SELECT count(*) FROM audit").fetchone()[0])

    # --- worker thread ------------------------------------------------------------------------------

    async def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._executor is None:
            raise RuntimeError(f"the projection store {self.path} is not open: use `async with` or open()")
        return await asyncio.get_running_loop().run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError(f"the projection store {self.path} is closed")
        return self._db

    _DURABLE = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL"
    _BULK_LOAD = "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
        # A bulk load (a rebuild into a fresh file, useless if it stops half way) writes each page once, with
        # no write-ahead log and no fsync; `create_indexes` syncs the file and turns both on.
        _execute_all(db, self._BULK_LOAD if self._defer_indexes else self._DURABLE)
        with write_transaction(db):
            _execute_all(db, TABLES)
            if not self._defer_indexes:
                _execute_all(db, AUDIT_INDEXES)
        return db

    def _create_indexes(self) -> None:
        # The sorts use every CPU (the bulk load is over): 1,000,000 entries took 1.9 s instead of 2.3 on 2 CPUs.
        self._conn.execute(f"PRAGMA threads = {os.cpu_count() or 1}")
        with write_transaction(self._conn) as db:  # still the bulk load: each index page is written once
            _execute_all(db, AUDIT_INDEXES)
        self._conn.execute("PRAGMA threads = 0")
        _execute_all(self._conn, self._DURABLE)
        with open(self.path, "rb") as file:  # what the bulk load wrote without syncing is on disk from now on
            os.fsync(file.fileno())

    def _load(self) -> tuple[list[Document], Positions]:
        db = self._conn
        docs = [orjson.loads(doc) for (doc,) in db.execute("SELECT doc FROM documents")]
        positions = {(s, p): n for s, p, n in db.execute('SELECT stream, "partition", next_offset FROM positions')}
        return docs, positions

    def _commit(self, batch: Batch) -> None:
        deleted = [key for key, doc in batch.changes.items() if doc is None]
        upserts = [
            (
                kind,
                namespace,
                name,
                _json(doc["metadata"].get("labels") or {}),
                _json(doc),
                doc["metadata"].get("creationTimestamp") or "",
                batch.updated[(kind, namespace, name)],
            )
            for (kind, namespace, name), doc in batch.changes.items()
            if doc is not None
        ]
        with write_transaction(self._conn) as db:
            self._check_positions(db, batch.previous)
            db.executemany("DELETE FROM documents WHERE kind = ? AND namespace = ? AND name = ?", deleted)
            insert_rows(
                db, "INSERT OR REPLACE INTO documents (kind, namespace, name, labels, doc, created, updated)", upserts
            )
            insert_rows(db, _AUDIT_INSERT, batch.audit)
            insert_rows(
                db, 'INSERT OR REPLACE INTO positions (stream, "partition", next_offset)',
                [(stream, partition, offset) for (stream, partition), offset in batch.positions.items()],
            )

    def _check_positions(self, db: sqlite3.Connection, previous: Positions) -> None:
        for (stream, partition), expected in previous.items():
            row = db.execute(
                'SELECT next_offset FROM positions WHERE stream = ? AND "partition" = ?', (stream, partition)
            ).fetchone()
            stored = row[0] if row else 0
            if stored != expected:
                raise ConcurrentWriterError(
                    f"{self.path} was advanced by another projection runner ({stream}[{partition}] is at {stored}, "
                    f"this runner expected {expected}): run one projection runner per file"
                )

    def _placements_of_run(self, run: str) -> set[str]:
        rows = self._conn.execute(
            "SELECT DISTINCT placement FROM audit WHERE run = ? AND placement IS NOT NULL", (run,)
        )
        return {placement for (placement,) in rows}

    def _audit(self, query: AuditFilter) -> list[dict[str, Any]]:
        where, args = query.where()
        sql = f'{_AUDIT_SELECT}{where} ORDER BY time DESC, stream DESC, "partition" DESC, "offset" DESC'
        if query.limit is not None:
            sql += " LIMIT ?"
            args.append(query.limit)
        rows = self._conn.execute(sql, args).fetchall()
        return [dict(zip((field for field, _ in _AUDIT_COLUMNS), row, strict=True)) for row in reversed(rows)]


def _execute_all(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def default_path(event_store_path: str | Path) -> Path:
    """Where the read models live by default: beside the embedded event store file (`fleet.db` ->
    `fleet.projections.db`)."""
    path = Path(event_store_path)
    return path.with_name(f"{path.stem}.projections.db")
