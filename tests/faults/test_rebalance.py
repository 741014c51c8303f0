"""Orchestrators join and leave the group mid-run: a second orchestrator starts (the placements'
partitions are shared out again); the first turns zombie (frozen with SIGSTOP past its session timeout,
so its partitions move to the other instance, then thawed: whatever it still tries to write must be
fenced); then it leaves cleanly (SIGTERM). No command is issued twice and none is lost: each cluster gets
exactly one `cluster.updaterequested` per run and every run finishes, with every other guarantee of
tests/faults/checks.py.
"""
from __future__ import annotations

import random
from functools import partial
from pathlib import Path

import pytest

from tests.faults.harness import Harness, running_fleet
from tests.faults.rollout import Fault, FaultAt
from tests.faults.waves import crash_verdict, play_wave, run_events_estimate

CLUSTERS = 10
ROLLOUTS = 3
"""Rollouts at once, on placements spread over the partitions the two orchestrators share."""
ZOMBIE_SECONDS = 14.0
"""Longer than the consumer session timeout (10 s): the group moves the frozen instance's partitions."""

SERVING = "now serving placements partition"
"""What an orchestrator logs when the group gave it a partition (orchestrator/service.py)."""


async def join(harness: Harness) -> None:
    """Start `orchestrator-2` and wait until the rebalance gave it partitions."""
    await harness.fleet.start("orchestrator-2")
    await harness.fleet.wait_until(lambda: SERVING in harness.fleet.log_text("orchestrator-2"),
                                   "orchestrator-2 serves placement partitions", 60)


def plan(harness: Harness, seed: int, zombie: bool, leave: bool) -> list[FaultAt]:
    """At points of the run drawn from `seed`: `orchestrator-2` joins; then `orchestrator` turns zombie
    (frozen past its session timeout, then thawed) if `zombie`; then `orchestrator` leaves (SIGTERM) if
    `leave`."""
    rng = random.Random(seed)
    steps: list[tuple[str, Fault]] = [("start orchestrator-2, wait until it serves partitions", partial(join, harness))]
    if zombie:
        steps.append((f"SIGSTOP orchestrator for {ZOMBIE_SECONDS:g}s, then SIGCONT",
                      partial(harness.fleet.freeze, "orchestrator", ZOMBIE_SECONDS)))
    if leave:
        steps.append(("SIGTERM orchestrator", partial(harness.fleet.leave, "orchestrator")))
    points = sorted(rng.sample(range(1, run_events_estimate(CLUSTERS)), len(steps)))
    return [FaultAt(point, name, fault) for point, (name, fault) in zip(points, steps, strict=True)]


async def play_with_rebalance(kafka_bootstrap: str, seed: int, zombie: bool, leave: bool, tmp_path: Path) -> None:
    """ROLLOUTS rollouts at once; the first one's run carries the orchestrator changes of `plan`."""
    async with running_fleet(tmp_path / "fleet", kafka_bootstrap, CLUSTERS) as harness:
        faults = plan(harness, seed, zombie, leave)
        async with harness.fleet.supervised():
            await play_wave(harness, range(seed, seed + ROLLOUTS), lambda n: faults if n == seed else [], tmp_path)
    crash_verdict(harness.fleet, f"{', '.join(f.name for f in faults)} (seed {seed})")


@pytest.mark.kafka
@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", [1], ids=lambda s: f"seed{s}")
async def test_orchestrator_joins_one_turns_zombie_then_leaves(kafka_bootstrap: str, seed: int, tmp_path: Path) -> None:
    await play_with_rebalance(kafka_bootstrap, seed, zombie=True, leave=True, tmp_path=tmp_path)


@pytest.mark.soak
@pytest.mark.kafka
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", range(301, 313), ids=lambda s: f"seed{s}")
async def test_rebalance_soak(kafka_bootstrap: str, seed: int, tmp_path: Path) -> None:
    """Every combination: join and leave, join and zombie, join, zombie and leave."""
    zombie, leave = [(False, True), (True, False), (True, True)][seed % 3]
    await play_with_rebalance(kafka_bootstrap, seed, zombie, leave, tmp_path)
