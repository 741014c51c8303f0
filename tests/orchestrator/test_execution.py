"""Executing runs in the pure state machine: every reason of fleet-semantics.md's execution rules."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from fleetevents import commands as cmd
from fleetevents import fleet as fe
from fleetevents.agents import ClusterUpdateRequested
from fleetevents.runs import (
    ApprovalRequested,
    ClusterUpdateFailed,
    RunFailed,
    RunStopped,
    RunStopping,
    RunStuck,
    RunWaiting,
    StageFailed,
    StageSkipped,
    StageStarted,
    StageSucceeded,
)
from orchestrator.decide import next_due
from orchestrator.evolve import evolve_all
from orchestrator.execution import Settings
from orchestrator.state import PlacementState
from tests.orchestrator import howto
from tests.orchestrator.machine import START, Machine, of, placement, strategy, types

ALL = {"name": "all", "labelSelector": {}}


def started(m: Machine, run: str = "r") -> list[str]:
    return [r.cluster for r in m.outbox if r.run == run]


def test_howto_run_event_sequence() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("example-run", "1"))
    assert types(m.answer_all()) == ["cluster.updatesucceeded", "stage.waiting", "run.waiting"]
    assert types(m.advance(59)) == []
    assert types(m.advance(1)) == [
        "wait.elapsed", "run.progressing", "stage.succeeded", "stage.started", "cluster.updatestarted",
        "cluster.updaterequested"]
    assert types(m.report("member3")) == [
        "cluster.updatesucceeded", "cluster.updatestarted", "cluster.updaterequested"]
    assert types(m.report("member1")) == [
        "cluster.updatesucceeded", "stage.waiting", "approval.requested", "run.waiting"]
    [request] = of(m.log, ApprovalRequested)
    assert (request.name, request.stage, request.task) == ("example-run-canary", "canary", "after")
    assert types(m.approve("example-run-canary")) == [
        "approval.granted", "approval.accepted", "run.progressing", "stage.succeeded", "stage.started",
        "stage.succeeded", "run.succeeded"]
    assert [s.stage for s in of(m.log[-3:-1], StageStarted) + of(m.log[-3:-1], StageSucceeded)] == [
        "kubernetes-fleet.io/deleteStage"] * 2


def test_events_are_stamped_with_now_and_caused_by_the_input() -> None:
    m = Machine.howto()
    m.now = START + timedelta(hours=1)
    command_events = m.apply_run(howto.run("r", "1"))
    command = m.log[-len(command_events) - 1]
    assert all(e.time == m.now and e.causationid == command.id for e in command_events)
    assert command_events[0].actor == "alice"
    request = next(e for e in command_events if isinstance(e.data, ClusterUpdateRequested))
    assert (request.stream, request.subject) == ("agents", "member2")


def test_max_concurrency_starts_up_to_n_and_refills_a_freed_slot_at_once() -> None:
    m = Machine.howto(strategy=strategy({**ALL, "maxConcurrency": 2}))
    m.apply_run(howto.run("r", "1"))
    assert started(m) == ["member1", "member2"]
    assert types(m.report("member2")) == ["cluster.updatesucceeded", "cluster.updatestarted", "cluster.updaterequested"]
    assert started(m) == ["member1", "member3"]


def test_empty_stage_is_skipped_with_its_tasks() -> None:
    empty = {"name": "empty", "labelSelector": {"matchLabels": {"environment": "prod"}},
             "afterStageTasks": [{"type": "Approval"}], "beforeStageTasks": [{"type": "Approval"}]}
    m = Machine.howto(strategy=strategy(empty, ALL))
    events = m.apply_run(howto.run("r", "1"))
    assert of(events, StageSkipped)[0].stage == "empty"
    assert not of(m.log, ApprovalRequested)


def test_before_stage_approval_gates_the_stage() -> None:
    gated = {**ALL, "beforeStageTasks": [{"type": "Approval"}]}
    m = Machine.howto(strategy=strategy(gated))
    events = m.apply_run(howto.run("r", "1"))
    assert types(events)[-2:] == ["approval.requested", "run.waiting"]
    [request] = of(events, ApprovalRequested)
    assert (request.name, request.task) == ("r-before-all", "before")
    assert not m.outbox
    assert types(m.approve("r-before-all")) == [
        "approval.granted", "approval.accepted", "run.progressing", "stage.started", "cluster.updatestarted",
        "cluster.updaterequested"]


def test_agent_failure_fails_cluster_stage_and_run_and_nothing_more_starts() -> None:
    m = Machine.howto(strategy=strategy({**ALL, "maxConcurrency": 2}))
    m.apply_run(howto.run("r", "1"))
    events = m.report("member1", succeeded=False, message="configmap test-cm: quota exceeded")
    assert types(events) == ["cluster.updatefailed", "stage.failed", "run.failed"]
    assert of(events, ClusterUpdateFailed)[0].message == "configmap test-cm: quota exceeded"
    message = "cluster `member1` in stage `all` failed to update: configmap test-cm: quota exceeded"
    assert of(events, StageFailed)[0].message == message and of(events, RunFailed)[0].message == message
    assert types(m.report("member2")) == []
    assert types(m.advance(3600)) == []


def test_duplicate_and_stale_agent_reports_are_harmless() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("r", "1"))
    request = m.outbox[0]
    first = m.report("member2")
    m.outbox.append(request)
    assert types(first)[0] == "cluster.updatesucceeded"
    assert types(m.report("member2")) == []
    assert types(m.reconcile()) == []


def test_stuck_cluster_is_reported_once_and_clears_when_it_finishes() -> None:
    m = Machine.howto(settings=Settings(stuck_threshold=timedelta(minutes=2)))
    m.apply_run(howto.run("r", "1"))
    assert next_due(m.state, m.settings) == START + timedelta(minutes=2)
    assert types(m.advance(119)) == []
    events = m.advance(1)
    [stuck] = of(events, RunStuck)
    assert stuck.clusters == ["member2"]
    assert stuck.message == ("The updateRun is stuck waiting for member2 cluster(s) in stage staging to finish "
                             "updating, please check placement status for potential errors")
    assert types(m.advance(600)) == []
    assert types(m.report("member2")) == ["cluster.updatesucceeded", "stage.waiting", "run.waiting"]


def test_stuck_clears_with_progressing_when_the_stage_goes_on() -> None:
    m = Machine.howto(strategy=strategy(ALL), settings=Settings(stuck_threshold=timedelta(minutes=2)))
    m.apply_run(howto.run("r", "1"))
    assert of(m.advance(120), RunStuck)[0].clusters == ["member1"]
    assert types(m.report("member1")) == [
        "cluster.updatesucceeded", "cluster.updatestarted", "cluster.updaterequested", "run.progressing"]


def test_timed_wait_deadline_comes_from_the_recorded_stage_waiting_time() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("r", "1"))
    m.now += timedelta(seconds=10)
    m.answer_all()
    assert next_due(m.state, m.settings) == START + timedelta(seconds=70)


def test_stop_lets_in_flight_clusters_finish_then_resume_continues() -> None:
    m = Machine.howto(strategy=strategy({**ALL, "maxConcurrency": 2}))
    m.apply_run(howto.run("r", "1"))
    events = m.apply_run(howto.run("r", "1", state="Stop"))
    assert types(events) == ["run.statechanged", "run.stopping"]
    assert of(events, RunStopping)[0].stage == "all"
    assert types(m.report("member1")) == ["cluster.updatesucceeded"]
    events = m.report("member2")
    assert types(events) == ["cluster.updatesucceeded", "run.stopped"]
    assert of(events, RunStopped)[0].stage == "all"
    assert types(m.advance(3600)) == []
    assert types(m.apply_run(howto.run("r", "1", state="Run"))) == [
        "run.statechanged", "run.progressing", "cluster.updatestarted", "cluster.updaterequested"]
    assert started(m) == ["member3"]


def test_stop_with_nothing_in_flight_stops_at_once() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("r", "1"))
    m.answer_all()
    assert types(m.apply_run(howto.run("r", "1", state="Stop"))) == ["run.statechanged", "run.stopped"]
    assert types(m.advance(120)) == []


RUN_UPDATES: list[tuple[str, dict[str, Any], str, str]] = [
    ("Run->Initialize", howto.run("r", "1", state="Initialize"), "spec.state",
     "invalid state transition: cannot transition from Run to Initialize"),
    ("changed index", howto.run("r", "0"), "spec.resourceSnapshotIndex", "resourceSnapshotIndex is immutable"),
    ("changed strategy", howto.run("r", "1", strategy="other"), "spec.stagedRolloutStrategyName",
     "stagedRolloutStrategyName is immutable"),
]


def test_run_updates_are_rejected_naming_the_field() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("r", "1"))
    for _, manifest, field, message in RUN_UPDATES:
        [rejected] = of(m.apply_run(manifest), cmd.CommandRejected)
        assert rejected.field == field and message in rejected.message
    assert types(m.apply_run(howto.run("r", "1"))) == ["command.unchanged"]


def test_run_for_another_placement_is_rejected() -> None:
    m = Machine.howto()
    [rejected] = of(m.apply_run(howto.run("r", "1", placement="other")), cmd.CommandRejected)
    assert rejected.field == "spec.placementName"
    assert "key `other`" in rejected.message


def _at_canary_approval(m: Machine) -> None:
    m.apply_run(howto.run("r", "1"))
    m.answer_all()
    m.advance(60)
    m.answer_all()


def test_approval_with_wrong_observed_generation_does_not_count() -> None:
    m = Machine.howto()
    _at_canary_approval(m)
    [rejected] = of(m.approve("r-canary", observed_generation=2), cmd.CommandRejected)
    assert rejected.field == "conditions[0].observedGeneration"
    assert "does not match the request's generation 1" in rejected.message
    assert types(m.approve("r-canary"))[:2] == ["approval.granted", "approval.accepted"]


def test_deleting_a_pending_approval_recreates_it_unapproved() -> None:
    m = Machine.howto()
    _at_canary_approval(m)
    assert types(m.input(cmd.DeleteApproval(name="r-canary"))) == ["approval.deleted", "approval.requested"]
    assert types(m.approve("r-canary"))[-1] == "run.succeeded"


def test_after_acceptance_unapprove_and_delete_are_ignored() -> None:
    m = Machine.howto(strategy=strategy({**ALL, "afterStageTasks": [{"type": "Approval"}]},
                                        {"name": "empty", "labelSelector": {"matchLabels": {"x": "y"}}}))
    m.apply_run(howto.run("r", "1", state="Initialize"))
    m.apply_run(howto.run("r", "1", state="Run"))
    m.answer_all()
    m.approve("r-all")
    assert types(m.approve("r-all", status="False")) == ["command.unchanged"]
    assert types(m.input(cmd.DeleteApproval(name="r-all"))) == ["approval.deleted"]


def test_approval_granted_while_stopped_is_accepted_on_resume_unless_revoked() -> None:
    m = Machine.howto()
    _at_canary_approval(m)
    m.apply_run(howto.run("r", "1", state="Stop"))
    assert types(m.approve("r-canary")) == ["approval.granted"]
    assert types(m.approve("r-canary", status="False")) == ["approval.revoked"]
    assert types(m.apply_run(howto.run("r", "1", state="Run"))) == [
        "run.statechanged", "run.progressing", "run.waiting"]
    assert types(m.approve("r-canary"))[:2] == ["approval.granted", "approval.accepted"]


def test_unknown_approval_and_run_are_rejected() -> None:
    m = Machine.howto()
    [a] = of(m.approve("nope"), cmd.CommandRejected)
    [b] = of(m.input(cmd.DeleteRun(name="nope")), cmd.CommandRejected)
    assert a.message == 'clusterapprovalrequests "nope" not found'
    assert b.message == 'clusterstagedupdateruns "nope" not found'


def test_deleting_a_run_deletes_its_approvals_and_abandons_it() -> None:
    m = Machine.howto()
    _at_canary_approval(m)
    assert types(m.input(cmd.DeleteRun(name="r"))) == ["approval.deleted", "run.deleted"]
    assert "r" not in m.state.runs and not m.state.approvals


def test_cluster_taken_over_by_another_run_fails_the_first_run() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("a", "1"))
    events = m.apply_run(howto.run("b", "0"))
    [failed] = of(events, ClusterUpdateFailed)
    assert (failed.run, failed.cluster) == ("a", "member2")
    assert failed.message == "cluster `member2` is being updated by another update run `b`"
    assert of(events, RunFailed)[0].run == "a"
    assert types(m.report("member2", run="a")) == []
    assert types(m.report("member2", run="b"))[:2] == ["cluster.updatesucceeded", "stage.waiting"]


def test_unscheduled_clusters_go_to_the_deletion_stage() -> None:
    fixed = placement(policy={"placementType": "PickFixed", "clusterNames": ["member1", "member2", "member3"]})
    m = Machine.howto(placement=fixed, strategy=strategy(ALL))
    m.apply_run(howto.run("r", "1"))
    m.answer_all()
    m.input(cmd.ApplyPlacement(manifest=placement(
        policy={"placementType": "PickFixed", "clusterNames": ["member1", "member2"]})))
    m.apply_run(howto.run("r2", "1"))
    assert m.state.runs["r2"].plan is not None and m.state.runs["r2"].plan.deletion_clusters == ["member3"]
    m.report("member1", run="r2")
    m.report("member2", run="r2")
    deletion = [r for r in m.outbox if r.stage == "kubernetes-fleet.io/deleteStage"]
    assert [(r.cluster, r.delete, r.resources) for r in deletion] == [("member3", True, [])]
    assert types(m.answer_all()) == ["cluster.updatesucceeded", "stage.succeeded", "run.succeeded"]
    assert sorted(m.state.deployed) == ["member1", "member2"]


DRIFTS: list[tuple[str, Any, str]] = [
    ("member joins", fe.MemberJoined(name="member4", labels={"environment": "staging"}, heartbeat_seconds=5),
     "the clusters of stage `staging` changed since initialization: was [member2], now [member2, member4]"),
    ("member relabelled", fe.MemberLabelsChanged(name="member1", labels={"environment": "canary", "order": "0"}),
     "the clusters of stage `canary` changed since initialization: was [member3, member1], now [member1, member3]"),
    ("member relabelled out of every stage", fe.MemberLabelsChanged(name="member2", labels={"environment": "prod"}),
     "the clusters of the stages changed since initialization: some clusters are not placed in any stage, total 1"),
    ("member leaves", fe.MemberLeft(name="member3"),
     "the clusters of stage `canary` changed since initialization: was [member3, member1], now [member1]"),
]


def test_drift_fails_a_running_run_with_what_changed() -> None:
    for _, change, message in DRIFTS:
        m = Machine.howto()
        m.apply_run(howto.run("r", "1"))
        m.fleet_event(change)
        [failed] = of(m.reconcile(), RunFailed)
        assert failed.message.startswith(message)


def test_drift_is_caught_at_the_next_report_after_many_reports() -> None:
    members = {f"member{i:02}": {"environment": "staging"} for i in range(30)}
    staging = {"name": "staging", "labelSelector": {"matchLabels": {"environment": "staging"}}, "maxConcurrency": 1}
    m = Machine.howto(strategy=strategy(staging), members=members)
    m.apply_run(howto.run("r", "1"))
    for _ in range(20):
        assert not of(m.report(m.outbox[0].cluster), RunFailed)
    m.fleet_event(fe.MemberLabelsChanged(name="member29", labels={"environment": "prod"}))
    [failed] = of(m.report(m.outbox[0].cluster), RunFailed)
    assert failed.message == ("the clusters of the stages changed since initialization: "
                              "some clusters are not placed in any stage, total 1, showing up to 10: member29")


def test_pick_n_count_change_fails_a_running_run() -> None:
    m = Machine.howto(placement=placement(policy={"placementType": "PickN", "numberOfClusters": 3}))
    m.apply_run(howto.run("r", "1"))
    events = m.input(cmd.ApplyPlacement(manifest=placement(policy={"placementType": "PickN", "numberOfClusters": 2})))
    assert types(events)[:2] == ["placement.applied", "placement.scheduled"]  # same policy hash: no new snapshot
    assert of(events, RunFailed)[0].message == (
        "the number of clusters the policy selects changed from 3 to 2; create a new update run")


def test_policy_edit_fails_a_running_run() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("r", "1"))
    events = m.input(cmd.ApplyPlacement(manifest=placement(policy={
        "placementType": "PickAll",
        "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"environment": "canary"}}}]}}}})))
    assert types(events)[:3] == ["placement.applied", "policysnapshot.created", "placement.scheduled"]
    assert of(events, RunFailed)[0].message.startswith("the policy snapshot index changed from `0` to `1`")


def test_folding_the_log_rebuilds_the_live_state() -> None:
    m = Machine.howto()
    _at_canary_approval(m)
    m.approve("r-canary")
    m.apply_run(howto.run("r2", "0", state="Stop"))
    m.apply_run(howto.run("r3", "0"))
    assert evolve_all(PlacementState(m.state.name), [e for e in m.log if e.stream == "placements"]) == m.state


def test_waiting_reason_is_reported_once_per_wait() -> None:
    m = Machine.howto()
    _at_canary_approval(m)
    assert [w.stage for w in of(m.log, RunWaiting)] == ["staging", "canary"]
    assert types(m.reconcile()) == []


def test_a_deletion_that_does_not_finish_is_reported_stuck() -> None:
    fixed = placement(policy={"placementType": "PickFixed", "clusterNames": ["member1", "member3"]})
    m = Machine.howto(placement=fixed, strategy=strategy(ALL))
    m.apply_run(howto.run("r", "1"))
    m.answer_all()
    m.input(cmd.ApplyPlacement(manifest=placement(policy={"placementType": "PickFixed", "clusterNames": ["member1"]})))
    m.apply_run(howto.run("r2", "1"))
    m.report("member1", run="r2")
    [stuck] = of(m.advance(300), RunStuck)
    assert stuck.clusters == ["member3"]
    assert "in stage kubernetes-fleet.io/deleteStage" in stuck.message
