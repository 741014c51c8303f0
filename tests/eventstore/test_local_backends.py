"""Group membership of the single-host backends (memory, SQLite): one member per group and stream.

A second member waits while the first holds the group; it takes over at once when the first leaves,
or when the first one's lease expires (time is a fake clock here), and the old member's late commit is
refused (fencing), so nothing is handled twice.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from eventstore import Event, StreamSpec
from eventstore.locallog import LocalLogStore
from eventstore.memory import MemoryEventStore
from eventstore.sqlite import SqliteEventStore
from tests.eventstore.collect import WAIT, Collector
from tests.eventstore.ledger import audit_handler, audit_of, deposits, read_all
from tests.eventstore.payloads import registry


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite"])
async def local(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> AsyncIterator[LocalLogStore]:
    store: LocalLogStore = (
        MemoryEventStore(registry, clock=clock)
        if request.param == "memory"
        else SqliteEventStore(registry, tmp_path / "events.db", clock=clock)
    )
    async with store:
        await store.ensure_streams([StreamSpec("ledger", 2), StreamSpec("audit", 1)])
        yield store


async def test_a_second_member_waits_then_takes_over_when_the_first_leaves(local: LocalLogStore) -> None:
    await local.append(deposits(6))
    first, second, assigned = Collector(), Collector(), []

    async def on_assign(positions: dict[int, int]) -> None:
        assigned.append(dict(positions))

    two = local.subscribe("auditor", "ledger", audit_handler(second), on_assign=on_assign)
    async with local.subscribe("auditor", "ledger", audit_handler(first)) as one:
        await one.wait_caught_up(WAIT)
        await two.__aenter__()
        await local.append(deposits(4))
        await one.wait_caught_up(WAIT)
        assert len(first.events) == 10 and second.events == [] and assigned == []
        ends = await local.end_offsets("ledger")
    try:
        await local.append(deposits(3))
        await second.until(3)
        await two.wait_caught_up(WAIT)
    finally:
        await two.__aexit__(None, None, None)

    assert assigned == [ends]
    assert len(await read_all(local, "audit")) == 13


async def test_a_member_whose_lease_expired_is_fenced_and_nothing_is_duplicated(
    local: LocalLogStore, clock: FakeClock
) -> None:
    inputs = deposits(5)
    await local.append(inputs)
    entered, resume, fenced, revoked = asyncio.Event(), asyncio.Event(), asyncio.Event(), []

    async def slow(partition: int, batch: Sequence[Event]) -> list[Event]:
        entered.set()
        await resume.wait()
        return [audit_of(event) for event in batch]

    async def on_revoke(partitions: Sequence[int]) -> None:
        revoked.append(list(partitions))
        fenced.set()

    taken_over = Collector()
    async with local.subscribe("auditor", "ledger", slow, on_revoke=on_revoke):
        async with asyncio.timeout(WAIT):
            await entered.wait()
        clock.now += local.lease_ttl + 1  # the stuck member stops renewing in time
        async with local.subscribe("auditor", "ledger", audit_handler(taken_over)) as successor:
            await successor.wait_caught_up(WAIT)
            resume.set()  # the old member wakes up and tries to commit
            async with asyncio.timeout(WAIT):
                await fenced.wait()

    assert revoked == [[0, 1]]
    assert sorted(e.id for e in taken_over.events) == sorted(e.id for e in inputs)
    assert sorted(a.causationid for a in await read_all(local, "audit")) == sorted(e.id for e in inputs)  # type: ignore[type-var]
