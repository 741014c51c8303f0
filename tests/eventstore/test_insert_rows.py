"""`insert_rows`: many rows in few multi-row statements, cut to SQLite's bound-parameter limit, with the
same table as row-by-row inserts."""

from __future__ import annotations

import sqlite3

import pytest

from eventstore.sqlitetx import insert_rows, write_transaction

HEAD = "INSERT INTO t (a, b, c)"


def _table(limit: int | None = None) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c BLOB)")
    if limit is not None:
        db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    return db


@pytest.mark.parametrize("limit", [None, 3, 7, 10])
def test_every_row_lands_once_in_order_across_statement_limits(limit: int | None) -> None:
    rows = [(i, f"row {i}", bytes([i % 256])) for i in range(1001)]
    db = _table(limit)
    with write_transaction(db):
        insert_rows(db, HEAD, rows)
    assert db.execute("SELECT a, b, c FROM t ORDER BY a").fetchall() == rows


def test_no_rows_is_a_no_op() -> None:
    db = _table()
    insert_rows(db, HEAD, [])
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_failing_row_rolls_the_whole_transaction_back() -> None:
    db = _table(limit=6)  # two rows a statement: the duplicate is in the second statement
    with pytest.raises(sqlite3.IntegrityError), write_transaction(db):
        insert_rows(db, HEAD, [(1, "a", b""), (2, "b", b""), (3, "c", b""), (1, "again", b"")])
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_statement_shapes_stay_few_whatever_the_batch_sizes() -> None:
    db = _table(limit=300)  # 100 rows a statement at most: chunks of 64, 32, ... 1
    shapes = set()
    db.set_trace_callback(lambda sql: shapes.add(sql.count("), (") + 1) if sql.startswith("INSERT") else None)
    start = 0
    for size in range(1, 200):
        with write_transaction(db):
            insert_rows(db, HEAD, [(start + i, "x", b"") for i in range(size)])
        start += size
    assert db.execute("SELECT count(*) FROM t").fetchone() == (start,)
    assert shapes == {1, 2, 4, 8, 16, 32, 64}
