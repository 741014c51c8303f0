"""The Kafka broker under a running fleet fails mid-run, at a point of the run's event sequence chosen
from a seed: restarted (stopped and started on the same ports, data kept), or frozen with SIGSTOP for
longer than the clients' timeouts then resumed. Every process reconnects by itself (none exits), the run
finishes, and every guarantee of a process kill holds (see tests/faults/checks.py). A process that does
exit is restarted, so the other guarantees are still checked, and the test then fails naming it.

CI runs the restart; `make soak` runs more restarts (100 clusters) and the pauses. Each test has a broker
of its own (the `private_kafka` fixture), so the session's broker stays up for
the other tests.
"""
from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from localkafka import LocalKafka
from tests.faults.harness import running_fleet
from tests.faults.rollout import Fault, FaultAt
from tests.faults.waves import crash_verdict, play_wave, run_events_estimate

CLUSTERS = 10
SOAK_CLUSTERS = 100
PAUSE_SECONDS = 45.0
"""Longer than the consumer session timeout (10 s), the transaction timeout (15 s) and the clients'
request timeout (40 s)."""
ROLLOUTS = 2


def restart(broker: LocalKafka) -> Fault:
    async def restart_broker() -> None:
        await broker.arestart()
    return restart_broker


def pause(broker: LocalKafka, seconds: float) -> Fault:
    async def pause_broker() -> None:
        broker.pause()
        try:
            await asyncio.sleep(seconds)  # the length of the outage
        finally:
            broker.resume()
    return pause_broker


async def play_with_broker_fault(broker: LocalKafka, seed: int, clusters: int, name: str, fault: Fault,
                                 tmp_path: Path) -> None:
    """ROLLOUTS rollouts at once; the first has `fault` after a number of its events drawn from `seed`."""
    point = random.Random(seed).randint(1, run_events_estimate(clusters))
    seeds = range(seed, seed + ROLLOUTS)
    async with running_fleet(tmp_path / "fleet", broker.bootstrap, clusters) as harness:
        async with harness.fleet.supervised():
            await play_wave(harness, seeds, lambda n: [FaultAt(point, name, fault)] if n == seed else [], tmp_path)
    crash_verdict(harness.fleet, f"{name} (seed {seed})")


@pytest.mark.kafka
@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", [1], ids=lambda s: f"seed{s}")
async def test_broker_restarted_mid_run(private_kafka: LocalKafka, seed: int, tmp_path: Path) -> None:
    await play_with_broker_fault(private_kafka, seed, CLUSTERS, "restart the broker", restart(private_kafka),
                                 tmp_path)


@pytest.mark.soak
@pytest.mark.kafka
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", range(201, 206), ids=lambda s: f"seed{s}")
async def test_broker_restarted_mid_run_soak(private_kafka: LocalKafka, seed: int, tmp_path: Path) -> None:
    await play_with_broker_fault(private_kafka, seed, SOAK_CLUSTERS, "restart the broker", restart(private_kafka),
                                 tmp_path)


@pytest.mark.soak
@pytest.mark.kafka
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", range(211, 214), ids=lambda s: f"seed{s}")
async def test_broker_paused_mid_run_soak(private_kafka: LocalKafka, seed: int, tmp_path: Path) -> None:
    await play_with_broker_fault(private_kafka, seed, SOAK_CLUSTERS, f"SIGSTOP the broker for {PAUSE_SECONDS:g}s",
                                 pause(private_kafka, PAUSE_SECONDS), tmp_path)
