"""Run, approval, placement and member documents beyond the how-to's happy path: failures, stop and
resume, skipped stages, before-stage approvals, revoked and deleted approvals, deletions."""

from __future__ import annotations

from fleetevents import fleet, placements, runs
from projections.fold import DocumentSet
from tests.projections.howto_events import PLACEMENT, HowTo
from tests.projections.views import approval_row, condition, crp_row, csur_row, fold_all

RUN = "example-run"


def _started() -> HowTo:
    return HowTo().setup().edit_config_map().create_strategy().start_run(RUN, 1)


def _run(docs: DocumentSet, name: str = RUN) -> dict:
    doc = docs.get("ClusterStagedUpdateRun", name)
    assert doc is not None
    return doc


def _conditions(holder: dict) -> list[tuple[str, str, str, str]]:
    return [(c["type"], c["status"], c["reason"], c["message"]) for c in holder.get("conditions", [])]


def test_initialization_failure_is_terminal_and_shown():
    howto = HowTo().setup()
    manifest = {
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
        "kind": "ClusterStagedUpdateRun",
        "metadata": {"name": "bad-run"},
        "spec": {"placementName": PLACEMENT, "resourceSnapshotIndex": "7", "stagedRolloutStrategyName": "s"},
    }
    howto.placement(runs.RunCreated(manifest=manifest, generation=1))
    docs = fold_all(howto.events)
    assert "status" not in _run(docs, "bad-run")
    message = "no resourceSnapshots with index `7` found for placement `example-placement`"
    howto.placement(runs.RunInitializationFailed(run="bad-run", message=message))
    run = _run(fold_all(howto.events), "bad-run")
    assert _conditions(run["status"]) == [("Initialized", "False", "UpdateRunInitializedFailed", message)]
    assert csur_row(run) == ["bad-run", PLACEMENT, "7", "", "False", ""]


def test_cluster_failure_fails_the_stage_and_the_run():
    howto = _started()
    howto.cluster_updated(RUN, "canary", "member1", 1, succeeded=False, message="configmap test-cm: quota exceeded")
    howto.placement(runs.StageFailed(run=RUN, stage="canary", message="cluster member1 failed: quota exceeded"))
    howto.placement(runs.RunFailed(run=RUN, message="stage canary failed: cluster member1 failed: quota exceeded"))
    docs = fold_all(howto.events)
    run = _run(docs)
    canary = run["status"]["stagesStatus"][1]
    assert _conditions(canary["clusters"][1])[-1] == (
        "Succeeded",
        "False",
        "ClusterUpdatingFailed",
        "configmap test-cm: quota exceeded",
    )
    assert _conditions(canary)[-2:] == [
        ("Progressing", "False", "StageUpdatingFailed", "cluster member1 failed: quota exceeded"),
        ("Succeeded", "False", "StageUpdatingFailed", "cluster member1 failed: quota exceeded"),
    ]
    assert "endTime" in canary
    assert csur_row(run)[4:] == ["True", "False"]
    assert condition(run, "Progressing", "reason") == "UpdateRunFailed"
    placement = docs.get("ClusterResourcePlacement", PLACEMENT)
    member1 = next(e for e in placement["status"]["placementStatuses"] if e["clusterName"] == "member1")
    assert [(c["type"], c["status"]) for c in member1["conditions"]][-2:] == [
        ("Applied", "False"),
        ("Available", "False"),
    ]
    assert crp_row(placement)[4:] == ["False", "1"]  # all reported on snapshot 1, member1 failed


def test_stop_then_resume():
    howto = _started()
    howto.placement(runs.RunStateChanged(run=RUN, state="Stop", generation=2))
    howto.placement(runs.RunStopping(run=RUN, stage="canary"))
    docs = fold_all(howto.events)
    run = _run(docs)
    assert (run["spec"]["state"], run["metadata"]["generation"]) == ("Stop", 2)
    assert (condition(run, "Progressing", "reason"), condition(run, "Progressing", "observedGeneration")) == (
        "UpdateRunStopping",
        "2",
    )
    howto.cluster_updated(RUN, "canary", "member1", 1)
    howto.placement(runs.RunStopped(run=RUN, stage="canary"))
    run = _run(fold_all(howto.events))
    assert condition(run, "Progressing", "reason") == "UpdateRunStopped"
    assert _conditions(run["status"]["stagesStatus"][1]) == [("Progressing", "False", "StageUpdatingStopped", "")]
    howto.placement(runs.RunStateChanged(run=RUN, state="Run", generation=3))
    howto.placement(runs.RunProgressing(run=RUN))  # the orchestrator resumes: the stopped stage goes on
    run = _run(fold_all(howto.events))
    assert condition(run, "Progressing", "reason") == "UpdateRunStarted"
    canary = run["status"]["stagesStatus"][1]
    assert _conditions(canary) == [("Progressing", "True", "StageUpdatingStarted", "")]
    first_start = next(e for e in howto.events if isinstance(e.data, runs.StageStarted) and e.data.stage == "canary")
    assert canary["startTime"] == first_start.time.strftime("%Y-%m-%dT%H:%M:%SZ")  # the first start is kept


