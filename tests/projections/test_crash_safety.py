"""A projection process killed with SIGKILL between batches loses nothing and applies nothing twice:
after a restart the store equals a rebuild from zero, and the audit has exactly one entry per event."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from eventstore import Event
from eventstore.sqlite import SqliteEventStore
from fleetevents import agents, streams
from projections import ProjectionRunner, rebuild
from tests.projections.howto_events import MEMBERS, whole_howto
from tests.projections.test_runner import tables

ROOT = Path(__file__).resolve().parents[2]


def _applied(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect(path, timeout=5)) as db:
            return db.execute("SELECT coalesce(sum(next_offset), 0) FROM positions").fetchone()[0]
    except sqlite3.OperationalError:  # the child has not created the tables yet
        return 0


async def test_killed_between_batches_then_restarted(sqlite_event_store: SqliteEventStore, tmp_path: Path):
    howto = whole_howto()
    beats = [
        Event(
            "fleetstage.member.heartbeat",
            member,
            agents.MemberHeartbeat(name=member),
            stream=streams.HEARTBEATS,
            time=howto.now + timedelta(seconds=i),
        )
        for i in range(400)
        for member in MEMBERS
    ]
    events = [*howto.events, *beats]
    await sqlite_event_store.append(events)
    path = tmp_path / "projections.db"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.projections.crash_child", str(sqlite_event_store.path), str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with asyncio.timeout(30):
            while _applied(path) < 200:
                await asyncio.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert 200 <= _applied(path) < len(events), "the kill should land in the middle of the log"

    async with ProjectionRunner(sqlite_event_store, path) as runner:
        await runner.caught_up(10)
        assert len(await runner.audit(limit=None, heartbeats=True)) == len(events)
    await rebuild(sqlite_event_store, tmp_path / "rebuilt.db")
    assert tables(path) == tables(tmp_path / "rebuilt.db")
