"""`play_wave`: rollouts on one fleet at the same time, each with the faults its plan draws from seeds,
then every guarantee of `checks` asserted at once."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from tests.faults.checks import command_counts, ledger_problems, read_model_problems
from tests.faults.harness import Harness
from tests.faults.fleet import SplitFleet
from tests.faults.rollout import FaultAt, Rollout

FaultPlan = Callable[[int], list[FaultAt]]
"""The faults of rollout n (drawn from its seeds; the fault names say which)."""


def seed_waves(seeds: range, size: int) -> list[range]:
    """`seeds` cut into waves of `size`."""
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


def wave_id(seeds: range) -> str:
    return f"seed{seeds[0]}" if len(seeds) == 1 else f"seeds{seeds[0]}-{seeds[-1]}"


def run_events_estimate(clusters: int) -> int:
    """About how many events a run writes: four per cluster and some twenty more (a fault point is
    drawn below this, so it falls inside the run)."""
    return 4 * clusters + 20


def crash_verdict(fleet: SplitFleet, what: str) -> None:
    """After the guarantees held: fail if a process crashed (see `SplitFleet.supervised`)."""
    crashes = fleet.crashes
    assert not crashes, f"processes crashed instead of riding out {what}:\n" + "\n".join(crashes)


async def play_wave(harness: Harness, numbers: range, plan: FaultPlan, scratch: Path) -> None:
    """Play rollouts `numbers` at once, rollout n with `plan(n)`, then check every guarantee."""
    rollouts = [Rollout(harness.fleet, harness.log, n) for n in numbers]
    async with asyncio.TaskGroup() as group:
        played = [group.create_task(r.play(plan(r.n))) for r in rollouts]
    problems = []
    for rollout, index in zip(rollouts, played, strict=True):
        found = [*command_counts(harness.log, rollout.run, harness.clusters),
                 *ledger_problems(harness.fleet.members_dir, rollout.run, index.result(), harness.clusters)]
        problems += [f"rollout {rollout.n} (faults: {', '.join(rollout.faults_done)}): {p}" for p in found]
    for name in ("projections", "api"):
        problems += await read_model_problems(harness.fleet.read_model(name), harness.store, scratch / f"{name}.db")
    assert not problems, "\n".join(problems)
