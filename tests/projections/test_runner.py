"""ProjectionRunner on a real event store: live equals rebuild, read-your-writes, watch, point-in-time
queries, the audit trail, member health, restart and duplicate delivery."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from eventstore import Event, EventStore
from eventstore.sqlite import SqliteEventStore
from fleetevents import placements, registry, runs, streams
from fleetevents.agents import MemberHeartbeat
from projections import ProjectionError, ProjectionRunner, rebuild
from projections.runner import Projector
from projections.store import ConcurrentWriterError, ProjectionStore
from tests.projections.howto_events import HowTo, whole_howto
from tests.projections.views import approval_row, condition, csur_row

TIMEOUT = 10.0


def tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with closing(sqlite3.connect(path)) as db:
        return {
            t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall() for t in ("documents", "audit", "positions")
        }


async def append_in_chunks(store: EventStore, events: Sequence[Event], size: int = 7) -> None:
    for i in range(0, len(events), size):
        await store.append(events[i : i + size])
        await asyncio.sleep(0)


def with_heartbeats(howto: HowTo, every: int = 5) -> list[Event]:
    """The how-to's events with a heartbeat of each member after every `every` events."""
    out: list[Event] = []
    for i, event in enumerate(howto.events):
        out.append(event)
        if i > 3 and i % every == 0:
            for member in ("member1", "member2", "member3"):
                out.append(
                    Event(
                        "fleetstage.member.heartbeat",
                        member,
                        _heartbeat(member),
                        stream=streams.HEARTBEATS,
                        time=event.time + timedelta(milliseconds=10),
                    )
                )
    return out


def streams_of(events: Sequence[Event]) -> set[str]:
    return {e.stream for e in events}


def _heartbeat(member: str) -> MemberHeartbeat:
    return MemberHeartbeat(name=member)


async def test_live_projection_equals_a_rebuild_from_zero(event_store: EventStore, tmp_path: Path):
    events = with_heartbeats(whole_howto())
    async with ProjectionRunner(event_store, tmp_path / "live.db", batch_size=16) as runner:
        await append_in_chunks(event_store, events)
        await runner.caught_up(TIMEOUT)
        assert len(await runner.audit(limit=None, heartbeats=True)) == len(events)
    positions = await rebuild(event_store, tmp_path / "rebuilt.db")
    ends = {s: {p: n for p, n in (await event_store.end_offsets(s)).items() if n} for s in streams_of(events)}
    assert positions == ends
    live, rebuilt = tables(tmp_path / "live.db"), tables(tmp_path / "rebuilt.db")
    assert live["positions"] == rebuilt["positions"]
    assert live["audit"] == rebuilt["audit"]
    assert live["documents"] == rebuilt["documents"]
    assert len(live["documents"]) > 10
    await rebuild(event_store, tmp_path / "small-batches.db", batch_size=7)  # read ahead, fold and commit overlap
    assert tables(tmp_path / "small-batches.db") == rebuilt
    with closing(sqlite3.connect(tmp_path / "rebuilt.db")) as db:  # the bulk load ends as a durable WAL file
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_rebuild_refuses_to_overwrite(event_store: EventStore, tmp_path: Path):
    (tmp_path / "exists.db").write_bytes(b"")
    with pytest.raises(FileExistsError, match="fresh file"):
        await rebuild(event_store, tmp_path / "exists.db")


async def test_wait_for_gives_read_your_writes(event_store: EventStore, tmp_path: Path):
    howto = HowTo().setup()
    async with ProjectionRunner(event_store, tmp_path / "p.db") as runner:
        positions = await event_store.append(howto.events)
        last = max(p for e, p in zip(howto.events, positions, strict=True) if e.stream == streams.PLACEMENTS)
        await runner.wait_for({streams.PLACEMENTS: {last.partition: last.offset + 1}}, TIMEOUT)
        crp = await runner.get("ClusterResourcePlacement", "example-placement")
        assert crp is not None and condition(crp, "ClusterResourcePlacementScheduled") == "True"
        with pytest.raises(TimeoutError, match=r"placements\[0\] at 0 < 5"):
            await runner.wait_for({streams.PLACEMENTS: {0: 5}}, timeout=0.05)


