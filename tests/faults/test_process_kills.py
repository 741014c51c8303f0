"""SIGKILL of a fleet process mid-run (orchestrator, agent, projections, API), at a point of the run's
event sequence drawn from a seed, then a restart: the run finishes; every cluster got one command,
applied it once (its apply ledger) and holds the content; both read models equal a rebuild from the
log, and their audit has every event exactly once.

Rollouts run in waves on one 100-cluster fleet: the rollouts of a wave (each with its own placement and
run over the three-stage strategy with a TimedWait and an Approval) run at the same time, each killing
its victims at its own points, so a kill also hits the other rollouts in flight.
CI: seeds 1-20 in one wave of 5 rollouts; rollout n carries seeds 4n-3..4n, and seed s kills process
kind VICTIMS[s % 4] at a point drawn from s, so every rollout has each of the four kinds killed once.
`make soak`: seeds 101-140, one rollout each in waves of 5, every kind killed (in an order and at
points drawn from the seed).
"""
from __future__ import annotations

import random
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from tests.faults.harness import Harness, running_fleet
from tests.faults.rollout import FaultAt
from tests.faults.waves import FaultPlan, play_wave, run_events_estimate, seed_waves, wave_id

VICTIMS = ("orchestrator", "agent", "projections", "api")
CLUSTERS = 100
CI_ROLLOUTS = range(1, 6)
SOAK_WAVE = 5
SOAK_SEEDS = range(101, 141)


def kill_at(harness: Harness, name: str, rng: random.Random, what: str) -> FaultAt:
    """SIGKILL and restart process `name` after a number of the run's events drawn from `rng`."""
    point = rng.randint(1, run_events_estimate(len(harness.clusters)))
    return FaultAt(point, f"SIGKILL {name} ({what})", partial(harness.fleet.restart, name))


def one_kind_per_seed(harness: Harness) -> FaultPlan:
    """Rollout n: seeds 4n-3..4n, seed s killing VICTIMS[s % 4]."""
    def plan(n: int) -> list[FaultAt]:
        return [kill_at(harness, VICTIMS[seed % len(VICTIMS)], random.Random(seed), f"seed {seed}")
                for seed in range(4 * n - 3, 4 * n + 1)]
    return plan


def every_kind_per_seed(harness: Harness) -> FaultPlan:
    """Rollout n is seed n: every kind killed, in an order drawn from the seed."""
    def plan(seed: int) -> list[FaultAt]:
        rng = random.Random(seed)
        return [kill_at(harness, name, rng, f"seed {seed}") for name in rng.sample(VICTIMS, len(VICTIMS))]
    return plan


@pytest.fixture(scope="module")
async def fleet(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One 100-cluster fleet for every wave of the module (CI and soak)."""
    async with running_fleet(tmp_path_factory.mktemp("kills"), kafka_bootstrap, CLUSTERS) as harness:
        yield harness


@pytest.mark.kafka
@pytest.mark.timeout(480)
async def test_every_process_kind_killed_in_each_rollout_seeds_1_to_20(fleet: Harness, tmp_path: Path) -> None:
    await play_wave(fleet, CI_ROLLOUTS, one_kind_per_seed(fleet), tmp_path)


@pytest.mark.soak
@pytest.mark.kafka
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("seeds", seed_waves(SOAK_SEEDS, SOAK_WAVE), ids=wave_id)
async def test_every_process_killed_per_rollout(fleet: Harness, seeds: range, tmp_path: Path) -> None:
    await play_wave(fleet, seeds, every_kind_per_seed(fleet), tmp_path)
