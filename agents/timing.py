"""Waiting on an injectable `Clock` (orchestrator.clock) for a number of seconds."""
from __future__ import annotations

from datetime import timedelta

from orchestrator.clock import Clock


async def sleep_for(clock: Clock, seconds: float) -> None:
    """Return once `seconds` have passed on `clock` (at once when `seconds` <= 0)."""
    if seconds > 0:
        await clock.sleep_until(clock.now() + timedelta(seconds=seconds))
