"""`get` tables from documents: the how-to's tables, character for character (ages included)."""
from datetime import datetime, timedelta, timezone
from typing import Any

from cli.tables import columns_for, labels_text, layout, render_table

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)


def created(seconds: int) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cond(type_: str, status: str, generation: int = 1) -> dict[str, Any]:
    return {"type": type_, "status": status, "observedGeneration": generation, "reason": "R", "message": ""}


def table(kind: str, docs: list[dict[str, Any]], **options: bool) -> str:
    return render_table(docs, columns_for(kind, **options), NOW)


def placement(age: int, *conditions: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ClusterResourcePlacement",
            "metadata": {"name": "example-placement", "generation": 1, "creationTimestamp": created(age)},
            "status": {"conditions": list(conditions)}}


def test_get_crp_before_and_after_the_rollout() -> None:
    scheduled = cond("ClusterResourcePlacementScheduled", "True")
    assert table("ClusterResourcePlacement", [placement(8, scheduled)]) == (
        "NAME                GEN   SCHEDULED   SCHEDULED-GEN   AVAILABLE   AVAILABLE-GEN   AGE\n"
        "example-placement   1     True        1                                           8s\n"
    )
    available = cond("ClusterResourcePlacementAvailable", "True")
    assert table("ClusterResourcePlacement", [placement(134 * 60, scheduled, available)]) == (
        "NAME                GEN   SCHEDULED   SCHEDULED-GEN   AVAILABLE   AVAILABLE-GEN   AGE\n"
        "example-placement   1     True        1               True        1               134m\n"
    )


def snapshot(index: int, latest: bool, age: int) -> dict[str, Any]:
    return {"kind": "ClusterResourceSnapshot", "metadata": {
        "name": f"example-placement-{index}-snapshot", "generation": 1, "creationTimestamp": created(age),
        "labels": {"kubernetes-fleet.io/resource-index": str(index),
                   "kubernetes-fleet.io/parent-CRP": "example-placement",
                   "kubernetes-fleet.io/is-latest-snapshot": "true" if latest else "false"}}}


def test_get_resource_snapshots_with_labels() -> None:
    assert table("ClusterResourceSnapshot", [snapshot(0, True, 451)], show_labels=True) == (
        "NAME                           GEN   AGE     LABELS\n"
        "example-placement-0-snapshot   1     7m31s   kubernetes-fleet.io/is-latest-snapshot=true,"
        "kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=0\n"
    )
    assert table("ClusterResourceSnapshot", [snapshot(0, False, 17 * 60), snapshot(1, True, 122)],
                 show_labels=True) == (
        "NAME                           GEN   AGE    LABELS\n"
        "example-placement-0-snapshot   1     17m    kubernetes-fleet.io/is-latest-snapshot=false,"
        "kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=0\n"
        "example-placement-1-snapshot   1     2m2s   kubernetes-fleet.io/is-latest-snapshot=true,"
        "kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=1\n"
    )


def run(age: int, *conditions: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ClusterStagedUpdateRun",
            "metadata": {"name": "example-run", "generation": 1, "creationTimestamp": created(age)},
            "spec": {"placementName": "example-placement", "resourceSnapshotIndex": "1",
                     "stagedRolloutStrategyName": "example-strategy"},
            "status": {"policySnapshotIndexUsed": "0", "conditions": list(conditions)}}


def test_get_csur_running_and_succeeded() -> None:
    initialized = cond("Initialized", "True")
    assert table("ClusterStagedUpdateRun", [run(44, initialized, cond("Progressing", "True"))]) == (
        "NAME          PLACEMENT           RESOURCE-SNAPSHOT   POLICY-SNAPSHOT   INITIALIZED   SUCCEEDED   AGE\n"
        "example-run   example-placement   1                   0                 True                      44s\n"
    )
    assert table("ClusterStagedUpdateRun", [run(262, initialized, cond("Succeeded", "True"))]) == (
        "NAME          PLACEMENT           RESOURCE-SNAPSHOT   POLICY-SNAPSHOT   INITIALIZED   SUCCEEDED   AGE\n"
        "example-run   example-placement   1                   0                 True          True        4m22s\n"
    )


def approval(age: int, *conditions: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ClusterApprovalRequest",
            "metadata": {"name": "example-run-canary", "generation": 1, "creationTimestamp": created(age)},
            "spec": {"parentStageRollout": "example-run", "targetStage": "canary"},
            "status": {"conditions": list(conditions)}}


def test_get_approval_requests_pending_and_approved() -> None:
    assert table("ClusterApprovalRequest", [approval(122)]) == (
        "NAME                 UPDATE-RUN    STAGE    APPROVED   APPROVALACCEPTED   AGE\n"
        "example-run-canary   example-run   canary                                 2m2s\n"
    )
    approved = [cond("Approved", "True"), cond("ApprovalAccepted", "True")]
    assert table("ClusterApprovalRequest", [approval(150, *approved)]) == (
        "NAME                 UPDATE-RUN    STAGE    APPROVED   APPROVALACCEPTED   AGE\n"
        "example-run-canary   example-run   canary   True       True               2m30s\n"
    )


def test_member_clusters_configmaps_and_wide_columns() -> None:
    member = {"kind": "MemberCluster", "metadata": {"name": "member1", "creationTimestamp": created(5),
                                                     "labels": {"order": "2", "environment": "canary"}},
              "status": {"conditions": [cond("Joined", "True"), cond("Healthy", "True")]}}
    assert table("MemberCluster", [member], show_labels=True) == (
        "NAME      JOINED   HEALTHY   AGE   LABELS\n"
        "member1   True     True      5s    environment=canary,order=2\n"
    )
    cm = {"kind": "ConfigMap", "metadata": {"name": "test-cm", "namespace": "test-namespace",
                                            "creationTimestamp": created(3)}, "data": {"key": "value1"}}
    assert table("ConfigMap", [cm], with_namespace=True) == (
        "NAMESPACE        NAME      DATA   AGE\n"
        "test-namespace   test-cm   1      3s\n"
    )
    headers = [c.header for c in columns_for("ClusterStagedUpdateRun", wide=True)]
    assert headers[-2:] == ["STATE", "PROGRESSING"]


def test_unknown_kinds_get_name_and_age_and_empty_labels_say_none() -> None:
    doc = {"kind": "Widget", "metadata": {"name": "w", "creationTimestamp": created(9)}}
    assert table("Widget", [doc], show_labels=True) == "NAME   AGE   LABELS\nw      9s    <none>\n"
    assert labels_text({"metadata": {}}) == "<none>"


def test_layout_pads_to_six_and_leaves_the_last_cell_unpadded() -> None:
    assert layout([["A", "B", "C"], ["x", "", "z"]]) == "A     B     C\nx           z\n"
    assert layout([]) == ""
