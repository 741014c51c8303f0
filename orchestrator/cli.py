"""`run_orchestrator(...)`: what `fleetstage orchestrator` runs (wired into the CLI by `cli/`)."""
from __future__ import annotations

import asyncio
import logging
import signal

from eventstore.factory import open_store
from fleetevents import registry
from orchestrator.clock import make_clock, parse_epoch
from orchestrator.gcsettings import tune_collector
from orchestrator.service import Orchestrator
from resources.duration import parse_duration

log = logging.getLogger(__name__)


async def serve(store_url: str, time_scale: float, stuck_threshold: str, time_epoch: str | None = None) -> None:
    """Run one orchestrator instance until cancelled (or SIGTERM)."""
    threshold = parse_duration(stuck_threshold)
    if threshold.total_seconds() <= 0:
        raise ValueError(f'--stuck-threshold must be longer than 0s, got "{stuck_threshold}" (e.g. 5m)')
    clock = make_clock(time_scale, parse_epoch(time_epoch) if time_epoch else None)
    async with open_store(store_url, registry) as store:
        log.info("orchestrator serving %s (time scale %s, stuck threshold %s)", store_url, time_scale, stuck_threshold)
        task = asyncio.create_task(Orchestrator(store, clock=clock, stuck_threshold=threshold).run())
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            log.info("orchestrator stopped")


def run_orchestrator(
    store_url: str, time_scale: float = 1.0, stuck_threshold: str = "5m", time_epoch: str | None = None
) -> None:
    """Blocking entry point: serve until Ctrl-C / SIGTERM. With `time_scale` != 1, processes that must
    agree on the virtual time (several orchestrators, a hub) should get the same `time_epoch`."""
    tune_collector()
    try:
        asyncio.run(serve(store_url, time_scale, stuck_threshold, time_epoch))
    except KeyboardInterrupt:
        log.info("orchestrator stopped")
