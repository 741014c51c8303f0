"""Run initialisation: the plan of the how-to's runs, and every failure message of fleet-semantics.md."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from fleetevents import commands as cmd
from fleetevents import fleet as fe
from fleetevents.runs import RunInitializationFailed, RunInitialized
from resources.placement import ClusterResourcePlacement
from tests.orchestrator import howto
from tests.orchestrator.machine import Machine, of, placement, strategy, types

STAGING = {"name": "staging", "labelSelector": {"matchLabels": {"environment": "staging"}}}
CANARY = {"name": "canary", "labelSelector": {"matchLabels": {"environment": "canary"}}, "sortingLabelKey": "order"}


def test_howto_run_plan_is_the_how_to_status() -> None:
    m = Machine.howto()
    [plan] = of(m.apply_run(howto.run("example-run", "1")), RunInitialized)
    assert plan.resource_snapshot_index == 1
    assert plan.policy_snapshot_index == 0
    assert plan.policy_observed_cluster_count == 3
    assert [(s.name, s.clusters) for s in plan.stages] == [("staging", ["member2"]), ("canary", ["member3", "member1"])]
    assert plan.deletion_clusters == []
    assert plan.strategy_snapshot == {"stages": [
        {"afterStageTasks": [{"type": "TimedWait", "waitTime": "1m0s"}],
         "labelSelector": {"matchLabels": {"environment": "staging"}}, "name": "staging"},
        {"afterStageTasks": [{"type": "Approval"}], "labelSelector": {"matchLabels": {"environment": "canary"}},
         "name": "canary", "sortingLabelKey": "order"},
    ]}


def test_absent_snapshot_index_means_latest() -> None:
    m = Machine.howto()
    [plan] = of(m.apply_run(howto.run("example-run", None)), RunInitialized)
    assert plan.resource_snapshot_index == 1


def _fails(m: Machine, run: dict[str, Any]) -> str:
    events = m.apply_run(run)
    assert types(events) == ["run.created", "run.initializationfailed"]
    return of(events, RunInitializationFailed)[0].message


def _with_members(members: dict[str, dict[str, str]], **kw: Any) -> Machine:
    return Machine.howto(members=members, **kw)


INIT_ERRORS: list[tuple[str, Any, str]] = [
    ("strategy missing",
     lambda: (Machine.howto(), howto.run("r", "1", strategy="nope")),
     "referenced updateStrategy not found: `nope`"),
    ("snapshot index missing",
     lambda: (Machine.howto(), howto.run("r", "7")),
     "no resourceSnapshots with index `7` found for placement `example-placement`"),
    ("cluster in two stages",
     lambda: (Machine.howto(strategy=strategy(STAGING, {"name": "all", "labelSelector": {}})), howto.run("r", "1")),
     "cluster `member2` appears in more than one stages"),
    ("cluster in no stage",
     lambda: (Machine.howto(strategy=strategy(CANARY)), howto.run("r", "1")),
     "some clusters are not placed in any stage, total 1, showing up to 10: member2"),
    ("absent labelSelector selects nothing",
     lambda: (Machine.howto(strategy=strategy(STAGING, {"name": "canary"})), howto.run("r", "1")),
     "some clusters are not placed in any stage, total 2, showing up to 10: member1, member3"),
    ("sorting label missing",
     lambda: (_with_members({**howto.MEMBERS, "member1": {"environment": "canary"}}), howto.run("r", "1")),
     "the sorting label `order` is not found on cluster `member1` in stage `canary`"),
    ("sorting label not an integer",
     lambda: (_with_members({**howto.MEMBERS, "member3": {"environment": "canary", "order": "first"}}),
              howto.run("r", "1")),
     "the sorting label `order:first` on cluster `member3` in stage `canary` is not a valid integer"),
    ("PickN short of clusters",
     lambda: (Machine.howto(placement=placement(policy={"placementType": "PickN", "numberOfClusters": 5})),
              howto.run("r", "1")),
     "policy snapshot `example-placement-0` is not fully scheduled yet: could not find all the clusters needed "
     "as specified by the scheduling policy: found 3 of 5"),
]


@pytest.mark.parametrize(("setup", "message"), [(s, msg) for _, s, msg in INIT_ERRORS],
                         ids=[name for name, _, _ in INIT_ERRORS])
def test_initialization_failure_messages(setup: Any, message: str) -> None:
    m, run = setup()
    assert _fails(m, run) == message


def test_more_than_ten_unplaced_clusters_shows_ten_sorted() -> None:
    members = {f"c{i:02d}": {"environment": "prod"} for i in range(12)}
    m = _with_members(members, strategy=strategy(STAGING))
    assert _fails(m, howto.run("r", "0")) == (
        "some clusters are not placed in any stage, total 12, showing up to 10: "
        + ", ".join(f"c{i:02d}" for i in range(10))
    )


def test_placement_missing() -> None:
    m = Machine()
    m.fleet_event(fe.StrategyApplied(manifest=howto.STRATEGY, generation=1))
    assert _fails(m, howto.run("r", "0")) == "parent placement `example-placement` not found"


def test_placement_without_external_strategy() -> None:
    m = Machine.howto()
    rolling = placement(strategy={"type": "RollingUpdate"})
    m.state = replace(m.state, placement=ClusterResourcePlacement.model_validate(rolling))
    assert _fails(m, howto.run("r", "1")) == (
        "parent placement does not have an external rollout strategy, current strategy: RollingUpdate")


def test_snapshot_collected_by_revision_history_limit() -> None:
    m = Machine.howto(placement=placement(revisionHistoryLimit=1))
    assert _fails(m, howto.run("r", "0")) == (
        "no resourceSnapshots with index `0` found for placement `example-placement`")
    assert of(m.apply_run(howto.run("r2", "1")), RunInitialized)


@pytest.mark.parametrize(("max_concurrency", "expected"), [(None, 1), (2, 2), (5, 5), ("50%", 1), ("67%", 2),
                                                            ("100%", 3), ("1%", 1)])
def test_max_concurrency_int_or_percent_of_the_stage(max_concurrency: Any, expected: int) -> None:
    stage: dict[str, Any] = {"name": "all", "labelSelector": {}}
    if max_concurrency is not None:
        stage["maxConcurrency"] = max_concurrency
    m = Machine.howto(strategy=strategy(stage))
    [plan] = of(m.apply_run(howto.run("r", "1")), RunInitialized)
    assert plan.stages[0].max_concurrency == expected
    assert plan.stages[0].clusters == ["member1", "member2", "member3"]


def test_initialize_state_plans_without_executing() -> None:
    m = Machine.howto()
    assert types(m.apply_run(howto.run("r", "1", state="Initialize"))) == ["run.created", "run.initialized"]
    assert types(m.apply_run(howto.run("r", "1", state="Run")))[:4] == [
        "run.statechanged", "run.progressing", "stage.started", "cluster.updatestarted"]


def test_strategy_edits_after_initialization_do_not_affect_the_run() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("r", "1"))
    m.fleet_event(fe.StrategyDeleted(name="example-strategy"))
    m.answer_all()
    assert types(m.advance(60))[:3] == ["wait.elapsed", "run.progressing", "stage.succeeded"]


def test_run_manifest_errors_are_rejected_with_the_field() -> None:
    m = Machine.howto()
    bad = howto.run("r", "1")
    bad["spec"]["resourceSnapshotIndex"] = "one"
    [rejected] = of(m.apply_run(bad), cmd.CommandRejected)
    assert rejected.field == "spec.resourceSnapshotIndex"
    assert rejected.command_type == "fleetstage.command.run.apply"
