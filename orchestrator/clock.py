"""Injectable clocks: every time the orchestrator decides on, stamps or waits for comes from a `Clock`.

- `SystemClock`: wall time (UTC).
- `ScaledClock(factor, epoch=...)`: virtual time that equals the wall time at `epoch` (default: its
  creation) and runs `factor` times faster (the demo's `--time-scale`: a `1m` TimedWait takes 1 s of wall
  time at factor 60). Processes given the same epoch agree on the time (a restarted or second
  orchestrator continues the same virtual timeline).
- `ManualClock`: tests move it with `advance()`/`set()`; `sleep_until` wakes as soon as it is advanced
  past the target, so a `1m` wait is testable in milliseconds.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """Where the orchestrator gets its time."""

    def now(self) -> datetime:
        """The current time (timezone-aware, UTC)."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once `now() >= when` (at once if it already is)."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    async def sleep_until(self, when: datetime) -> None:
        # asyncio may wake a timer up to its clock resolution early: look again until it is really time
        while (delay := (when - self.now()).total_seconds()) > 0:
            await asyncio.sleep(delay)


class ScaledClock:
    """Virtual time running `factor` times faster than wall time: `epoch + (wall now - epoch) * factor`."""

    def __init__(self, factor: float, *, epoch: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError(f"time scale must be > 0, got {factor} (1 = real time, 60 = a minute per second)")
        if epoch is not None and epoch.tzinfo is None:
            raise ValueError(f"the epoch of a scaled clock needs a time zone, got {epoch.isoformat()}")
        self.factor = factor
        self.epoch = epoch or datetime.now(timezone.utc)

    def now(self) -> datetime:
        return self.epoch + (datetime.now(timezone.utc) - self.epoch) * self.factor

    async def sleep_until(self, when: datetime) -> None:
        while (delay := (when - self.now()).total_seconds() / self.factor) > 0:
            await asyncio.sleep(delay)


class ManualClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2025, 1, 1, tzinfo=timezone.utc)
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def advance(self, delta: timedelta | float) -> None:
        """Move time forward by `delta` (a timedelta or seconds) and wake the sleepers that are due."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        await self.set(self._now + step)

    async def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError(f"a ManualClock never goes back: now {self._now.isoformat()}, asked {when.isoformat()}")
        async with self._moved:
            self._now = when
            self._moved.notify_all()

    async def sleep_until(self, when: datetime) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: self._now >= when)


def parse_epoch(text: str) -> datetime:
    """An RFC 3339 time with zone (`2025-01-01T00:00:00Z`); ValueError says what is expected."""
    try:
        epoch = datetime.fromisoformat(text)
    except ValueError:
        epoch = None
    if epoch is None or epoch.tzinfo is None:
        raise ValueError(
            f'--time-epoch must be an RFC 3339 time with a zone such as 2025-01-01T00:00:00Z, got "{text}"')
    return epoch


def make_clock(time_scale: float, epoch: datetime | None = None) -> Clock:
    """Wall time at scale 1, else virtual time `time_scale` times faster (a `1m` wait takes 60/scale s),
    equal to wall time at `epoch` (default: now). Give every process of one fleet the same epoch."""
    return SystemClock() if time_scale == 1 else ScaledClock(time_scale, epoch=epoch)
