"""One timed rollout: orchestrator process + simulated fleet + driver on a fresh store, until every run
of the shape succeeded. Shared by the rollout, latency and many-runs benchmarks."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.instant import InstantFleet
from bench.support import opened, orchestrator_process, profiling_this_process
from bench.world import RunLog, Shape, apply_placements, apply_runs, fleet_members, publish_hub_objects, run_span
from eventstore import Event

HEARTBEAT_SECONDS = 10.0
"""The simulated members' heartbeat period (the agents' default)."""


@dataclass
class Outcome:
    shape: Shape
    span: float
    """Seconds from the first `run.created` to the last `run.succeeded` (orchestrator event times)."""
    peak_rss_mb: float
    """The orchestrator process's peak resident set (VmHWM), read just before it is stopped."""
    placement_events: list[Event]

    @property
    def updates_per_second(self) -> float:
        return self.shape.members / self.span


async def drive(
    url: str, shape: Shape, workdir: Path, *, timeout: float, profile: Path | None = None,
    trace_memory: Path | None = None,
) -> Outcome:
    """Build the fleet of `shape` on the store at `url`, roll every placement out once, measure. With
    `profile`, py-spy samples the orchestrator into that file and, while the runs go, this process (the
    simulated fleet and the driver) into `<profile stem>-fleet.json`. With `trace_memory`, the orchestrator
    writes its top allocation sites at peak there (tracemalloc: slow, for attribution only)."""
    members = fleet_members(shape)
    fleet_dir = workdir / f"members-{uuid.uuid4().hex[:6]}"  # unused by in-memory targets, required by the fleet
    async with opened(url) as store, orchestrator_process(url, workdir, profile, trace_memory) as orchestrator:
        async with RunLog(store) as log, InstantFleet(store, members, fleet_dir, heartbeat_interval=HEARTBEAT_SECONDS):
            await publish_hub_objects(store, shape)
            await apply_placements(store, shape)
            await log.scheduled(shape, timeout, orchestrator.check_alive)
            fleet_profile = profile.with_name(f"{profile.stem}-fleet.json") if profile is not None else None
            async with profiling_this_process(fleet_profile):
                await apply_runs(store, shape)
                await log.succeeded(shape, timeout, orchestrator.check_alive)
            rss = orchestrator.peak_rss_mb()
        return Outcome(shape, run_span(log), rss, list(log.events))
