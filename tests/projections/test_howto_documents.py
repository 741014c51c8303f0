"""The read models reproduce what the how-to shows at each of its steps (times and ages aside)."""

from __future__ import annotations

from projections.fold import DocumentSet
from demo.expected import succeeded_run
from tests.howto_expected import first_run_while_canary_updates, latest_snapshot
from tests.projections.howto_events import HowTo, whole_howto
from tests.projections.views import (
    approval_row,
    as_shown,
    assert_yaml_equal,
    crp_row,
    csur_row,
    fold_all,
    rows,
    snapshot_row,
)

LATEST_0 = (
    "kubernetes-fleet.io/is-latest-snapshot=true,kubernetes-fleet.io/parent-CRP=example-placement,"
    "kubernetes-fleet.io/resource-index=0"
)


def _docs(howto: HowTo) -> DocumentSet:
    return fold_all(howto.events)


def test_placement_is_scheduled_but_not_available_before_any_run():
    docs = _docs(HowTo().setup())
    assert rows(docs, "ClusterResourcePlacement", crp_row) == [["example-placement", "1", "True", "1", "", ""]]


def test_one_snapshot_then_the_latest_label_moves_to_the_new_one():
    howto = HowTo().setup()
    assert rows(_docs(howto), "ClusterResourceSnapshot", snapshot_row) == [
        ["example-placement-0-snapshot", "1", LATEST_0]
    ]
    docs = _docs(howto.edit_config_map())
    assert rows(docs, "ClusterResourceSnapshot", snapshot_row) == [
        [
            "example-placement-0-snapshot",
            "1",
            "kubernetes-fleet.io/is-latest-snapshot=false,kubernetes-fleet.io/parent-CRP=example-placement,"
            "kubernetes-fleet.io/resource-index=0",
        ],
        [
            "example-placement-1-snapshot",
            "1",
            "kubernetes-fleet.io/is-latest-snapshot=true,kubernetes-fleet.io/parent-CRP=example-placement,"
            "kubernetes-fleet.io/resource-index=1",
        ],
    ]
    latest = docs.get("ClusterResourceSnapshot", "example-placement-1-snapshot")
    assert_yaml_equal(as_shown(latest, ("name", "labels")), latest_snapshot())
    assert latest["metadata"]["annotations"] == {"kubernetes-fleet.io/resource-hash": "h1"}


def test_first_run_status_while_canary_updates_matches_the_howto():
    docs = _docs(HowTo().setup().edit_config_map().create_strategy().start_run("example-run", 1))
    run = docs.get("ClusterStagedUpdateRun", "example-run")
    assert_yaml_equal(as_shown(run), first_run_while_canary_updates())
    assert rows(docs, "ClusterStagedUpdateRun", csur_row) == [
        ["example-run", "example-placement", "1", "0", "True", ""]
    ]
    # clusters run different snapshots: AVAILABLE stays empty
    assert rows(docs, "ClusterResourcePlacement", crp_row) == [["example-placement", "1", "True", "1", "", ""]]


def test_approval_request_waits_then_is_approved_and_the_run_succeeds():
    howto = HowTo().setup().edit_config_map().create_strategy().start_run("example-run", 1)
    docs = _docs(howto.wait_for_approval("example-run", 1))
    assert rows(docs, "ClusterApprovalRequest", approval_row) == [
        ["example-run-canary", "example-run", "canary", "", ""]
    ]
    request = docs.get("ClusterApprovalRequest", "example-run-canary")
    assert request["metadata"]["labels"] == {
        "kubernetes-fleet.io/targetUpdateRun": "example-run",
        "kubernetes-fleet.io/targetUpdatingStage": "canary",
    }
    assert condition_reason(docs, "Progressing") == ("False", "UpdateRunWaiting")

    docs = _docs(howto.approve("example-run"))
    assert rows(docs, "ClusterApprovalRequest", approval_row) == [
        ["example-run-canary", "example-run", "canary", "True", "True"]
    ]
    approved = docs.get("ClusterApprovalRequest", "example-run-canary")["status"]["conditions"]
    assert [(c["type"], c["reason"], c["message"], c["observedGeneration"]) for c in approved] == [
        ("Approved", "lgtm", "lgtm", 1),
        ("ApprovalAccepted", "ApprovalRequestApprovalAccepted", "", 1),
    ]
    assert rows(docs, "ClusterStagedUpdateRun", csur_row) == [
        ["example-run", "example-placement", "1", "0", "True", "True"]
    ]
    assert rows(docs, "ClusterResourcePlacement", crp_row) == [["example-placement", "1", "True", "1", "True", "1"]]
    assert docs.get("ClusterResourcePlacement", "example-placement")["status"]["observedResourceIndex"] == "1"


def condition_reason(docs: DocumentSet, type_: str) -> tuple[str, str]:
    run = docs.get("ClusterStagedUpdateRun", "example-run")
    found = next(c for c in run["status"]["conditions"] if c["type"] == type_)
    return found["status"], found["reason"]


def test_rollback_run_status_matches_the_howto():
    docs = _docs(whole_howto())
    rollback = docs.get("ClusterStagedUpdateRun", "example-run-2")
    assert_yaml_equal(as_shown(rollback), succeeded_run("example-run-2", "0"))
    assert rows(docs, "ClusterStagedUpdateRun", csur_row) == [
        ["example-run", "example-placement", "1", "0", "True", "True"],
        ["example-run-2", "example-placement", "0", "0", "True", "True"],
    ]
    placement = docs.get("ClusterResourcePlacement", "example-placement")
    assert crp_row(placement) == ["example-placement", "1", "True", "1", "True", "1"]
    assert placement["status"]["observedResourceIndex"] == "0"
    assert [(e["clusterName"], e["observedResourceIndex"]) for e in placement["status"]["placementStatuses"]] == [
        ("member1", "0"),
        ("member2", "0"),
        ("member3", "0"),
    ]


def test_condition_times_are_the_event_times():
    howto = HowTo().setup().edit_config_map().create_strategy().start_run("example-run", 1)
    run = _docs(howto).get("ClusterStagedUpdateRun", "example-run")
    staging = run["status"]["stagesStatus"][0]
    wait = staging["afterStageTaskStatus"][0]["conditions"][0]
    elapsed = next(e for e in howto.events if e.type == "fleetstage.wait.elapsed")
    assert wait["lastTransitionTime"] == elapsed.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    started = next(e for e in howto.events if e.type == "fleetstage.stage.started")
    assert staging["startTime"] == started.time.strftime("%Y-%m-%dT%H:%M:%SZ")
