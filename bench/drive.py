"""One timed rollout: orchestrator process(es) + simulated fleet + driver on a fresh store, until every
run of the shape succeeded. Shared by the rollout, latency and many-runs benchmarks.

With several orchestrators (one consumer group), the runs start only once the group has settled: every
orchestrator serves some `placements` partitions (see bench.orchestrators)."""
from __future__ import annotations

import contextlib
import gc
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.cpushare import CpuMeter
from bench.instant import InstantFleet
from bench.orchestrators import orchestrator_group
from bench.support import opened, profiling_this_process
from bench.world import RunLog, Shape, apply_placements, apply_runs, fleet_members, publish_hub_objects, run_span
from eventstore import Event
from fleetevents.streams import PLACEMENTS

HEARTBEAT_SECONDS = 10.0
"""The simulated members' heartbeat period (the agents' default)."""


@dataclass
class Outcome:
    shape: Shape
    span: float
    """Seconds from the first `run.created` to the last `run.succeeded` (orchestrator event times)."""
    peak_rss_mb: float
    """The orchestrator process's peak resident set (VmHWM), read just before it is stopped (the largest
    of them when there are several)."""
    run_events: list[Event]
    """The `placements` events the driver followed (`bench.world.FOLLOWED`: scheduling, runs, failures)."""
    partitions: list[frozenset[int]] = field(default_factory=list)
    """The `placements` partitions each orchestrator served when the runs were started."""
    reassigned: bool = False
    """Whether that split had changed by the time the last run succeeded (a rebalance during the runs)."""
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds each process used from the runs' start to the last success (bench.cpushare names)."""
    window: float = 0.0
    """Wall seconds of that window (the driver's clock: appending the runs -> seeing the last success)."""
    queued: dict[str, float] = field(default_factory=dict)
    """Seconds each process's threads waited for a core in that window (other work on the machine)."""

    @property
    def updates_per_second(self) -> float:
        return self.shape.members / self.span


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """Collect this process's garbage, then freeze what survives for the block (gc.freeze): the simulated
    fleet's 10,000 members, built just before, are long-lived, and a middle-generation collection walking
    them stalls the fleet and the driver for 60-300 ms (in `bench.manyruns`, one such pause landed inside
    the measured window in 1 of 7 cases, the others just outside it). The block's own garbage is collected
    as usual; everything is thawed at exit."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def drive(
    url: str, shape: Shape, workdir: Path, *, timeout: float, profile: Path | None = None,
    trace_memory: Path | None = None, orchestrators: int = 1,
) -> Outcome:
    """Build the fleet of `shape` on the store at `url`, roll every placement out once, measure. With
    `profile`, py-spy samples the orchestrator(s) into that file (`<stem>-N.json` each when several) and,
    while the runs go, this process (the simulated fleet and the driver) into `<profile stem>-fleet.json`.
    With `trace_memory` (one orchestrator only), the orchestrator writes its top allocation sites at peak
    there (tracemalloc: slow, for attribution only)."""
    members = fleet_members(shape)
    fleet_dir = workdir / f"members-{uuid.uuid4().hex[:6]}"  # unused by in-memory targets, required by the fleet
    async with opened(url) as store, orchestrator_group(url, workdir, orchestrators, profile, trace_memory) as group:
        async with RunLog(store) as log, InstantFleet(store, members, fleet_dir, heartbeat_interval=HEARTBEAT_SECONDS):
            await publish_hub_objects(store, shape)
            await apply_placements(store, shape)
            await log.scheduled(shape, timeout, group.check_alive)
            partitions = len(await store.end_offsets(PLACEMENTS))
            split = await group.settled(partitions, timeout)
            fleet_profile = profile.with_name(f"{profile.stem}-fleet.json") if profile is not None else None
            with settled_heap():
                async with profiling_this_process(fleet_profile):
                    meter, started = CpuMeter(group.pids()), time.monotonic()
                    await apply_runs(store, shape)
                    await log.succeeded(shape, timeout, group.check_alive)
                    cpu, queued, window = meter.used(), meter.queued(), time.monotonic() - started
            reassigned = group.assignment(partitions) != split
            rss = max(group.peak_rss_mb())
        return Outcome(shape, run_span(log), rss, list(log.events), split, reassigned, cpu, window, queued)
