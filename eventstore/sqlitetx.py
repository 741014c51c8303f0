"""SQLite write helpers shared by the embedded event store and the projections' store: one write
transaction on an autocommit connection (`BEGIN IMMEDIATE`, then COMMIT, or ROLLBACK on any exception,
re-raised), and inserting many rows with few statements (`insert_rows`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from typing import Any


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


def insert_rows(db: sqlite3.Connection, head: str, rows: Sequence[Sequence[Any]]) -> None:
    """`head` (`INSERT [OR ...] INTO table (columns)`) for every row of `rows` (all as wide as the column
    list), as few multi-row `VALUES` statements as SQLite's bound-parameter limit allows.

    Not `executemany`: the sqlite3 module lets go of the GIL around each row's step, and a thread busy
    with Python code meanwhile keeps it for up to the switch interval (5 ms), so with another busy
    thread in the process a batch of rows crawls (measured: 2.5 us a row alone, over 1 ms beside a busy
    thread). One statement per chunk lets go of it once per chunk. Chunks hold a power of two of rows,
    so a table has a dozen statement shapes at most (each compiled one is kept in the connection's cache)."""
    if not rows:
        return
    width = len(rows[0])
    most = _power_of_two_at_most(max(1, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    first = 0
    while first < len(rows):
        count = _power_of_two_at_most(min(most, len(rows) - first))
        chunk = rows[first : first + count]
        db.execute(_multi_row(head, width, count), list(chain.from_iterable(chunk)))
        first += count


def _power_of_two_at_most(n: int) -> int:
    return 1 << (n.bit_length() - 1)


@lru_cache(maxsize=256)
def _multi_row(head: str, width: int, count: int) -> str:
    one = "(" + ", ".join("?" * width) + ")"
    return f"{head} VALUES " + ", ".join([one] * count)
