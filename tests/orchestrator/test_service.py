"""The how-to's rollout and rollback, end to end through a real event store, the Orchestrator and fake agents."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from eventstore import EventStore
from eventstore.factory import open_store
from fleetevents import commands as cmd
from fleetevents import fleet as fe
from fleetevents import registry
from fleetevents.placements import ResourceSnapshotCreated
from fleetevents.runs import (
    ApprovalAccepted,
    ApprovalRequested,
    ClusterUpdateStarted,
    RunInitialized,
    RunStuck,
    RunSucceeded,
    StageStarted,
    StageSucceeded,
    StageWaiting,
    WaitElapsed,
)
from fleetevents.streams import ALL_STREAMS
from orchestrator.clock import ManualClock
from orchestrator.service import Orchestrator
from tests.orchestrator import howto
from tests.orchestrator.harness import FakeAgents, Log, command, howto_fleet, publish_fleet

MINUTE = timedelta(minutes=1)
HOWTO_RUN_EVENTS = [
    "run.initialized", "run.progressing",
    "stage.started", "cluster.updatestarted", "cluster.updated", "cluster.updatesucceeded",  # staging: member2
    "stage.waiting", "run.waiting", "wait.elapsed", "run.progressing", "stage.succeeded",
    "stage.started", "cluster.updatestarted", "cluster.updated", "cluster.updatesucceeded",  # canary: member3
    "cluster.updatestarted", "cluster.updated", "cluster.updatesucceeded",  # then member1
    "stage.waiting", "approval.requested", "run.waiting",
    "approval.granted", "approval.accepted", "run.progressing", "stage.succeeded",
    "stage.started", "stage.succeeded", "run.succeeded",  # the empty deletion stage
]


def _url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    return f"kafka://{request.getfixturevalue('kafka_bootstrap')}?prefix=orch-{uuid.uuid4().hex[:8]}."


@pytest.fixture(params=["memory", "sqlite", pytest.param("kafka", marks=pytest.mark.kafka)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url(request.param, request, tmp_path)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[EventStore]:
    async with open_store(store_url, registry) as opened:
        await opened.ensure_streams(ALL_STREAMS)
        yield opened


async def rollout(store: EventStore, log: Log, clock: ManualClock, run: str, index: str) -> None:
    """Apply `run`, let the staging wait elapse, approve the canary stage, wait for success."""
    await command(store, cmd.ApplyRun(manifest=howto.run(run, index)))
    waiting = await log.wait_for(StageWaiting, run=run, stage="staging")
    await clock.advance(30)
    await clock.advance(30)
    elapsed = await log.wait_for(WaitElapsed, run=run, stage="staging")
    assert elapsed.time - waiting.time == MINUTE  # fired at the minute, not at the 30 s look
    await log.wait_for(ApprovalRequested, name=f"{run}-canary")
    await command(store, cmd.PatchApprovalStatus(name=f"{run}-canary", conditions=howto.approval_patch()))
    await log.wait_for(RunSucceeded, run=run)


async def test_howto_rollout_then_rollback(store: EventStore) -> None:
    clock = ManualClock()
    await publish_fleet(store, howto_fleet("value1"))
    async with Log(store) as log, FakeAgents(store) as agents, Orchestrator(store, clock=clock):
        await command(store, cmd.ApplyPlacement(manifest=howto.PLACEMENT))
        await log.wait_for(ResourceSnapshotCreated, index=0)
        await publish_fleet(store, [fe.HubResourceApplied(manifest=howto.configmap("value2"), generation=2)])
        await log.wait_for(ResourceSnapshotCreated, index=1)

        await rollout(store, log, clock, "example-run", "1")
        assert [t.removeprefix("fleetstage.") for t in log.types_for_run("example-run")] == HOWTO_RUN_EVENTS
        started = [p.cluster for p in log.payloads(ClusterUpdateStarted, run="example-run")]
        assert started == ["member2", "member3", "member1"]
        assert [p.stage for p in log.payloads(StageSucceeded, run="example-run")] == [
            "staging", "canary", "kubernetes-fleet.io/deleteStage"]
        assert log.matching(ApprovalAccepted, name="example-run-canary")
        assert {c: r[1]["data"]["key"] for c, r in agents.contents.items()} == {
            "member1": "value2", "member2": "value2", "member3": "value2"}

        await rollout(store, log, clock, "example-run-2", "0")
        [init] = log.payloads(RunInitialized, run="example-run-2")
        assert init.resource_snapshot_index == 0 and init.deletion_clusters == []
        assert {c: r[1]["data"]["key"] for c, r in agents.contents.items()} == {
            "member1": "value1", "member2": "value1", "member3": "value1"}
        for run in ("example-run", "example-run-2"):
            assert sorted(agents.requested(run)) == ["member1", "member2", "member3"]
        assert [p.stage for p in log.payloads(StageStarted, run="example-run-2")] == [
            "staging", "canary", "kubernetes-fleet.io/deleteStage"]


@pytest.mark.parametrize("restart_at", ["during-wait", "approval-pending", "approved-while-down"])
async def test_restart_mid_run_requests_each_cluster_once(store: EventStore, restart_at: str) -> None:
    clock = ManualClock()
    await publish_fleet(store, howto_fleet("value1"))
    async with Log(store) as log, FakeAgents(store) as agents:
        async with Orchestrator(store, clock=clock):
            await command(store, cmd.ApplyPlacement(manifest=howto.PLACEMENT))
            await command(store, cmd.ApplyRun(manifest=howto.run("example-run", "0")))
            await log.wait_for(StageWaiting, run="example-run", stage="staging")
            if restart_at != "during-wait":
                await clock.advance(MINUTE)
                await log.wait_for(ApprovalRequested, name="example-run-canary")
        if restart_at == "during-wait":
            await clock.advance(MINUTE)  # the wait ends while no orchestrator runs
        if restart_at == "approved-while-down":
            await command(store, cmd.PatchApprovalStatus(name="example-run-canary", conditions=howto.approval_patch()))
        async with Orchestrator(store, clock=clock):
            if restart_at == "during-wait":
                await log.wait_for(ApprovalRequested, name="example-run-canary")
            if restart_at != "approved-while-down":
                await command(store, cmd.PatchApprovalStatus(name="example-run-canary",
                                                             conditions=howto.approval_patch()))
            await log.wait_for(RunSucceeded, run="example-run")
    assert sorted(agents.requested("example-run")) == ["member1", "member2", "member3"]
    assert len(log.matching(WaitElapsed, run="example-run")) == 1
    assert len(log.matching(ApprovalRequested, name="example-run-canary")) == 1


async def test_a_second_instance_takes_over_when_the_first_stops(store: EventStore) -> None:
    clock = ManualClock()
    await publish_fleet(store, howto_fleet("value1"))
    first = Orchestrator(store, clock=clock)
    await first.__aenter__()  # started first: owns the placements (all of them on a single-host store)
    async with Log(store) as log, FakeAgents(store) as agents, Orchestrator(store, clock=clock):
        await command(store, cmd.ApplyPlacement(manifest=howto.PLACEMENT))
        await command(store, cmd.ApplyRun(manifest=howto.run("example-run", "0")))
        await log.wait_for(StageWaiting, run="example-run", stage="staging")
        await first.__aexit__(None, None, None)
        await clock.advance(MINUTE)
        await log.wait_for(ApprovalRequested, name="example-run-canary")
        await command(store, cmd.PatchApprovalStatus(name="example-run-canary", conditions=howto.approval_patch()))
        await log.wait_for(RunSucceeded, run="example-run")
    assert sorted(agents.requested("example-run")) == ["member1", "member2", "member3"]


async def test_a_failing_decision_is_answered_and_does_not_wedge_the_partition(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestrator.service as service

    real = service.decide

    def broken_for_deletes(state: Any, fleet: Any, event: Any, now: Any, settings: Any) -> Any:
        if isinstance(event.data, cmd.DeleteRun):
            raise RuntimeError("boom")
        return real(state, fleet, event, now, settings)

    monkeypatch.setattr(service, "decide", broken_for_deletes)
    await publish_fleet(store, howto_fleet("value1"))
    async with Log(store) as log, Orchestrator(store, clock=ManualClock()):
        bad = await command(store, cmd.DeleteRun(name="example-run"))
        rejected = await log.wait_for(cmd.CommandRejected, command_id=bad.id)
        assert isinstance(rejected.data, cmd.CommandRejected)
        assert rejected.data.message.startswith("internal error while handling the command (RuntimeError: boom)")
        await command(store, cmd.ApplyPlacement(manifest=howto.PLACEMENT))
        await log.wait_for(ResourceSnapshotCreated, index=0)


async def test_stuck_threshold_fires_from_the_clock_and_clears_when_the_agent_answers(store: EventStore) -> None:
    clock = ManualClock()
    await publish_fleet(store, howto_fleet("value1"))
    async with (Log(store) as log, FakeAgents(store, hold={"member2"}) as agents,
                Orchestrator(store, clock=clock, stuck_threshold=timedelta(minutes=2))):
        await command(store, cmd.ApplyPlacement(manifest=howto.PLACEMENT))
        await command(store, cmd.ApplyRun(manifest=howto.run("example-run", "0")))
        started = await log.wait_for(ClusterUpdateStarted, run="example-run", cluster="member2")
        await agents.wait_held("member2")
        await clock.advance(timedelta(minutes=2))
        stuck = await log.wait_for(RunStuck, run="example-run")
        assert stuck.time - started.time == timedelta(minutes=2)
        assert log.payloads(RunStuck)[0].clusters == ["member2"]
        await agents.release("member2")
        await log.wait_for(StageWaiting, run="example-run", stage="staging")
