"""DirectoryTarget: file layout, no rewrites of equal objects, pruning that never touches foreign files,
objects shared by placements, crash-safe placement records; the file ledger; failure injection."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agents.ledger import FileLedger, LedgerEntry, LedgerKey, Outcome
from agents.targets import DirectoryTarget, FaultRule, FaultyTarget, ObjectKey, TargetError, TransientTargetError
from eventstore import Position
from orchestrator.clock import ManualClock
from tests.agents.conftest import WAIT, configmap, namespace


def placed(root: Path) -> dict[str, list[str]]:
    return json.loads((root / ".fleetstage/placed.json").read_text())


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.yaml"))


async def test_layout_and_placement_record(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    await target.apply("crp", [configmap(), namespace()])
    assert files(tmp_path) == ["_cluster/Namespace/test-namespace.yaml", "test-namespace/ConfigMap/test-cm.yaml"]
    assert placed(tmp_path) == {"crp": files(tmp_path)}
    assert not [p for p in tmp_path.rglob("*.tmp")]
    assert await target.read_back("crp") == {
        ObjectKey("v1", "Namespace", "test-namespace"): namespace(),
        ObjectKey("v1", "ConfigMap", "test-cm", "test-namespace"): configmap(),
    }
    assert await target.check_available([namespace(), configmap()]) == []


async def test_check_available_names_missing_and_changed_objects(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    await target.apply("crp", [configmap()])
    (tmp_path / "test-namespace/ConfigMap/test-cm.yaml").write_text("edited: by hand\n")
    problems = await target.check_available([configmap(), namespace()])
    assert problems == [
        f"Namespace test-namespace: not found at {tmp_path}/_cluster/Namespace/test-namespace.yaml",
        f"ConfigMap test-namespace/test-cm: {tmp_path}/test-namespace/ConfigMap/test-cm.yaml"
        " does not hold the applied content",
    ]


async def test_equal_objects_are_not_rewritten_changed_ones_are(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    await target.apply("crp", [namespace(), configmap()])
    ns_file = tmp_path / "_cluster/Namespace/test-namespace.yaml"
    cm_file = tmp_path / "test-namespace/ConfigMap/test-cm.yaml"
    before = ns_file.stat(), cm_file.stat()
    await target.apply("crp", [namespace(), configmap(value="value2")])
    assert ns_file.stat().st_ino == before[0].st_ino and ns_file.stat().st_mtime_ns == before[0].st_mtime_ns
    assert cm_file.stat().st_ino != before[1].st_ino
    assert "value2" in cm_file.read_text()


async def test_object_held_by_two_placements_goes_with_the_last(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    await target.apply("a", [namespace(), configmap("a-cm")])
    await target.apply("b", [namespace()])
    await target.remove("a")
    assert files(tmp_path) == ["_cluster/Namespace/test-namespace.yaml"]
    await target.remove("b")
    assert files(tmp_path) == [] and placed(tmp_path) == {}


async def test_foreign_files_are_never_removed(tmp_path: Path) -> None:
    foreign = tmp_path / "test-namespace/ConfigMap/mine.yaml"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("owner: someone else\n")
    target = DirectoryTarget(tmp_path)
    await target.apply("crp", [configmap()])
    await target.remove("crp")
    assert files(tmp_path) == ["test-namespace/ConfigMap/mine.yaml"]


async def test_interrupted_apply_still_prunes_when_redone(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    await target.apply("crp", [configmap("old")])
    blocked = tmp_path / "test-namespace/ConfigMap/new.yaml"
    blocked.mkdir(parents=True)  # a directory where the file must go: the write fails
    with pytest.raises(TransientTargetError, match="ConfigMap test-namespace/new: cannot"):
        await target.apply("crp", [configmap("new")])
    assert placed(tmp_path)["crp"] == ["test-namespace/ConfigMap/new.yaml", "test-namespace/ConfigMap/old.yaml"]
    blocked.rmdir()
    await target.apply("crp", [configmap("new")])
    assert files(tmp_path) == ["test-namespace/ConfigMap/new.yaml"]
    assert placed(tmp_path) == {"crp": ["test-namespace/ConfigMap/new.yaml"]}


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "ConfigMap .* has no metadata.name"),
        ({"apiVersion": "v1", "metadata": {"name": "x"}}, "has no kind"),
        (configmap("../x"), r"ConfigMap test-namespace/../x: metadata.name '../x' cannot be a file name"),
    ],
)
async def test_malformed_objects_are_refused(tmp_path: Path, obj: dict, error: str) -> None:
    with pytest.raises(TargetError, match=error) as caught:
        await DirectoryTarget(tmp_path).apply("crp", [obj])
    assert not isinstance(caught.value, TransientTargetError)


async def test_object_listed_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="ConfigMap test-namespace/test-cm is listed twice"):
        await DirectoryTarget(tmp_path).apply("crp", [configmap(), configmap(value="other")])


async def test_ledger_survives_reopening_and_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    ledger = FileLedger(path)
    key = LedgerKey("run-1", "crp", 2)
    await ledger.record(LedgerEntry(key, Outcome(True, "applied", 1), Position(0, 7)), Position(0, 7))
    with path.open("ab") as handle:
        handle.write(b'{"run": "run-2", "plac')  # the process died while writing
    reopened = FileLedger(path)
    assert await reopened.get(key) == Outcome(True, "applied", 1)
    second = LedgerEntry(LedgerKey("run-2", "crp", 3, delete=True), Outcome(False, "boom", 2), Position(0, 8))
    await reopened.record(second, Position(0, 7))  # in the same batch as the first: both kept
    assert [(e.key.run, e.position) for e in await FileLedger(path).entries()] == [
        ("run-1", Position(0, 7)), ("run-2", Position(0, 8))
    ]


async def test_fault_rule_fails_the_first_times_then_lets_through(tmp_path: Path) -> None:
    target = FaultyTarget(DirectoryTarget(tmp_path), [FaultRule.fail("ConfigMap/test-cm", times=2, message="API busy")])
    for attempt in (1, 2):
        with pytest.raises(TransientTargetError) as caught:
            await target.apply("crp", [namespace(), configmap()])
        expected = f"ConfigMap test-namespace/test-cm: API busy (fault rule 'ConfigMap/test-cm', {attempt} of 2)"
        assert str(caught.value) == expected
    await target.apply("crp", [namespace(), configmap()])
    assert files(tmp_path) == ["_cluster/Namespace/test-namespace.yaml", "test-namespace/ConfigMap/test-cm.yaml"]


async def test_fault_rule_hangs_on_the_clock(tmp_path: Path) -> None:
    clock = ManualClock()
    rule = FaultRule.hang("*", 60, times=1)
    target = FaultyTarget(DirectoryTarget(tmp_path), [rule], clock=clock)
    applying = asyncio.create_task(target.apply("crp", [configmap()]))
    await asyncio.sleep(0)  # one loop turn: the apply starts and parks on the clock
    assert rule.fired == 1
    await clock.advance(59)
    await asyncio.sleep(0)  # let the apply run as far as it can
    assert not applying.done() and files(tmp_path) == []
    await clock.advance(1)
    async with asyncio.timeout(WAIT):
        await applying
    assert files(tmp_path) == ["test-namespace/ConfigMap/test-cm.yaml"]
    await target.apply("crp", [configmap(value="v2")])  # fired once: no hang any more


def test_bad_selector_is_refused() -> None:
    for bad in ("a/b/c/d", "", "ConfigMap/"):
        with pytest.raises(ValueError, match=f"bad object selector '{bad}': use name, Kind/name"):
            FaultRule.fail(bad)
