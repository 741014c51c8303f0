"""How `AgentHost` serves one batch of commands: members concurrently but at most `max_parallel` at a
time, one member's commands in log order, reports in the order of the members' first commands."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from agents.host import AgentHost
from agents.member import Member
from agents.targets.base import Manifest
from bench.instant import InstantTarget
from eventstore import Event, Position
from fleetevents import registry
from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.streams import AGENTS
from tests.agents.conftest import FAST


class CountingTarget(InstantTarget):
    """Holds each apply open for a moment and counts the applies running at once across all members."""

    running = 0
    most = 0

    async def apply(self, placement: str, objects: Sequence[Manifest]) -> None:
        CountingTarget.running += 1
        CountingTarget.most = max(CountingTarget.most, CountingTarget.running)
        await asyncio.sleep(0.001)
        CountingTarget.running -= 1
        await super().apply(placement, objects)


def command(cluster: str, run: str, offset: int) -> Event:
    data = ClusterUpdateRequested(run=run, placement="p", stage="s", cluster=cluster, resource_snapshot_index=0,
                                  resources=[])
    event = Event(type=registry.type_of(ClusterUpdateRequested), subject=cluster, data=data, stream=AGENTS)
    return event.at(Position(0, offset))


async def test_a_batch_is_served_by_at_most_max_parallel_members_in_the_batch_order() -> None:
    names = [f"member-{i}" for i in range(7)]
    host = AgentHost(None, [Member(n, {}, CountingTarget(n), FAST) for n in names],  # type: ignore[arg-type]
                     group="test", max_parallel=3)
    batch = [command(n, "run-1", offset) for offset, n in enumerate(reversed(names))]
    batch.append(command("member-6", "run-2", len(batch)))
    CountingTarget.most = 0
    reports = await host._handle(0, batch)
    served = [(r.data.cluster, r.data.run) for r in reports if isinstance(r.data, ClusterUpdated)]
    assert served == [("member-6", "run-1"), ("member-6", "run-2"),
                      *((n, "run-1") for n in reversed(names[:-1]))]
    assert [r.causationid for r in reports] == [c.id for c in [batch[0], batch[-1], *batch[1:-1]]]
    assert CountingTarget.most == 3


def test_duplicate_member_names_are_refused() -> None:
    members = [Member(n, {}, InstantTarget(n), FAST) for n in ("a", "b", "a")]
    with pytest.raises(ValueError, match="duplicates: a"):
        AgentHost(None, members, group="test")  # type: ignore[arg-type]
