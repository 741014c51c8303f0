"""`running_fleet`: a `SplitFleet` on a Kafka broker, started with every member joined, with the test's own
log reader (`Harness`)."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from agents.fleet_simulator import generate_members
from eventstore import EventStore
from eventstore.factory import open_store
from fleetevents import registry
from tests.faults.fleet import SplitFleet
from tests.faults.logwatch import LogWatch

STARTUP_TIMEOUT = 90.0


@dataclass
class Harness:
    """A running split fleet, the store the test reads and writes, and the test's view of the log."""

    fleet: SplitFleet
    store: EventStore
    log: LogWatch
    clusters: list[str]


@asynccontextmanager
async def running_fleet(workdir: Path, bootstrap: str, clusters: int) -> AsyncIterator[Harness]:
    """A split fleet of `clusters` simulated members on the broker `bootstrap` (topics of its own),
    started and every member joined; stopped on exit."""
    url = f"kafka://{bootstrap}?prefix=faults-{uuid.uuid4().hex[:8]}."
    fleet = SplitFleet(workdir, url, clusters, time_scale=1.0)
    names = [name for name, _ in generate_members(clusters)]
    async with open_store(url, registry) as store, LogWatch(store) as log:
        try:
            await fleet.start_all()
            joined = lambda: {e.data.name for e in log.events if e.type == "fleetstage.member.joined"} >= set(names)
            await log.wait(joined, f"all {clusters} members join", STARTUP_TIMEOUT, fleet.check_alive)
            yield Harness(fleet, store, log, names)
        finally:
            fleet.stop_all()
