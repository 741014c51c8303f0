"""Clocks: a ManualClock wakes sleepers when advanced, a ScaledClock runs `factor` times faster."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

from orchestrator.cli import serve
from orchestrator.clock import ManualClock, ScaledClock, SystemClock, make_clock, parse_epoch


async def test_manual_clock_wakes_a_sleeper_only_when_advanced_past_its_time() -> None:
    clock = ManualClock()
    due = clock.now() + timedelta(minutes=1)
    sleeper = asyncio.create_task(clock.sleep_until(due))
    await clock.advance(59)
    await asyncio.sleep(0)
    assert not sleeper.done()
    await clock.advance(1)
    await asyncio.wait_for(sleeper, 1)
    with pytest.raises(ValueError, match="never goes back"):
        await clock.set(clock.now() - timedelta(seconds=1))


async def test_scaled_clock_runs_faster_and_sleeps_in_virtual_time() -> None:
    clock = ScaledClock(600)
    start, wall = clock.now(), time.monotonic()
    await clock.sleep_until(start + timedelta(minutes=1))
    assert clock.now() - start >= timedelta(minutes=1)
    assert time.monotonic() - wall < 1.0
    with pytest.raises(ValueError, match="time scale must be > 0"):
        ScaledClock(0)


def test_scaled_clocks_with_one_epoch_agree() -> None:
    epoch = datetime.now(timezone.utc) - timedelta(seconds=10)
    first, second = ScaledClock(60, epoch=epoch), ScaledClock(60, epoch=epoch)
    assert abs(first.now() - second.now()) < timedelta(seconds=1)
    assert first.now() - epoch >= timedelta(minutes=10)


def test_cli_clock_and_threshold_checks() -> None:
    assert isinstance(make_clock(1), SystemClock)
    clock = make_clock(60, parse_epoch("2025-01-01T00:00:00Z"))
    assert isinstance(clock, ScaledClock) and clock.epoch == datetime(2025, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="--time-epoch must be an RFC 3339 time with a zone"):
        parse_epoch("yesterday")
    with pytest.raises(ValueError, match="--stuck-threshold must be longer than 0s"):
        asyncio.run(serve("memory://", 1, "0s"))