async def test_watch_reports_added_modified_deleted(event_store: EventStore, tmp_path: Path):
    howto = HowTo().setup().edit_config_map().create_strategy().start_run("example-run", 1)
    async with ProjectionRunner(event_store, tmp_path / "p.db") as runner:
        await event_store.append(howto.events)
        await runner.caught_up(TIMEOUT)
        seen: list[tuple[str, list[str]]] = []

        async def collect() -> None:
            async for type_, doc in runner.watch("ClusterApprovalRequest"):
                seen.append((type_, approval_row(doc)))
                if type_ == "DELETED":
                    return

        watching = asyncio.create_task(collect())
        await asyncio.sleep(0)
        steps = [
            lambda: howto.wait_for_approval("example-run", 1),
            lambda: howto.approve("example-run"),
            lambda: howto.placement(runs.RunDeleted(run="example-run")),
        ]
        for step in steps:
            start = len(howto.events)
            step()
            await event_store.append(howto.events[start:])
            await runner.caught_up(TIMEOUT)
        async with asyncio.timeout(TIMEOUT):
            await watching
    assert seen == [
        ("ADDED", ["example-run-canary", "example-run", "canary", "", ""]),
        ("MODIFIED", ["example-run-canary", "example-run", "canary", "True", "True"]),
        ("DELETED", ["example-run-canary", "example-run", "canary", "True", "True"]),
    ]


async def test_get_at_shows_the_run_as_it_was(event_store: EventStore, tmp_path: Path):
    howto = whole_howto()
    waiting = next(e for e in howto.events if isinstance(e.data, runs.RunWaiting) and e.data.stage == "canary")
    async with ProjectionRunner(event_store, tmp_path / "p.db") as runner:
        await event_store.append(howto.events)
        await runner.caught_up(TIMEOUT)
        then = await runner.get_at("ClusterStagedUpdateRun", "example-run", waiting.time)
        assert then is not None
        assert csur_row(then) == ["example-run", "example-placement", "1", "0", "True", ""]
        assert condition(then, "Progressing", "reason") == "UpdateRunWaiting"
        request = await runner.get_at("ClusterApprovalRequest", "example-run-canary", waiting.time)
        assert request is not None and approval_row(request)[3:] == ["", ""]
        assert await runner.get_at("ClusterStagedUpdateRun", "example-run-2", waiting.time) is None
        now = await runner.get("ClusterStagedUpdateRun", "example-run")
        assert now is not None and condition(now, "Succeeded") == "True"


async def test_audit_trail_filters(event_store: EventStore, tmp_path: Path):
    howto = whole_howto()
    async with ProjectionRunner(event_store, tmp_path / "p.db") as runner:
        await event_store.append(howto.events)
        await runner.caught_up(TIMEOUT)
        everything = await runner.audit(limit=None)
        assert len(everything) == len(howto.events)
        beat = howto.heartbeat("member2")
        await event_store.append([beat])
        await runner.caught_up(TIMEOUT)
        assert len(await runner.audit(limit=None)) == len(howto.events) - 1  # heartbeats are left out...
        howto.events.remove(beat)
        assert [e["id"] for e in await runner.audit(stream=streams.HEARTBEATS)] == [beat.id]  # ...unless asked for
        assert len(await runner.audit(limit=None, heartbeats=True)) == len(howto.events) + 1
        by_alice = await runner.audit(actor="alice", limit=None)
        assert {e["type"] for e in by_alice} == {
            "fleetstage.hubresource.applied",
            "fleetstage.command.placement.apply",
            "fleetstage.strategy.applied",
            "fleetstage.command.run.apply",
            "fleetstage.command.approval.patch",
            "fleetstage.approval.granted",
        }
        granted = await runner.audit(run="example-run", type="fleetstage.approval.granted")
        assert [(e["actor"], e["summary"]) for e in granted] == [
            ("alice", "approval.granted name=example-run-canary run=example-run stage=canary reason=lgtm message=lgtm")
        ]
        member1 = await runner.audit(cluster="member1", type="fleetstage.cluster.")
        assert {e["run"] for e in member1} == {"example-run", "example-run-2"}
        assert all(e["cluster"] == "member1" for e in member1)
        run2 = next(
            e
            for e in howto.events
            if isinstance(e.data, runs.RunCreated) and e.data.manifest["metadata"]["name"] == "example-run-2"
        )
        since = await runner.audit(since=run2.time, placement="example-placement", limit=None)
        assert since[0]["id"] == run2.id
        assert since[0]["summary"] == "run.created ClusterStagedUpdateRun example-run-2 (generation 1)"
        assert [e["time"] for e in since] == sorted(e["time"] for e in since)
        newest = await runner.audit(limit=2)
        assert [e["id"] for e in newest] == [e.id for e in howto.events[-2:]]
        with pytest.raises(ValueError, match="unknown audit filter"):
            await runner.audit(who="alice")


