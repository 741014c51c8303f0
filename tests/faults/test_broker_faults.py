"""The Kafka broker under a running fleet fails mid-run, at a point of the run's event sequence chosen
from a seed: restarted (stopped and started on the same ports, data kept), or frozen with SIGSTOP for
longer than the clients' timeouts then resumed. Every process reconnects by itself (none exits), the run
finishes, and every guarantee of a process kill holds (see tests/faults/checks.py). A process that does
exit is restarted, so the other guarantees are still checked, and the test then fails naming it.

CI: one restart and one 16 s pause, in turn on one 100-cluster fleet over a broker of this module's own
(`own_broker`), so the session's broker stays up for the other tests. `make soak`: more restarts and
pauses of 16 s and 45 s, each on a fresh broker and fleet.
"""
from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from localkafka import LocalKafka
from tests.conftest import _local_broker as local_broker
from tests.faults.harness import Harness, running_fleet
from tests.faults.rollout import Fault, FaultAt
from tests.faults.waves import crash_verdict, play_wave, run_events_estimate

CLUSTERS = 100
PAUSE_SECONDS = 16.0
"""Past the consumer session timeout (10 s) and the transaction timeout (15 s): the group drops every
member, and the broker aborts the transactions left open (fencing their producers) once it resumes."""
LONG_PAUSE_SECONDS = 45.0
"""Past the clients' request timeout (40 s) too: requests made during the pause fail."""
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


async def play_with_broker_fault(harness: Harness, seed: int, name: str, fault: Fault, scratch: Path) -> None:
    """ROLLOUTS rollouts at once on `harness`, supervised; the first has `fault` after a number of its
    events drawn from `seed`."""
    point = random.Random(seed).randint(1, run_events_estimate(len(harness.clusters)))
    async with harness.fleet.supervised():
        await play_wave(harness, range(seed, seed + ROLLOUTS),
                        lambda n: [FaultAt(point, name, fault)] if n == seed else [], scratch)
    crash_verdict(harness.fleet, f"{name} (seed {seed})")


async def play_on_a_fresh_fleet(broker: LocalKafka, seed: int, name: str, fault: Fault, tmp_path: Path) -> None:
    async with running_fleet(tmp_path / "fleet", broker.bootstrap, CLUSTERS) as harness:
        await play_with_broker_fault(harness, seed, name, fault, tmp_path)


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker of this module's CI tests alone (they restart and freeze it)."""
    broker = local_broker(tmp_path_factory.mktemp("kafka"))
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
async def broker_fleet(own_broker: LocalKafka, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with running_fleet(tmp_path_factory.mktemp("broker-faults"), own_broker.bootstrap, CLUSTERS) as harness:
        yield harness


@pytest.mark.kafka
@pytest.mark.timeout(300)
async def test_broker_restarted_mid_run(own_broker: LocalKafka, broker_fleet: Harness, tmp_path: Path) -> None:
    await play_with_broker_fault(broker_fleet, 1, "restart the broker", restart(own_broker), tmp_path)


@pytest.mark.kafka
@pytest.mark.timeout(300)
async def test_broker_paused_mid_run(own_broker: LocalKafka, broker_fleet: Harness, tmp_path: Path) -> None:
    """Seed 213 once stalled a run here: a producer the broker fenced was left with its partition unhandled
    (see tests/faults/test_lost_producer.py)."""
    await play_with_broker_fault(broker_fleet, 213, f"SIGSTOP the broker for {PAUSE_SECONDS:g}s",
                                 pause(own_broker, PAUSE_SECONDS), tmp_path)


@pytest.mark.soak
@pytest.mark.kafka
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", range(201, 206), ids=lambda s: f"seed{s}")
async def test_broker_restarted_mid_run_soak(private_kafka: LocalKafka, seed: int, tmp_path: Path) -> None:
    await play_on_a_fresh_fleet(private_kafka, seed, "restart the broker", restart(private_kafka), tmp_path)


@pytest.mark.soak
@pytest.mark.kafka
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seconds", [PAUSE_SECONDS, LONG_PAUSE_SECONDS], ids=lambda s: f"{s:g}s")
@pytest.mark.parametrize("seed", range(211, 214), ids=lambda s: f"seed{s}")
async def test_broker_paused_mid_run_soak(private_kafka: LocalKafka, seed: int, seconds: float, tmp_path: Path) -> None:
    await play_on_a_fresh_fleet(private_kafka, seed, f"SIGSTOP the broker for {seconds:g}s",
                                pause(private_kafka, seconds), tmp_path)
