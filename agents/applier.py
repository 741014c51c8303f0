"""Carrying out one `ClusterUpdateRequested` on a target: apply (or remove), verify, retry with backoff.

Transient errors (`TransientTargetError`) are retried with exponential backoff up to `max_attempts`;
other `TargetError`s fail at once. Once applied, the objects must be in place and available within
`available_timeout` (polled every `available_poll`), or the outcome is a failure naming them. The
outcome says how many apply attempts were made and, on failure, which object failed and why.

The whole takes at most the backoff delays plus `available_timeout` plus the applies themselves; keep
that under the Kafka consumer's max poll interval (5 minutes by default) — the defaults take < 3.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from agents.ledger import Outcome
from agents.targets.base import Target
from agents.targets.errors import TargetError, TransientTargetError
from agents.timing import sleep_for
from fleetevents.agents import ClusterUpdateRequested
from orchestrator.clock import Clock


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: wait `initial`, then `initial * multiplier`, ... at most `maximum` seconds."""

    max_attempts: int = 5
    initial: float = 0.5
    multiplier: float = 2.0
    maximum: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts}")
        if self.initial < 0 or self.maximum < 0 or self.multiplier < 1:
            raise ValueError("RetryPolicy needs initial >= 0, maximum >= 0 and multiplier >= 1")

    def delay(self, failed_attempts: int) -> float:
        """Seconds to wait after the `failed_attempts`-th failure."""
        return min(self.maximum, self.initial * self.multiplier ** (failed_attempts - 1))


@dataclass(frozen=True, slots=True)
class ApplySettings:
    """How hard an agent tries: retries, and how long it waits for applied objects to become available."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    available_timeout: float = 120.0
    available_poll: float = 1.0


async def carry_out(target: Target, command: ClusterUpdateRequested, settings: ApplySettings, clock: Clock) -> Outcome:
    """Make the target hold what `command` asks for; the outcome after retries (never raises TargetError)."""
    attempts = 0
    while True:
        attempts += 1
        try:
            message = await _attempt(target, command)
            break
        except TransientTargetError as exc:
            if attempts >= settings.retry.max_attempts:
                return Outcome(False, f"{exc} (gave up after {attempts} attempts)", attempts)
            await sleep_for(clock, settings.retry.delay(attempts))
        except TargetError as exc:
            return Outcome(False, str(exc), attempts)
    if not command.delete:
        problems = await _unavailable_after_wait(target, command, settings, clock)
        if problems:
            shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
            return Outcome(False, f"not available after {settings.available_timeout:g}s: {shown}", attempts)
    return Outcome(True, message, attempts)


async def _attempt(target: Target, command: ClusterUpdateRequested) -> str:
    if command.delete:
        await target.remove(command.placement)
        return f"removed the objects of placement {command.placement!r}"
    await target.apply(command.placement, command.resources)
    count = len(command.resources)
    return (
        f"applied {count} object{'s' if count != 1 else ''} of placement {command.placement!r} "
        f"snapshot {command.resource_snapshot_index}"
    )


async def _unavailable_after_wait(
    target: Target, command: ClusterUpdateRequested, settings: ApplySettings, clock: Clock
) -> list[str]:
    """What is still not in place or available once `available_timeout` is over (empty as soon as all is)."""
    deadline = clock.now().timestamp() + settings.available_timeout
    while problems := await target.check_available(command.resources):
        if clock.now().timestamp() >= deadline:
            return problems
        await sleep_for(clock, settings.available_poll)
    return []
