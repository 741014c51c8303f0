"""A member agent on the real stores: joins with its labels, applies its commands to a directory and
reports each outcome once, prunes, retries, and survives redelivery and crashes."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from agents import ApplySettings, LedgerKey, MemberAgent, Outcome, RetryPolicy
from agents.host import AgentFailed
from agents.targets import DirectoryTarget, FaultRule, FaultyTarget
from eventstore import EventStore
from fleetevents.agents import ClusterUpdated
from fleetevents.fleet import MemberJoined, MemberLabelsChanged, MemberLeft
from fleetevents.streams import FLEET, HEARTBEATS, PLACEMENTS
from tests.agents.conftest import FAST, WAIT, configmap, is_report, namespace, read_all, report_of, send, wait_events

CANARY = {"environment": "canary", "order": "2"}


def agent(store: EventStore, target_dir: Path, *, target=None, labels=CANARY, settings=FAST) -> MemberAgent:
    return MemberAgent(store, "member1", labels, target or DirectoryTarget(target_dir), settings=settings)


async def test_join_relabel_and_leave(any_store: EventStore, tmp_path: Path) -> None:
    store = any_store
    async with agent(store, tmp_path):
        [joined] = await wait_events(store, FLEET, 1)
    assert joined.data == MemberJoined(name="member1", labels=CANARY, heartbeat_seconds=10.0)
    assert joined.subject == "MemberCluster/member1"

    async with agent(store, tmp_path):  # same labels, after a clean stop: it had left, so it joins again
        pass
    async with agent(store, tmp_path, labels={"environment": "staging"}):
        pass
    types = [type(e.data) for e in await read_all(store, FLEET)]
    assert types == [MemberJoined, MemberLeft, MemberJoined, MemberLeft, MemberJoined, MemberLeft]


async def test_restart_after_crash_announces_only_changed_labels(store: EventStore, tmp_path: Path) -> None:
    for started, labels in enumerate((CANARY, CANARY, {"environment": "staging"}), 1):
        task = asyncio.create_task(_serve_forever(agent(store, tmp_path, labels=labels)))
        await wait_events(store, HEARTBEATS, started)  # it is up (it announces itself before its first heartbeat)
        task.cancel()  # a crash: no MemberLeft
        await asyncio.wait([task])
    fleet = await read_all(store, FLEET)
    assert [type(e.data) for e in fleet] == [MemberJoined, MemberLabelsChanged]
    assert fleet[1].data == MemberLabelsChanged(name="member1", labels={"environment": "staging"})


async def _serve_forever(member_agent: MemberAgent) -> None:
    async with member_agent:
        await member_agent.run_until(asyncio.Event())


async def test_applies_and_reports(any_store: EventStore, tmp_path: Path) -> None:
    store = any_store
    async with agent(store, tmp_path):
        command = await send(store, "member1", [namespace(), configmap()], index=1)
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(command))
    assert report.subject == "example-placement"
    assert report.data == ClusterUpdated(
        run="run-1", placement="example-placement", stage="canary", cluster="member1", resource_snapshot_index=1,
        succeeded=True, message="applied 2 objects of placement 'example-placement' snapshot 1", attempts=1,
    )
    assert yaml.safe_load((tmp_path / "test-namespace/ConfigMap/test-cm.yaml").read_text()) == configmap()
    assert yaml.safe_load((tmp_path / "_cluster/Namespace/test-namespace.yaml").read_text()) == namespace()


async def test_ignores_commands_of_other_clusters(store: EventStore, tmp_path: Path) -> None:
    async with agent(store, tmp_path) as member_agent:
        await send(store, "member2", [namespace()])
        mine = await send(store, "member1", [configmap()])
        await wait_events(store, PLACEMENTS, 1, report_of(mine))
        await member_agent.wait_caught_up(timeout=10)
    reports = await read_all(store, PLACEMENTS, is_report)
    assert [r.data.cluster for r in reports] == ["member1"]
    assert not (tmp_path / "_cluster").exists()


async def test_rollback_prunes_and_leaves_foreign_files(store: EventStore, tmp_path: Path) -> None:
    foreign = tmp_path / "test-namespace" / "ConfigMap" / "hand-made.yaml"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("kept: true\n")
    async with agent(store, tmp_path):
        newer = await send(store, "member1", [namespace(), configmap(), configmap("extra")], run="run-1", index=1)
        await wait_events(store, PLACEMENTS, 1, report_of(newer))
        assert (tmp_path / "test-namespace/ConfigMap/extra.yaml").exists()
        older = await send(store, "member1", [namespace(), configmap()], run="run-2", index=0)
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(older))
        assert report.data.succeeded
        assert not (tmp_path / "test-namespace/ConfigMap/extra.yaml").exists()
        assert (tmp_path / "test-namespace/ConfigMap/test-cm.yaml").exists()

        removal = await send(store, "member1", [], run="run-3", index=0, delete=True)
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(removal))
    assert report.data.succeeded and report.data.message == "removed the objects of placement 'example-placement'"
    assert not (tmp_path / "_cluster").exists()
    assert not (tmp_path / "test-namespace/ConfigMap/test-cm.yaml").exists()
    assert foreign.read_text() == "kept: true\n"


async def test_failure_names_the_object_after_retries(store: EventStore, tmp_path: Path) -> None:
    target = FaultyTarget(DirectoryTarget(tmp_path), [FaultRule.fail("ConfigMap/test-namespace/test-cm")])
    async with agent(store, tmp_path, target=target):
        command = await send(store, "member1", [namespace(), configmap()])
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(command))
    assert not report.data.succeeded
    assert report.data.attempts == 3
    assert report.data.message == (
        "ConfigMap test-namespace/test-cm: injected failure (fault rule 'ConfigMap/test-namespace/test-cm', always)"
        " (gave up after 3 attempts)"
    )


async def test_malformed_object_fails_at_once(store: EventStore, tmp_path: Path) -> None:
    nameless = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "test-namespace"}}
    async with agent(store, tmp_path):
        command = await send(store, "member1", [nameless])
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(command))
    assert not report.data.succeeded and report.data.attempts == 1
    assert "ConfigMap" in report.data.message and "metadata.name" in report.data.message


async def test_transient_failures_are_retried_until_success(store: EventStore, tmp_path: Path) -> None:
    target = FaultyTarget(DirectoryTarget(tmp_path), [FaultRule.fail("test-cm", times=2)])
    async with agent(store, tmp_path, target=target):
        command = await send(store, "member1", [namespace(), configmap()])
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(command))
    assert report.data.succeeded and report.data.attempts == 3


async def test_backoff_grows_exponentially(store: EventStore, tmp_path: Path) -> None:
    policy = RetryPolicy(max_attempts=6, initial=0.5, multiplier=2, maximum=3)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1, 2, 3, 3]


async def test_redelivered_command_is_reported_again_without_applying(store: EventStore, tmp_path: Path) -> None:
    cm_file = tmp_path / "test-namespace/ConfigMap/test-cm.yaml"
    async with agent(store, tmp_path) as member_agent:
        first = await send(store, "member1", [namespace(), configmap()], index=3)
        await wait_events(store, PLACEMENTS, 1, report_of(first))
        written = cm_file.stat()
        again = await send(store, "member1", [namespace(), configmap()], index=3)  # same run, placement, snapshot
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(again))
        entries = await member_agent.target.ledger.entries()
    assert report.data.succeeded and report.data.attempts == 1
    assert [e.key for e in entries] == [LedgerKey("run-1", "example-placement", 3)]
    assert (cm_file.stat().st_ino, cm_file.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


async def test_same_snapshot_from_another_run_rewrites_nothing(store: EventStore, tmp_path: Path) -> None:
    cm_file = tmp_path / "test-namespace/ConfigMap/test-cm.yaml"
    async with agent(store, tmp_path) as member_agent:
        first = await send(store, "member1", [namespace(), configmap()], run="run-1")
        await wait_events(store, PLACEMENTS, 1, report_of(first))
        written = cm_file.stat()
        second = await send(store, "member1", [namespace(), configmap()], run="run-2")
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(second))
        entries = await member_agent.target.ledger.entries()
    assert report.data.succeeded
    assert [e.key.run for e in entries] == ["run-2"]  # run-1's command was committed before: its entry went
    assert (cm_file.stat().st_ino, cm_file.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


async def test_failed_outcome_is_kept_in_the_ledger(store: EventStore, tmp_path: Path) -> None:
    target = FaultyTarget(DirectoryTarget(tmp_path), [FaultRule.fail("test-cm")])
    async with agent(store, tmp_path, target=target, settings=ApplySettings(RetryPolicy(max_attempts=1))):
        command = await send(store, "member1", [configmap()])
        await wait_events(store, PLACEMENTS, 1, report_of(command))
    [entry] = await DirectoryTarget(tmp_path).ledger.entries()
    assert entry.outcome == Outcome(False, entry.outcome.message, 1) and "test-cm" in entry.outcome.message


class BrokenTarget(DirectoryTarget):
    async def apply(self, placement, objects) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("bug in the target")


async def test_unexpected_error_stops_the_agent_loudly(store: EventStore, tmp_path: Path) -> None:
    member_agent = agent(store, tmp_path, target=BrokenTarget(tmp_path))
    expected = r"agent 'agent-member1' stopped serving: RuntimeError\('bug in the target'\)"
    with pytest.raises(AgentFailed, match=expected):
        async with member_agent:
            await send(store, "member1", [configmap()])
            async with asyncio.timeout(WAIT):
                await member_agent.run_until(asyncio.Event())
    assert await read_all(store, PLACEMENTS, is_report) == []
    assert [type(e.data) for e in await read_all(store, FLEET)] == [MemberJoined]  # no clean leave