async def test_heartbeat_timeout_marks_a_member_unhealthy(event_store: EventStore, tmp_path: Path):
    howto = HowTo().setup()
    beat = howto.heartbeat("member1")
    now = [beat.time + timedelta(seconds=10)]
    async with ProjectionRunner(event_store, tmp_path / "p.db", clock=lambda: now[0]) as runner:
        await event_store.append(howto.events)
        await runner.caught_up(TIMEOUT)
        member = await runner.get("MemberCluster", "member1")
        assert member is not None
        assert (condition(member, "Joined"), condition(member, "Healthy")) == ("True", "True")
        assert member["status"]["lastHeartbeatTime"] == beat.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert member["metadata"]["labels"] == {"environment": "canary", "order": "2"}
        now[0] = beat.time + timedelta(seconds=16)  # three 5 s heartbeat periods
        member = await runner.get("MemberCluster", "member1")
        assert member is not None and condition(member, "Healthy") == "False"
        assert condition(member, "Healthy", "reason") == "MemberAgentHeartbeatTimeout"
        healthy = {m["metadata"]["name"]: condition(m, "Healthy") for m in await runner.list("MemberCluster")}
        assert healthy == {"member1": "False", "member2": "False", "member3": "False"}
        runner.heartbeat_timeout = 30
        member = await runner.get("MemberCluster", "member1")
        assert member is not None and condition(member, "Healthy") == "True"


async def test_list_filters_by_namespace_and_labels(event_store: EventStore, tmp_path: Path):
    howto = HowTo().setup().edit_config_map()
    async with ProjectionRunner(event_store, tmp_path / "p.db") as runner:
        await event_store.append(howto.events)
        await runner.caught_up(TIMEOUT)
        latest = await runner.list(
            "ClusterResourceSnapshot", label_selector="kubernetes-fleet.io/is-latest-snapshot=true"
        )
        assert [d["metadata"]["name"] for d in latest] == ["example-placement-1-snapshot"]
        canary = await runner.list("MemberCluster", label_selector={"environment": "canary"})
        assert [d["metadata"]["name"] for d in canary] == ["member1", "member3"]
        no_order = await runner.list("MemberCluster", label_selector="!order")
        assert [d["metadata"]["name"] for d in no_order] == ["member2"]
        config = await runner.list("ConfigMap", namespace="test-namespace")
        assert [(d["data"], d["metadata"]["generation"]) for d in config] == [({"key": "value2"}, 2)]
        assert await runner.list("ConfigMap", namespace="default") == []
        namespace = await runner.get("Namespace", "test-namespace")
        assert namespace is not None and namespace["status"] == {"phase": "Active"}


async def test_restart_resumes_from_the_stored_positions(event_store: EventStore, tmp_path: Path):
    events = with_heartbeats(whole_howto())
    half = len(events) // 2
    path = tmp_path / "p.db"
    async with ProjectionRunner(event_store, path, batch_size=8) as runner:
        await event_store.append(events[:half])
        await runner.caught_up(TIMEOUT)
    await event_store.append(events[half:])
    async with ProjectionRunner(event_store, path) as runner:
        await runner.caught_up(TIMEOUT)
        assert len(await runner.audit(limit=None, heartbeats=True)) == len(events)
    await rebuild(event_store, tmp_path / "rebuilt.db")
    assert tables(path) == tables(tmp_path / "rebuilt.db")


