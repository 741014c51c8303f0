"""SIGKILL of a fleet process mid-run (orchestrator, agent, projections, API), at a point of the run's
event sequence chosen from a seed, then a restart: the run finishes; every cluster got one command,
applied it once (its apply ledger) and holds the content; both read models equal a rebuild from the
log, and their audit has every event exactly once.

Seeds run in waves: the rollouts of a wave (one per seed, each with its own placement and run) run at
the same time on one fleet, each killing its victims at its own points, so a kill also hits the other
rollouts in flight. CI: 20 seeds in one wave, one kill each, 10 clusters. `make soak`: 40 seeds in waves
of 5, 100 clusters, every process killed in each rollout.
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
CI_WAVE = 20
SOAK_WAVE = 5
CI_SEEDS = range(1, 21)
CI_CLUSTERS = 10
SOAK_SEEDS = range(101, 141)
SOAK_CLUSTERS = 100


def kills(harness: Harness, every_process: bool) -> FaultPlan:
    """Per seed: one victim (or every process, in an order) drawn from the seed, each SIGKILLed and
    restarted after a number of the run's events drawn from the seed."""
    last = run_events_estimate(len(harness.clusters))

    def plan(seed: int) -> list[FaultAt]:
        rng = random.Random(seed)
        victims = rng.sample(VICTIMS, len(VICTIMS)) if every_process else [rng.choice(VICTIMS)]
        return [FaultAt(rng.randint(1, last), f"SIGKILL {name}", partial(harness.fleet.restart, name))
                for name in victims]

    return plan


@pytest.fixture(scope="module")
async def ci_fleet(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with running_fleet(tmp_path_factory.mktemp("kills"), kafka_bootstrap, CI_CLUSTERS) as harness:
        yield harness


@pytest.fixture(scope="module")
async def soak_fleet(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with running_fleet(tmp_path_factory.mktemp("soak-kills"), kafka_bootstrap, SOAK_CLUSTERS) as harness:
        yield harness


@pytest.mark.kafka
@pytest.mark.timeout(240)
@pytest.mark.parametrize("seeds", seed_waves(CI_SEEDS, CI_WAVE), ids=wave_id)
async def test_one_process_killed_per_rollout(ci_fleet: Harness, seeds: range, tmp_path: Path) -> None:
    await play_wave(ci_fleet, seeds, kills(ci_fleet, every_process=False), tmp_path)


@pytest.mark.soak
@pytest.mark.kafka
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("seeds", seed_waves(SOAK_SEEDS, SOAK_WAVE), ids=wave_id)
async def test_every_process_killed_per_rollout(soak_fleet: Harness, seeds: range, tmp_path: Path) -> None:
    await play_wave(soak_fleet, seeds, kills(soak_fleet, every_process=True), tmp_path)
