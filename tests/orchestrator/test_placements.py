"""Placement-level decisions: resource snapshots (selection, hashing, history) and scheduling (policies)."""
from __future__ import annotations

from typing import Any

from eventstore import Event
from fleetevents import commands as cmd
from fleetevents import fleet as fe
from fleetevents.agents import ClusterUpdateRequested
from fleetevents.placements import (
    PlacementApplied,
    PlacementScheduled,
    PolicySnapshotCreated,
    ResourceSnapshotCreated,
    ResourceSnapshotDeleted,
    ResourceSnapshotRefused,
)
from orchestrator.snapshots import MAX_SNAPSHOT_BYTES
from tests.orchestrator import howto
from tests.orchestrator.machine import Machine, of, placement, types

AFFINITY_CANARY = {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"environment": "canary"}}}]}}}


def snapshots(m: Machine) -> list[ResourceSnapshotCreated]:
    return of(m.log, ResourceSnapshotCreated)


def test_new_placement_gets_index_0_with_the_namespace_and_its_contents() -> None:
    m = Machine.howto()
    first = snapshots(m)[0]
    assert first.index == 0
    assert first.selected_resources == [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"labels": {"kubernetes.io/metadata.name": "test-namespace"}, "name": "test-namespace"},
         "spec": {"finalizers": ["kubernetes"]}},
        {"apiVersion": "v1", "data": {"key": "value1"}, "kind": "ConfigMap",
         "metadata": {"name": "test-cm", "namespace": "test-namespace"}},
    ]
    assert [s.index for s in snapshots(m)] == [0, 1]
    assert snapshots(m)[1].selected_resources[1]["data"] == {"key": "value2"}


def test_unchanged_or_unselected_content_makes_no_snapshot() -> None:
    m = Machine.howto()
    m.fleet_event(fe.HubResourceApplied(manifest=howto.configmap("value2"), generation=3))
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "elsewhere"}}
    m.fleet_event(fe.HubResourceApplied(manifest=other, generation=1))
    assert types(m.reconcile()) == []


def test_deleting_a_selected_object_makes_a_new_snapshot() -> None:
    m = Machine.howto()
    m.fleet_event(fe.HubResourceDeleted(api_version="v1", kind="ConfigMap", name="test-cm", namespace="test-namespace"))
    [snap] = of(m.reconcile(), ResourceSnapshotCreated)
    assert snap.index == 2 and [r["kind"] for r in snap.selected_resources] == ["Namespace"]


def test_label_selector_selects_namespaces() -> None:
    m = Machine.howto(placement=placement(resourceSelectors=[
        {"group": "", "version": "v1", "kind": "Namespace", "labelSelector": {"matchLabels": {"team": "a"}}}]))
    assert snapshots(m)[-1].selected_resources == []
    m.fleet_event(fe.HubResourceApplied(manifest={**howto.NAMESPACE, "metadata": {
        "name": "test-namespace", "labels": {"team": "a"}}}, generation=2))
    [snap] = of(m.reconcile(), ResourceSnapshotCreated)
    assert [r["kind"] for r in snap.selected_resources] == ["Namespace", "ConfigMap"]


def test_revision_history_limit_deletes_the_oldest_snapshots() -> None:
    m = Machine.howto(placement=placement(revisionHistoryLimit=2))
    m.fleet_event(fe.HubResourceApplied(manifest=howto.configmap("value3"), generation=3))
    events = m.reconcile()
    assert types(events) == ["resourcesnapshot.created", "resourcesnapshot.deleted"]
    assert of(events, ResourceSnapshotDeleted)[0].index == 0


def scheduled(m: Machine) -> PlacementScheduled:
    return of(m.log, PlacementScheduled)[-1]


def test_pick_all_takes_members_matching_required_affinity() -> None:
    m = Machine.howto(placement=placement(policy={"placementType": "PickAll", "affinity": AFFINITY_CANARY}))
    assert scheduled(m).selected == ["member1", "member3"]
    assert scheduled(m).observed_cluster_count == 2


