"""One SQLite write transaction on an autocommit connection: `BEGIN IMMEDIATE`, then COMMIT, or ROLLBACK
on any exception (re-raised). Shared by the embedded event store and the projections' store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`with write_transaction(db) as db:` takes the write lock at the start, so the busy timeout applies
    (a deferred transaction that upgrades to writing later fails at once with SQLITE_BUSY)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