async def test_an_event_delivered_twice_is_applied_once(sqlite_event_store: EventStore, tmp_path: Path):
    howto = whole_howto()
    positions = await sqlite_event_store.append(howto.events)
    stored = [e.at(p) for e, p in zip(howto.events, positions, strict=True)]
    async with ProjectionStore(tmp_path / "p.db") as store:
        projector = await Projector.load(store)
        await projector.apply(stored[:40])
        await projector.apply(stored[30:])  # overlaps 10 events already applied
        await projector.apply(stored)
        assert await store.audit_count() == len(stored)
    await rebuild(sqlite_event_store, tmp_path / "rebuilt.db")
    assert tables(tmp_path / "p.db") == tables(tmp_path / "rebuilt.db")


async def test_an_event_a_read_model_cannot_fold_is_recorded_and_skipped(event_store: EventStore, tmp_path: Path):
    howto = HowTo().setup().edit_config_map().create_strategy().start_run("example-run", 1)
    init = next(i for i, e in enumerate(howto.events) if isinstance(e.data, runs.RunInitialized))
    bad_strategy = {"stages": [{"name": "staging", "afterStageTasks": [{"type": "TimedWait", "waitTime": "soon"}]}]}
    broken = replace(
        howto.events[init], data=howto.events[init].data.model_copy(update={"strategy_snapshot": bad_strategy})
    )
    events = [*howto.events[:init], broken, *howto.events[init + 1 :]]
    async with ProjectionRunner(event_store, tmp_path / "p.db") as runner:
        await event_store.append(events)
        await runner.caught_up(TIMEOUT)
        [error] = runner.errors()
        assert (error.event_id, error.type) == (broken.id, "fleetstage.run.initialized")
        assert 'invalid duration "soon"' in error.error
        assert len(await runner.audit(limit=None, heartbeats=True)) == len(events)
        run = await runner.get("ClusterStagedUpdateRun", "example-run")
        assert run is not None and condition(run, "Progressing") == "True"


async def test_snapshots_deleted_by_the_history_limit_disappear(event_store: EventStore, tmp_path: Path):
    howto = HowTo().setup().edit_config_map()
    howto.placement(placements.ResourceSnapshotDeleted(placement="example-placement", index=0))
    async with ProjectionRunner(event_store, tmp_path / "p.db") as runner:
        await event_store.append(howto.events)
        await runner.caught_up(TIMEOUT)
        names = [d["metadata"]["name"] for d in await runner.list("ClusterResourceSnapshot")]
        assert names == ["example-placement-1-snapshot"]
        policy = await runner.get("ClusterSchedulingPolicySnapshot", "example-placement-0")
        assert policy is not None
        assert policy["status"]["targetClusters"][0] == {
            "clusterName": "member1",
            "reason": "picked by scheduling policy",
            "selected": True,
        }


async def test_a_failed_reader_stops_the_runner_loudly(tmp_path: Path):
    store = SqliteEventStore(registry, tmp_path / "events.db")
    await store.open()
    async with ProjectionRunner(store, tmp_path / "p.db") as runner:
        watching = asyncio.create_task(anext(aiter(runner.watch("ClusterStagedUpdateRun"))))
        await asyncio.sleep(0)
        await store.close()  # the readers' next look at the log fails
        with pytest.raises(ProjectionError, match="the projections stopped"):
            await runner.wait_for({streams.PLACEMENTS: {0: 1}}, TIMEOUT)
        with pytest.raises(ProjectionError):
            async with asyncio.timeout(TIMEOUT):
                await watching


async def test_a_second_runner_on_the_same_file_is_refused(sqlite_event_store: EventStore, tmp_path: Path):
    howto = whole_howto()
    positions = await sqlite_event_store.append(howto.events)
    stored = [e.at(p) for e, p in zip(howto.events, positions, strict=True)]
    async with ProjectionStore(tmp_path / "p.db") as first, ProjectionStore(tmp_path / "p.db") as second:
        one, two = await Projector.load(first), await Projector.load(second)
        await one.apply(stored[:10])
        with pytest.raises(ConcurrentWriterError, match="run one projection runner per file"):
            await two.apply(stored[:20])
        await one.apply(stored[10:])
        assert await first.audit_count() == len(stored)