def test_stuck_run_names_the_clusters():
    howto = _started()
    howto.placement(runs.RunStuck(run=RUN, clusters=["member1"], message="cluster member1 has been updating for 5m0s"))
    run = _run(fold_all(howto.events))
    assert _conditions(run["status"])[1] == (
        "Progressing",
        "False",
        "UpdateRunStuck",
        "cluster member1 has been updating for 5m0s",
    )


def test_empty_stage_is_skipped_and_before_stage_approval_is_tracked():
    howto = HowTo().setup().create_strategy()
    stages = [
        runs.StagePlan(name="empty", clusters=[], max_concurrency=1, after_tasks=[runs.TaskPlan(type="Approval")]),
        runs.StagePlan(
            name="all",
            clusters=["member1", "member2", "member3"],
            max_concurrency=2,
            before_tasks=[runs.TaskPlan(type="Approval")],
        ),
    ]
    manifest = {
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
        "kind": "ClusterStagedUpdateRun",
        "metadata": {"name": "r"},
        "spec": {"placementName": PLACEMENT, "stagedRolloutStrategyName": "s"},
    }
    howto.placement(runs.RunCreated(manifest=manifest, generation=1))
    howto.placement(
        runs.RunInitialized(
            run="r",
            placement=PLACEMENT,
            resource_snapshot_index=0,
            policy_snapshot_index=0,
            policy_observed_cluster_count=3,
            strategy_snapshot={"stages": []},
            stages=stages,
            deletion_clusters=["gone"],
        )
    )
    howto.placement(runs.StageSkipped(run="r", stage="empty"))
    howto.placement(
        runs.ApprovalRequested(name="r-before-all", run="r", stage="all", placement=PLACEMENT, task="before")
    )
    howto.placement(
        runs.ApprovalGranted(
            name="r-before-all", run="r", stage="all", reason="ok", message="go", observed_generation=1
        ),
        actor="bob",
    )
    howto.placement(runs.ApprovalAccepted(name="r-before-all", run="r", stage="all"))
    docs = fold_all(howto.events)
    status = _run(docs, "r")["status"]
    empty, all_ = status["stagesStatus"]
    skipped = "Stage skipped because it has no clusters"
    assert _conditions(empty) == [
        ("Progressing", "False", "StageUpdatingSkippedNoClusters", skipped),
        ("Succeeded", "True", "StageUpdatingSkippedNoClusters", skipped),
    ]
    assert empty["afterStageTaskStatus"] == [{"approvalRequestName": "r-empty", "type": "Approval"}]
    assert [c["clusterName"] for c in all_["clusters"]] == ["member1", "member2", "member3"]
    [before] = all_["beforeStageTaskStatus"]
    assert before["approvalRequestName"] == "r-before-all"
    assert _conditions(before) == [
        ("ApprovalRequestCreated", "True", "BeforeStageTaskApprovalRequestCreated", ""),
        ("ApprovalRequestApproved", "True", "BeforeStageTaskApprovalRequestApproved", ""),
    ]
    assert status["deletionStageStatus"] == {
        "clusters": [{"clusterName": "gone"}],
        "stageName": "kubernetes-fleet.io/deleteStage",
    }
    assert approval_row(docs.get("ClusterApprovalRequest", "r-before-all")) == [
        "r-before-all",
        "r",
        "all",
        "True",
        "True",
    ]


