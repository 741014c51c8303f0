"""An agent killed in the middle of a command finishes it on restart and reports it exactly once;
heartbeats follow the interval on the agent's clock."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from agents import LedgerKey, MemberAgent
from agents.targets import DirectoryTarget, Manifest
from eventstore import EventStore
from fleetevents.agents import MemberHeartbeat
from fleetevents.streams import HEARTBEATS, PLACEMENTS
from orchestrator.clock import ManualClock
from tests.agents.conftest import FAST, WAIT, StuckLedger, configmap, is_report, namespace, read_all, report_of, send, wait_events


class StuckAfterApply(DirectoryTarget):
    """Applies, then never returns (the process dies before the ledger entry and the report)."""

    def __init__(self, root: Path, reached: asyncio.Event) -> None:
        super().__init__(root)
        self.reached = reached

    async def apply(self, placement: str, objects: Sequence[Manifest]) -> None:
        await super().apply(placement, objects)
        self.reached.set()
        await asyncio.Event().wait()


def stuck_target(where: str, root: Path, reached: asyncio.Event) -> DirectoryTarget:
    if where == "after apply":
        return StuckAfterApply(root, reached)
    target = DirectoryTarget(root)
    target.ledger = StuckLedger(target.ledger.path, reached)
    return target


async def serve(member_agent: MemberAgent) -> None:
    async with member_agent:
        await member_agent.run_until(asyncio.Event())


@pytest.mark.parametrize("where", ["after apply", "after ledger"])
async def test_crash_mid_command_reports_exactly_once(any_store: EventStore, tmp_path: Path, where: str) -> None:
    store = any_store
    reached = asyncio.Event()
    crashing = MemberAgent(store, "member1", {}, stuck_target(where, tmp_path, reached), settings=FAST)
    task = asyncio.create_task(serve(crashing))
    command = await send(store, "member1", [namespace(), configmap()])
    async with asyncio.timeout(WAIT):
        await reached.wait()
    task.cancel()  # killed between apply and report
    await asyncio.wait([task])
    cm_file = tmp_path / "test-namespace/ConfigMap/test-cm.yaml"
    written = cm_file.stat()

    async with MemberAgent(store, "member1", {}, DirectoryTarget(tmp_path), settings=FAST) as restarted:
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(command))
        await restarted.wait_caught_up(timeout=WAIT)
        entries = await restarted.target.ledger.entries()

    assert report.data.succeeded
    assert len(await read_all(store, PLACEMENTS, is_report)) == 1
    assert [e.key for e in entries] == [LedgerKey("run-1", "example-placement", 0)]
    assert (cm_file.stat().st_ino, cm_file.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


async def test_heartbeats_follow_the_interval(store: EventStore, tmp_path: Path) -> None:
    clock = ManualClock()
    start = clock.now()
    async with MemberAgent(store, "member1", {}, DirectoryTarget(tmp_path), heartbeat_interval=10, clock=clock):
        [first] = await wait_events(store, HEARTBEATS, 1)
        await clock.advance(10)
        await wait_events(store, HEARTBEATS, 2)
        await clock.advance(25)  # late: one beat now, the next one a full interval later
        await wait_events(store, HEARTBEATS, 3)
        await clock.advance(9)
        await clock.advance(1)
        beats = await wait_events(store, HEARTBEATS, 4)
    assert first.data == MemberHeartbeat(name="member1") and first.subject == "member1"
    assert [(b.time - start).total_seconds() for b in beats] == [0, 10, 35, 45]
    assert len(await read_all(store, HEARTBEATS)) == 4
