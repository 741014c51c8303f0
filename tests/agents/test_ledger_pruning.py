"""The apply ledger stays small: entries of committed commands go, in the same write as a new entry.

Every ledger (memory, file, ConfigMap) keeps a handful of entries over hundreds of commands; legacy
entries (no position) load and stay; the file ledger compacts atomically and survives a torn last line
and reopening; a command redelivered inside the uncommitted window is still answered from the ledger;
and the watermark the host relies on (every offset below a batch's first one is committed) holds on
every backend.
"""
from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from agents import LedgerEntry, LedgerKey, MemberAgent, Outcome
from agents.ledger import COMPACT_MIN_DEAD, ApplyLedger, FileLedger, MemoryLedger
from agents.targets import DirectoryTarget, Manifest
from agents.targets.kubernetes import STATE_CONFIGMAP, STATE_NAMESPACE, ConfigMapLedger, KubernetesTarget
from eventstore import Event, EventStore, Position
from fleetevents.agents import ClusterUpdateRequested
from fleetevents.streams import PLACEMENTS
from tests.agents.conftest import (
    FAST, WAIT, StuckLedger, configmap, is_report, namespace, read_all, report_of, send, wait_events,
)
from tests.agents.fake_kube import FakeApiServer

APPLIED = Outcome(True, "applied", 1)
STATE_KEY = ("api/v1", "configmaps", STATE_NAMESPACE, STATE_CONFIGMAP)


def entry(index: int, offset: int, partition: int = 0) -> LedgerEntry:
    """The entry of snapshot `index` of placement `crp`, whose command sits at `offset`."""
    return LedgerEntry(LedgerKey("run-1", "crp", index), APPLIED, Position(partition, offset))


