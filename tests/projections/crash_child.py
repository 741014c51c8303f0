"""Child process of the crash test: runs a ProjectionRunner over a SQLite event store until killed.

Each commit is followed by a short pause (a slow disk), so a SIGKILL from the parent lands between
batches with some of the log applied. Usage: python -m tests.projections.crash_child EVENTS_DB PROJECTIONS_DB
"""

from __future__ import annotations

import asyncio
import sys
import time

import fleetevents
from eventstore.sqlite import SqliteEventStore
from projections import ProjectionRunner
from projections.store import Batch, ProjectionStore

PAUSE = 0.01


def _slow_commit(original):  # type: ignore[no-untyped-def]
    def commit(self: ProjectionStore, batch: Batch) -> None:
        original(self, batch)
        time.sleep(PAUSE)

    return commit


async def main(events_db: str, projections_db: str) -> None:
    ProjectionStore._commit = _slow_commit(ProjectionStore._commit)  # type: ignore[method-assign]
    async with SqliteEventStore(fleetevents.registry, events_db) as store:
        async with ProjectionRunner(store, projections_db, batch_size=20):
            await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