def test_revoked_approval_clears_and_deleted_request_disappears_with_its_run():
    howto = _started().wait_for_approval(RUN, 1)
    howto.placement(
        runs.ApprovalGranted(
            name=f"{RUN}-canary", run=RUN, stage="canary", reason="lgtm", message="", observed_generation=1
        )
    )
    howto.placement(runs.ApprovalRevoked(name=f"{RUN}-canary", run=RUN, stage="canary"))
    docs = fold_all(howto.events)
    assert approval_row(docs.get("ClusterApprovalRequest", f"{RUN}-canary"))[3:] == ["", ""]
    howto.placement(runs.ApprovalDeleted(name=f"{RUN}-canary", run=RUN, stage="canary"))
    assert fold_all(howto.events).get("ClusterApprovalRequest", f"{RUN}-canary") is None
    howto.placement(
        runs.ApprovalRequested(name=f"{RUN}-canary", run=RUN, stage="canary", placement=PLACEMENT, task="after")
    )
    assert fold_all(howto.events).get("ClusterApprovalRequest", f"{RUN}-canary") is not None
    howto.placement(runs.RunDeleted(run=RUN))
    docs = fold_all(howto.events)
    assert docs.get("ClusterStagedUpdateRun", RUN) is None
    assert list(docs.of_kind("ClusterApprovalRequest")) == []


def test_placement_generation_scheduling_failure_and_deletion():
    howto = HowTo().setup()
    manifest = {**howto.events[5].data.manifest, "spec": {"policy": {"placementType": "PickN", "numberOfClusters": 5}}}
    howto.placement(placements.PlacementApplied(manifest=manifest, generation=2))
    docs = fold_all(howto.events)
    assert crp_row(docs.get("ClusterResourcePlacement", PLACEMENT)) == [PLACEMENT, "2", "True", "1", "", ""]
    howto.placement(
        placements.PolicySnapshotCreated(
            placement=PLACEMENT, index=1, policy=manifest["spec"]["policy"], policy_hash="p1", placement_generation=2
        )
    )
    howto.placement(
        placements.PlacementScheduled(
            placement=PLACEMENT,
            policy_index=1,
            placement_generation=2,
            observed_cluster_count=5,
            selected=["member1", "member2", "member3"],
            decisions=[],
            scheduled=False,
            message="could not find all the clusters needed: found 3, need 5",
        )
    )
    docs = fold_all(howto.events)
    crp = docs.get("ClusterResourcePlacement", PLACEMENT)
    assert crp_row(crp) == [PLACEMENT, "2", "False", "2", "", ""]
    assert condition(crp, "ClusterResourcePlacementScheduled", "message") == (
        "could not find all the clusters needed: found 3, need 5"
    )
    policy = docs.get("ClusterSchedulingPolicySnapshot", f"{PLACEMENT}-1")
    assert policy["metadata"]["annotations"] == {"kubernetes-fleet.io/number-of-clusters": "5"}
    assert policy["metadata"]["labels"]["kubernetes-fleet.io/is-latest-snapshot"] == "true"
    old = docs.get("ClusterSchedulingPolicySnapshot", f"{PLACEMENT}-0")
    assert old["metadata"]["labels"]["kubernetes-fleet.io/is-latest-snapshot"] == "false"
    howto.placement(placements.PlacementDeleted(name=PLACEMENT))
    docs = fold_all(howto.events)
    assert docs.kinds() and all(
        k not in docs.kinds()
        for k in ("ClusterResourcePlacement", "ClusterResourceSnapshot", "ClusterSchedulingPolicySnapshot")
    )


def test_strategy_and_member_documents():
    howto = HowTo().setup().create_strategy()
    howto.fleet("MemberCluster", "member2", fleet.MemberLabelsChanged(name="member2", labels={"environment": "canary"}))
    howto.fleet("MemberCluster", "member3", fleet.MemberLeft(name="member3"))
    docs = fold_all(howto.events)
    strategy = docs.get("ClusterStagedUpdateStrategy", "example-strategy")
    assert strategy["spec"]["stages"][0]["afterStageTasks"] == [{"type": "TimedWait", "waitTime": "1m"}]
    assert strategy["metadata"]["generation"] == 1 and "creationTimestamp" in strategy["metadata"]
    assert docs.get("MemberCluster", "member2")["metadata"]["labels"] == {"environment": "canary"}
    member3 = docs.get("MemberCluster", "member3")
    assert _conditions(member3["status"]) == [
        ("Joined", "False", "MemberClusterLeft", "member cluster member3 left the fleet")
    ]
    assert member3["spec"] == {"heartbeatPeriodSeconds": 5}
    howto.fleet("ClusterStagedUpdateStrategy", "example-strategy", fleet.StrategyDeleted(name="example-strategy"))
    assert fold_all(howto.events).get("ClusterStagedUpdateStrategy", "example-strategy") is None