@pytest.fixture(params=["memory", "file", "configmap"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> ApplyLedger:
    if request.param == "memory":
        return MemoryLedger()
    if request.param == "file":
        return FileLedger(tmp_path / "ledger.jsonl")
    return KubernetesTarget(FakeApiServer().client()).ledger


async def test_five_hundred_commands_of_one_placement_leave_one_batch_of_entries(ledger: ApplyLedger) -> None:
    for first in range(0, 500, 3):  # batches of three commands each, one after another
        for offset in range(first, min(first + 3, 500)):
            await ledger.record(entry(offset, offset), Position(0, first))
    assert sorted(e.position for e in await ledger.entries() if e.position) == [Position(0, 498), Position(0, 499)]
    assert await ledger.get(LedgerKey("run-1", "crp", 499)) == APPLIED
    assert await ledger.get(LedgerKey("run-1", "crp", 0)) is None


async def test_only_entries_of_the_same_partition_below_the_watermark_go(ledger: ApplyLedger) -> None:
    await ledger.record(entry(1, 10, partition=0), Position(0, 10))
    await ledger.record(entry(2, 11, partition=0), Position(0, 10))  # same batch: both may be redelivered
    await ledger.record(entry(3, 4, partition=1), Position(1, 4))
    await ledger.record(entry(4, 12, partition=0), Position(0, 12))
    assert sorted((e.position.partition, e.position.offset) for e in await ledger.entries() if e.position) == [
        (0, 12), (1, 4)
    ]


async def test_configmap_ledger_records_and_prunes_in_one_update() -> None:
    api = FakeApiServer()
    ledger = KubernetesTarget(api.client()).ledger
    for offset in range(5):
        await ledger.record(entry(offset, offset), Position(0, offset))
    writes = api.writes
    await ledger.record(entry(5, 5), Position(0, 5))
    assert api.writes == writes + 1
    stored = api.objects[STATE_KEY]["data"]
    assert [json.loads(value) for value in stored.values()] == [
        {"run": "run-1", "placement": "crp", "resource_snapshot_index": 5, "delete": False,
         "succeeded": True, "message": "applied", "attempts": 1, "partition": 0, "offset": 5},
    ]


async def test_configmap_ledger_keeps_legacy_entries() -> None:
    api = FakeApiServer()
    legacy = {"key": ["run-0", "crp", 0, False], "outcome": {"succeeded": False, "message": "boom", "attempts": 3}}
    name = ConfigMapLedger._entry(LedgerKey("run-0", "crp", 0))  # as written before positions were kept
    api.objects[STATE_KEY] = {"metadata": {"name": STATE_CONFIGMAP, "namespace": STATE_NAMESPACE},
                              "data": {name: json.dumps(legacy)}}
    ledger = KubernetesTarget(api.client()).ledger
    for offset in range(3):
        await ledger.record(entry(offset + 1, offset), Position(0, offset))
    assert await ledger.get(LedgerKey("run-0", "crp", 0)) == Outcome(False, "boom", 3)
    assert sorted((e.key.run, e.position) for e in await ledger.entries()) == [
        ("run-0", None), ("run-1", Position(0, 2))
    ]


async def test_file_ledger_keeps_legacy_entries(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    legacy = {"run": "run-0", "placement": "crp", "resource_snapshot_index": 0, "delete": False,
              "succeeded": True, "message": "applied", "attempts": 1}
    path.write_bytes(json.dumps(legacy).encode() + b"\n")
    ledger = FileLedger(path)
    for offset in range(3 * COMPACT_MIN_DEAD):  # compacts: the legacy entry is rewritten, not dropped
        await ledger.record(entry(offset + 1, offset), Position(0, offset))
    reopened = FileLedger(path)
    assert [(e.key.run, e.position) for e in await reopened.entries()] == [
        ("run-0", None), ("run-1", Position(0, 3 * COMPACT_MIN_DEAD - 1))
    ]


async def test_file_ledger_compacts_and_survives_a_torn_last_line_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    ledger = FileLedger(path)
    for offset in range(500):
        await ledger.record(entry(offset, offset), Position(0, offset))
        assert len(path.read_bytes().splitlines()) <= COMPACT_MIN_DEAD + 1
    with path.open("ab") as handle:
        handle.write(b'{"run": "run-1", "plac')  # the process died while appending
    reopened = FileLedger(path)
    assert await reopened.entries() == await ledger.entries() == [entry(499, 499)]  # dead lines replayed away
    await reopened.record(entry(500, 500), Position(0, 499))  # the same batch as 499: both kept
    assert await FileLedger(path).entries() == [entry(499, 499), entry(500, 500)]
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.jsonl"]  # no temp file left by the compactions


class CountingTarget(DirectoryTarget):
    """Counts its applies by the value of the ConfigMap applied last (the counter outlives the agent)."""

    def __init__(self, root: Path, applied: Counter[str]) -> None:
        super().__init__(root)
        self.applied = applied

    async def apply(self, placement: str, objects: Sequence[Manifest]) -> None:
        self.applied[str(objects[-1]["data"]["key"])] += 1
        await super().apply(placement, objects)


async def _crash_after_first_record(store: EventStore, root: Path, applied: Counter[str]) -> None:
    target = CountingTarget(root, applied)
    reached = asyncio.Event()
    target.ledger = StuckLedger(target.ledger.path, reached)
    task = asyncio.create_task(_serve(MemberAgent(store, "member1", {}, target, settings=FAST)))
    async with asyncio.timeout(WAIT):
        await reached.wait()
    task.cancel()
    await asyncio.wait([task])


async def _serve(member_agent: MemberAgent) -> None:
    async with member_agent:
        await member_agent.run_until(asyncio.Event())


async def test_a_batch_redelivered_twice_applies_each_command_once(store: EventStore, tmp_path: Path) -> None:
    first = await send(store, "member1", [namespace(), configmap(value="a")], index=1)
    second = await send(store, "member1", [namespace(), configmap(value="b")], index=2)  # the same batch
    applied: Counter[str] = Counter()
    await _crash_after_first_record(store, tmp_path, applied)  # a recorded, not committed
    await _crash_after_first_record(store, tmp_path, applied)  # a from the ledger; b recorded, not committed
    async with MemberAgent(store, "member1", {}, CountingTarget(tmp_path, applied), settings=FAST) as restarted:
        await restarted.wait_caught_up(timeout=WAIT)
        entries = await restarted.target.ledger.entries()
    reports = await read_all(store, PLACEMENTS, is_report)
    assert sorted(r.causationid for r in reports) == sorted([first.id, second.id])
    assert applied == {"a": 1, "b": 1}
    assert [e.key.resource_snapshot_index for e in entries] == [1, 2]  # their batch is committed now, not pruned yet


class WatermarkCheckingAgent(MemberAgent):
    """At every batch, checks what the ledger's pruning relies on: each command this agent handled below
    the batch's first offset is committed, i.e. its report (appended in the commit's transaction) is in
    the log. `checked` counts the commands checked, `uncommitted` lists those that were not."""

    def __init__(self, store: EventStore, root: Path) -> None:
        super().__init__(store, "member1", {}, DirectoryTarget(root), settings=FAST)
        self.handled: dict[str, Position] = {}
        self.checked = 0
        self.uncommitted: list[str] = []

    async def _handle(self, partition: int, batch: Sequence[Event]) -> list[Event]:
        first = batch[0].position
        assert first is not None
        below = [c for c, at in self.handled.items() if at.partition == partition and at.offset < first.offset]
        reported = {report.causationid for report in await read_all(self.store, PLACEMENTS, is_report)}
        self.checked += len(below)
        self.uncommitted += [command for command in below if command not in reported]
        reports = await super()._handle(partition, batch)
        for event in batch:
            if isinstance(event.data, ClusterUpdateRequested) and event.data.cluster == self.cluster:
                assert event.position is not None
                self.handled[event.id] = event.position
        return reports


async def test_every_command_below_a_batch_is_committed_and_the_ledger_stays_small(
    any_store: EventStore, tmp_path: Path
) -> None:
    store = any_store
    async with WatermarkCheckingAgent(store, tmp_path) as checking:
        for wave in range(5):
            commands = [
                await send(store, "member1", [namespace(), configmap(value=f"{wave}-{n}")], index=4 * wave + n)
                for n in range(4)
            ]
            for command in commands:
                await wait_events(store, PLACEMENTS, 1, report_of(command))
        entries = await checking.target.ledger.entries()
    assert checking.checked >= 16 and checking.uncommitted == []
    assert 1 <= len(entries) <= 4
    assert {e.key.resource_snapshot_index for e in entries} <= {16, 17, 18, 19}  # the last wave's only
