"""What only the embedded SQLite store promises: a durable file shared by several processes."""
from __future__ import annotations

import asyncio
import socket
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from eventstore import StreamSpec
from eventstore.sqlite import SqliteEventStore
from tests.eventstore.collect import WAIT, Collector
from tests.eventstore.ledger import audit_handler, by_partition, deposits, read_all
from tests.eventstore.payloads import registry

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import asyncio, sys
from eventstore.sqlite import SqliteEventStore
from tests.eventstore.ledger import deposits
from tests.eventstore.payloads import registry

async def main():
    async with SqliteEventStore(registry, sys.argv[1]) as store:
        for start in range(0, 30, 10):
            await store.append(deposits(30)[start : start + 10])

asyncio.run(main())
"""


async def test_events_and_group_positions_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    first = Collector()
    async with SqliteEventStore(registry, path) as store:
        await store.ensure_streams([StreamSpec("ledger", 2), StreamSpec("audit", 1)])
        await store.append(deposits(8))
        async with store.subscribe("auditor", "ledger", audit_handler(first)) as sub:
            await sub.wait_caught_up(WAIT)
        written = [e.id for e in await read_all(store, "ledger")]

    assigned: list[dict[int, int]] = []

    async def on_assign(positions: dict[int, int]) -> None:
        assigned.append(dict(positions))

    later = Collector()
    async with SqliteEventStore(registry, path) as reopened:
        assert [e.id for e in await read_all(reopened, "ledger")] == written
        await reopened.append(deposits(2))
        async with reopened.subscribe("auditor", "ledger", audit_handler(later), on_assign=on_assign) as sub:
            await sub.wait_caught_up(WAIT)
        assert len(await read_all(reopened, "audit")) == 10

    assert sum(assigned[0].values()) == 8 and len(later.events) == 2
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_processes_appending_at_once_get_dense_offsets_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with SqliteEventStore(registry, path) as store:
        await store.ensure_streams([StreamSpec("ledger", 3)])
        writers = [
            await asyncio.create_subprocess_exec(sys.executable, "-c", WRITER, str(path), cwd=ROOT) for _ in range(2)
        ]
        for start in range(0, 30, 5):
            await store.append(deposits(30)[start : start + 5])
        assert [await writer.wait() for writer in writers] == [0, 0]

        events = await read_all(store, "ledger")

    assert len(events) == 90
    for partition, ids in by_partition(events).items():
        offsets = [e.position.offset for e in events if e.position.partition == partition]  # type: ignore[union-attr]
        assert offsets == list(range(len(ids)))


async def test_a_follower_sees_events_another_process_appends(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    seen = Collector()
    async with SqliteEventStore(registry, path, max_idle=3600.0) as store:  # woken by the commits, never by time
        await store.ensure_streams([StreamSpec("ledger", 3)])
        follower = asyncio.create_task(seen.follow(store.read("ledger", follow=True)))
        try:
            writer = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITER, str(path), cwd=ROOT)
            assert await writer.wait() == 0
            await seen.until(30)
        finally:
            follower.cancel()
    assert sorted(e.data.seq for e in seen.events) == list(range(30))  # type: ignore[attr-defined]


async def test_a_member_in_another_process_takes_over_when_the_first_leaves(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    first, second, assigned = Collector(), Collector(), []

    async def on_assign(positions: dict[int, int]) -> None:
        assigned.append(dict(positions))

    async with SqliteEventStore(registry, path) as one, SqliteEventStore(registry, path) as other:
        await one.ensure_streams([StreamSpec("ledger", 2), StreamSpec("audit", 1)])
        await one.append(deposits(5))
        waiting = other.subscribe("auditor", "ledger", audit_handler(second), on_assign=on_assign)
        async with one.subscribe("auditor", "ledger", audit_handler(first)) as holder:
            await holder.wait_caught_up(WAIT)
            await waiting.__aenter__()
        try:
            await other.append(deposits(3))
            await second.until(3)
            await waiting.wait_caught_up(WAIT)
        finally:
            await waiting.__aexit__(None, None, None)
        assert len(first.events) == 5 and sum(assigned[0].values()) == 5
        assert len(await read_all(other, "audit")) == 8


async def test_a_store_of_a_process_that_died_is_not_woken_and_is_tidied_away(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    wake_dir = tmp_path / "events.db.wake"
    async with SqliteEventStore(registry, path) as store:
        await store.ensure_streams([StreamSpec("ledger", 1)])
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
            dead.bind(str(wake_dir / "dead"))  # closed without removing its file, as when its process is killed
        await store.append(deposits(1))
        assert not (wake_dir / "dead").exists()
        assert len(await read_all(store, "ledger")) == 1
    assert not wake_dir.exists()


async def test_where_no_socket_fits_the_path_commits_of_other_stores_are_still_seen_at_once(tmp_path: Path) -> None:
    path = tmp_path / ("long-directory-name-" * 5) / "events.db"  # too long for a Unix socket path beside it
    seen = Collector()
    async with SqliteEventStore(registry, path, max_idle=3600.0) as reader, SqliteEventStore(registry, path) as writer:
        await reader.ensure_streams([StreamSpec("ledger", 2)])
        follower = asyncio.create_task(seen.follow(reader.read("ledger", follow=True)))
        try:
            await writer.append(deposits(4))
            await seen.until(4, timeout=5.0)
        finally:
            follower.cancel()
    assert not path.with_name("events.db.wake").exists()


async def test_stores_opening_one_new_file_at_once_all_open(tmp_path: Path) -> None:
    # A hub and its agents started together open the same new file: switching it to WAL fails at once
    # with "database is locked" in all but one of them unless the set-up is tried again.
    for attempt in range(30):
        path = tmp_path / f"fresh-{attempt}.db"
        stores = [SqliteEventStore(registry, path) for _ in range(3)]
        await asyncio.gather(*(store.open() for store in stores))
        try:
            await asyncio.gather(*(store.ensure_streams([StreamSpec("ledger", 3)]) for store in stores))
            await stores[0].append(deposits(1))
            assert [len(await read_all(store, "ledger")) for store in stores] == [1, 1, 1]
        finally:
            await asyncio.gather(*(store.close() for store in stores))