def test_pick_n_ranks_by_preferred_weight_then_name() -> None:
    preferred = {"clusterAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "preference": {"labelSelector": {"matchLabels": {"environment": "staging"}}}}]}}
    m = Machine.howto(placement=placement(policy={"placementType": "PickN", "numberOfClusters": 2,
                                                  "affinity": preferred}))
    assert scheduled(m).selected == ["member1", "member2"]
    assert scheduled(m).observed_cluster_count == 2 and scheduled(m).scheduled


def test_pick_fixed_reports_clusters_that_are_not_members() -> None:
    m = Machine.howto(placement=placement(policy={"placementType": "PickFixed", "clusterNames": ["member1", "ghost"]}))
    decision = scheduled(m)
    assert decision.selected == ["member1"] and not decision.scheduled
    assert decision.observed_cluster_count == 2
    assert decision.message == "clusters listed in clusterNames are not joined members: ghost"


def test_number_of_clusters_is_not_part_of_the_policy_hash() -> None:
    m = Machine.howto(placement=placement(policy={"placementType": "PickN", "numberOfClusters": 1}))
    events = m.input(cmd.ApplyPlacement(manifest=placement(policy={"placementType": "PickN", "numberOfClusters": 2})))
    assert types(events) == ["placement.applied", "placement.scheduled"]
    assert of(events, PlacementApplied)[0].generation == 2
    assert of(events, PlacementScheduled)[0].observed_cluster_count == 2
    assert of(events, PlacementScheduled)[0].policy_index == 0


def test_policy_change_makes_a_new_policy_snapshot() -> None:
    m = Machine.howto()
    events = m.input(cmd.ApplyPlacement(manifest=placement(policy={"placementType": "PickAll",
                                                                   "affinity": AFFINITY_CANARY})))
    assert [p.index for p in of(events, PolicySnapshotCreated)] == [1]
    assert scheduled(m).policy_index == 1 and scheduled(m).placement_generation == 2


def test_a_joining_member_is_scheduled() -> None:
    m = Machine.howto()
    m.fleet_event(fe.MemberJoined(name="member4", labels={}, heartbeat_seconds=5))
    [decision] = of(m.reconcile(), PlacementScheduled)
    assert decision.selected == ["member1", "member2", "member3", "member4"]


def test_decisions_keep_every_selected_cluster_and_20_unselected_ones() -> None:
    members = {f"m{i:02}": {"environment": "canary" if i < 25 else "prod"} for i in range(60)}
    m = Machine.howto(members=members, placement=placement(policy={
        "placementType": "PickN", "numberOfClusters": 10, "affinity": AFFINITY_CANARY}))
    decision = scheduled(m)
    assert decision.selected == [f"m{i:02}" for i in range(10)] and decision.observed_cluster_count == 10
    assert [(d.cluster, d.selected) for d in decision.decisions] == (
        [(f"m{i:02}", True) for i in range(10)] + [(f"m{i:02}", False) for i in range(10, 30)])
    assert [d.reason for d in decision.decisions[-6:]] == (
        ["ranked below the picked clusters"] + ["does not match the required cluster affinity"] * 5)


PLACEMENT_REJECTIONS: list[tuple[dict[str, Any], str, str]] = [
    (placement(strategy={"type": "RollingUpdate"}), "spec.strategy.type",
     "RollingUpdate is not supported: fleetstage deploys only through ClusterStagedUpdateRuns; "
     "set spec.strategy.type: External"),
    ({k: v for k, v in placement().items() if k != "spec"} | {"spec": {"strategy": {"type": "External"}}},
     "spec.resourceSelectors", "required"),
    (placement() | {"metadata": {"name": "other"}}, "metadata.name", "publish it with key `other`"),
]


def test_invalid_placements_are_rejected_naming_the_field() -> None:
    m = Machine.howto()
    for manifest, field, message in PLACEMENT_REJECTIONS:
        [rejected] = of(m.input(cmd.ApplyPlacement(manifest=manifest)), cmd.CommandRejected)
        assert rejected.field == field and message in rejected.message


def test_reapplying_the_same_placement_is_unchanged_and_labels_keep_the_generation() -> None:
    m = Machine.howto()
    assert types(m.input(cmd.ApplyPlacement(manifest=howto.PLACEMENT))) == ["command.unchanged"]
    labelled = placement() | {"metadata": {"name": "example-placement", "labels": {"team": "a"}}}
    [applied] = of(m.input(cmd.ApplyPlacement(manifest=labelled)), PlacementApplied)
    assert applied.generation == 1


def _removals(events: list[Event]) -> list[ClusterUpdateRequested]:
    return of(events, ClusterUpdateRequested)


def test_deleted_placement_fails_its_running_run_and_removes_its_objects_from_members() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("r", "1"))
    in_flight = sorted(r.cluster for r in m.outbox)
    m.report(in_flight[0])
    deployed = sorted(m.state.deployed.keys())
    assert deployed == [in_flight[0]]
    events = m.input(cmd.DeletePlacement(name="example-placement"))
    assert types(events) == ["placement.deleted", *["cluster.updaterequested"] * len(set(in_flight) | set(deployed)),
                             "run.failed"]
    removals = _removals(events)
    assert sorted(r.cluster for r in removals) == sorted(set(in_flight) | set(deployed))
    assert all(r.delete and r.resources == [] and r.run == "" and r.stage == "" for r in removals)
    assert {r.resource_snapshot_index for r in removals} == {-1}
    assert all(e.actor == "alice" for e in events if isinstance(e.data, ClusterUpdateRequested))


def test_a_removal_report_changes_nothing_and_a_recreated_placement_starts_with_no_members() -> None:
    m = Machine.howto()
    m.apply_run(howto.run("r", "1"))
    m.answer_all()
    m.input(cmd.DeletePlacement(name="example-placement"))
    assert m.outbox and all(r.run == "" for r in m.outbox)
    assert m.answer_all() == []
    assert len(m.state.deployed) == 0 and len(m.state.updating) == 0

    m.input(cmd.ApplyPlacement(manifest=howto.PLACEMENT))
    m.apply_run(howto.run("r2", None))
    assert m.state.runs["r2"].plan is not None and m.state.runs["r2"].plan.deletion_clusters == []
    m.report(m.outbox[0].cluster, run="r2")
    [again] = _removals(m.input(cmd.DeletePlacement(name="example-placement")))
    assert again.resource_snapshot_index == -2  # another ledger key: the agent carries this deletion out too


def test_deleting_a_placement_with_nothing_deployed_sends_no_removal() -> None:
    m = Machine.howto()
    assert types(m.input(cmd.DeletePlacement(name="example-placement"))) == ["placement.deleted"]


def test_an_invalid_hub_manifest_is_ignored() -> None:
    m = Machine.howto()
    m.fleet_event(fe.HubResourceApplied(manifest={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}},
                                        generation=1))
    m.fleet_event(fe.StrategyApplied(manifest={"kind": "ClusterStagedUpdateStrategy"}, generation=1))
    assert types(m.reconcile()) == []


def _big_configmap(name: str, size: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "test-namespace"},
            "data": {"blob": "x" * size}}


def test_a_selection_too_large_for_one_snapshot_is_refused_once_and_lifted_when_it_fits() -> None:
    m = Machine.howto()
    before = len(snapshots(m))
    for name in ("big-a", "big-b"):
        m.fleet_event(fe.HubResourceApplied(manifest=_big_configmap(name, MAX_SNAPSHOT_BYTES // 2), generation=1))
    [refused] = of(m.reconcile(), ResourceSnapshotRefused)
    assert refused.size > refused.limit == MAX_SNAPSHOT_BYTES and refused.placement_generation == 1
    assert refused.message.startswith("The resource selectors are invalid: the selected objects take ")
    assert "select fewer or smaller objects" in refused.message
    assert m.reconcile() == [] and len(snapshots(m)) == before  # refused once; no snapshot made

    m.fleet_event(fe.HubResourceDeleted(api_version="v1", kind="ConfigMap", name="big-b", namespace="test-namespace"))
    lifted = m.reconcile()
    assert types(lifted) == ["placement.scheduled", "resourcesnapshot.created"]
    assert of(lifted, PlacementScheduled)[0] == m.state.scheduled
    assert m.state.refused_selection is None and len(snapshots(m)) == before + 1


def test_going_back_to_the_latest_snapshot_lifts_a_refusal() -> None:
    m = Machine.howto()
    m.fleet_event(fe.HubResourceApplied(manifest=_big_configmap("big", MAX_SNAPSHOT_BYTES + 1), generation=1))
    assert types(m.reconcile()) == ["resourcesnapshot.refused"]
    m.fleet_event(fe.HubResourceDeleted(api_version="v1", kind="ConfigMap", name="big", namespace="test-namespace"))
    assert types(m.reconcile()) == ["placement.scheduled"]
