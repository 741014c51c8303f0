"""Folds the orchestrator's own domain events into a `PlacementState` (pure; no decisions here).

`evolve(state, event)` folds every domain event the orchestrator writes on `placements`; any other
event (commands, agent reports, reconcile requests, events of other streams) leaves the state unchanged.
Replaying a placement's events in log order through `evolve` rebuilds exactly the state the deciding
instance had.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from immutables import Map

from eventstore import Event
from fleetevents import placements as pe
from fleetevents import runs as re
from orchestrator.changed import changed
from orchestrator.state import (
    ApprovalState,
    PlacementState,
    PolicySnapshot,
    ResourceSnapshot,
    RunState,
    StageProgress,
)
from resources.placement import ClusterResourcePlacement
from resources.strategy import StagedUpdateStrategySpec
from resources.updaterun import ClusterStagedUpdateRun

Folder = Callable[[PlacementState, Any, Event], PlacementState]
_FOLDERS: dict[type, Folder] = {}


def _folds(model: type) -> Callable[[Folder], Folder]:
    def register(fn: Folder) -> Folder:
        _FOLDERS[model] = fn
        return fn

    return register


def evolve(state: PlacementState, event: Event) -> PlacementState:
    """The state after `event` (unchanged for events the orchestrator does not write)."""
    folder = _FOLDERS.get(type(event.data))
    return folder(state, event.data, event) if folder is not None else state


def evolve_all(state: PlacementState, events: Iterable[Event]) -> PlacementState:
    for event in events:
        state = evolve(state, event)
    return state


# --- placement, snapshots, scheduling -------------------------------------------------------------------


@_folds(pe.PlacementApplied)
def _placement_applied(s: PlacementState, d: pe.PlacementApplied, e: Event) -> PlacementState:
    return changed(s, placement=ClusterResourcePlacement.model_validate(d.manifest), generation=d.generation)


@_folds(pe.PlacementDeleted)
def _placement_deleted(s: PlacementState, d: pe.PlacementDeleted, e: Event) -> PlacementState:
    return changed(s, placement=None, updating=Map(), deployed=Map(), deletions=s.deletions + 1)


@_folds(pe.PolicySnapshotCreated)
def _policy_created(s: PlacementState, d: pe.PolicySnapshotCreated, e: Event) -> PlacementState:
    return changed(s, policy_snapshots=(*s.policy_snapshots, PolicySnapshot(d.index, d.policy_hash)))


@_folds(pe.PolicySnapshotDeleted)
def _policy_deleted(s: PlacementState, d: pe.PolicySnapshotDeleted, e: Event) -> PlacementState:
    snaps = tuple(changed(p, deleted=True) if p.index == d.index else p for p in s.policy_snapshots)
    return changed(s, policy_snapshots=snaps)


@_folds(pe.PlacementScheduled)
def _scheduled(s: PlacementState, d: pe.PlacementScheduled, e: Event) -> PlacementState:
    return changed(s, scheduled=d, refused_selection=None)


@_folds(pe.ResourceSnapshotRefused)
def _resources_refused(s: PlacementState, d: pe.ResourceSnapshotRefused, e: Event) -> PlacementState:
    return changed(s, refused_selection=d.resource_hash)


@_folds(pe.ResourceSnapshotCreated)
def _resources_created(s: PlacementState, d: pe.ResourceSnapshotCreated, e: Event) -> PlacementState:
    snap = ResourceSnapshot(d.index, d.resource_hash, tuple(d.selected_resources))
    return changed(s, resource_snapshots=(*s.resource_snapshots, snap))


@_folds(pe.ResourceSnapshotDeleted)
def _resources_deleted(s: PlacementState, d: pe.ResourceSnapshotDeleted, e: Event) -> PlacementState:
    snaps = tuple(changed(r, deleted=True) if r.index == d.index else r for r in s.resource_snapshots)
    return changed(s, resource_snapshots=snaps)


# --- runs ----------------------------------------------------------------------------------------------


def _update_run(s: PlacementState, name: str, **changes: Any) -> PlacementState:
    run = s.runs.get(name)
    return s if run is None else s.with_run(changed(run, **changes))


def _update_stage(s: PlacementState, run_name: str, stage_name: str, **changes: Any) -> PlacementState:
    run = s.runs.get(run_name)
    stage = run.stage(stage_name) if run is not None else None
    if run is None or stage is None:
        return s
    return s.with_run(run.with_stage(changed(stage, **changes)))


def _release_clusters(s: PlacementState, run_name: str) -> PlacementState:
    released = [c for c, r in s.updating.items() if r == run_name]
    if not released:
        return s
    updating = s.updating.mutate()
    for cluster in released:
        del updating[cluster]
    return changed(s, updating=updating.finish())


@_folds(re.RunCreated)
def _run_created(s: PlacementState, d: re.RunCreated, e: Event) -> PlacementState:
    resource = ClusterStagedUpdateRun.model_validate(d.manifest)
    return s.with_run(RunState(resource.name, resource, d.generation))


@_folds(re.RunInitialized)
def _run_initialized(s: PlacementState, d: re.RunInitialized, e: Event) -> PlacementState:
    stages = tuple(StageProgress.planned(p) for p in d.stages)
    strategy = StagedUpdateStrategySpec.model_validate(d.strategy_snapshot)
    return _update_run(s, d.run, plan=d, strategy=strategy, stages=stages,
                       deletion=StageProgress.deletion(d.deletion_clusters))


@_folds(re.RunInitializationFailed)
def _run_init_failed(s: PlacementState, d: re.RunInitializationFailed, e: Event) -> PlacementState:
    return _update_run(s, d.run, init_error=d.message)


@_folds(re.RunStateChanged)
def _run_state_changed(s: PlacementState, d: re.RunStateChanged, e: Event) -> PlacementState:
    run = s.runs.get(d.run)
    if run is None:
        return s
    spec = run.resource.spec.model_copy(update={"state": d.state})
    return s.with_run(changed(run, resource=run.resource.model_copy(update={"spec": spec}), generation=d.generation))


@_folds(re.RunProgressing)
def _run_progressing(s: PlacementState, d: re.RunProgressing, e: Event) -> PlacementState:
    return _update_run(s, d.run, progress="started", stuck=())


@_folds(re.RunWaiting)
def _run_waiting(s: PlacementState, d: re.RunWaiting, e: Event) -> PlacementState:
    return _update_run(s, d.run, progress="waiting")


@_folds(re.RunStuck)
def _run_stuck(s: PlacementState, d: re.RunStuck, e: Event) -> PlacementState:
    return _update_run(s, d.run, progress="stuck", stuck=tuple(d.clusters))


@_folds(re.RunStopping)
def _run_stopping(s: PlacementState, d: re.RunStopping, e: Event) -> PlacementState:
    return _update_run(s, d.run, progress="stopping")


@_folds(re.RunStopped)
def _run_stopped(s: PlacementState, d: re.RunStopped, e: Event) -> PlacementState:
    return _update_run(s, d.run, progress="stopped")


@_folds(re.RunSucceeded)
def _run_succeeded(s: PlacementState, d: re.RunSucceeded, e: Event) -> PlacementState:
    return _release_clusters(_update_run(s, d.run, outcome="succeeded"), d.run)


@_folds(re.RunFailed)
def _run_failed(s: PlacementState, d: re.RunFailed, e: Event) -> PlacementState:
    return _release_clusters(_update_run(s, d.run, outcome="failed"), d.run)


@_folds(re.RunDeleted)
def _run_deleted(s: PlacementState, d: re.RunDeleted, e: Event) -> PlacementState:
    s = _release_clusters(s, d.run)
    return changed(s, runs={n: r for n, r in s.runs.items() if n != d.run})


# --- stages and clusters -----------------------------------------------------------------------------


@_folds(re.StageStarted)
def _stage_started(s: PlacementState, d: re.StageStarted, e: Event) -> PlacementState:
    return _update_stage(s, d.run, d.stage, started_at=e.time)


@_folds(re.StageWaiting)
def _stage_waiting(s: PlacementState, d: re.StageWaiting, e: Event) -> PlacementState:
    return _update_stage(s, d.run, d.stage, waiting_at=e.time)


@_folds(re.StageSucceeded)
def _stage_succeeded(s: PlacementState, d: re.StageSucceeded, e: Event) -> PlacementState:
    return _update_stage(s, d.run, d.stage, outcome="succeeded")


@_folds(re.StageSkipped)
def _stage_skipped(s: PlacementState, d: re.StageSkipped, e: Event) -> PlacementState:
    return _update_stage(s, d.run, d.stage, outcome="skipped")


@_folds(re.StageFailed)
def _stage_failed(s: PlacementState, d: re.StageFailed, e: Event) -> PlacementState:
    return _update_stage(s, d.run, d.stage, outcome="failed")


@_folds(re.WaitElapsed)
def _wait_elapsed(s: PlacementState, d: re.WaitElapsed, e: Event) -> PlacementState:
    return _update_stage(s, d.run, d.stage, wait_elapsed=True)


def _update_cluster(s: PlacementState, run_name: str, stage_name: str, cluster: str, **changes: Any) -> PlacementState:
    run = s.runs.get(run_name)
    stage = run.stage(stage_name) if run is not None else None
    progress = stage.cluster(cluster) if stage is not None else None
    if run is None or stage is None or progress is None:
        return s
    return s.with_run(run.with_stage(stage.with_cluster(changed(progress, **changes))))


@_folds(re.ClusterUpdateStarted)
def _cluster_started(s: PlacementState, d: re.ClusterUpdateStarted, e: Event) -> PlacementState:
    previous = s.updating.get(d.cluster)
    if previous is not None and previous != d.run:
        s = _taken_over(s, previous, d.cluster)
    s = _update_cluster(s, d.run, d.stage, d.cluster, started_at=e.time)
    return changed(s, updating=s.updating.set(d.cluster, d.run))


def _taken_over(s: PlacementState, run_name: str, cluster: str) -> PlacementState:
    """Marks `cluster` as taken over in the stages of `run_name` where it is in flight."""
    run = s.runs.get(run_name)
    for stage in run.all_stages() if run is not None else ():
        progress = stage.cluster(cluster)
        if progress is not None and progress.in_flight:
            s = _update_stage(s, run_name, stage.name, taken_over=stage.taken_over | {cluster})
    return s


def _released(updating: Map[str, str], run: str, cluster: str) -> Map[str, str]:
    """`updating` without `cluster` if `run` is the one updating it (a later run may have taken it over)."""
    return updating.delete(cluster) if updating.get(cluster) == run else updating


@_folds(re.ClusterUpdateSucceeded)
def _cluster_succeeded(s: PlacementState, d: re.ClusterUpdateSucceeded, e: Event) -> PlacementState:
    s = _update_cluster(s, d.run, d.stage, d.cluster, outcome="succeeded")
    run = s.runs.get(d.run)
    if run is not None and (stage := run.stage(d.stage)) is not None and stage.is_deletion:
        deployed = s.deployed.delete(d.cluster) if d.cluster in s.deployed else s.deployed
    else:
        deployed = s.deployed.set(d.cluster, d.resource_snapshot_index)
    return changed(s, updating=_released(s.updating, d.run, d.cluster), deployed=deployed)


@_folds(re.ClusterUpdateFailed)
def _cluster_failed(s: PlacementState, d: re.ClusterUpdateFailed, e: Event) -> PlacementState:
    s = _update_cluster(s, d.run, d.stage, d.cluster, outcome="failed", message=d.message)
    return changed(s, updating=_released(s.updating, d.run, d.cluster))


# --- approvals -----------------------------------------------------------------------------------------


def _update_approval(s: PlacementState, name: str, **changes: Any) -> PlacementState:
    approval = s.approvals.get(name)
    if approval is None:
        return s
    return changed(s, approvals={**s.approvals, name: changed(approval, **changes)})


@_folds(re.ApprovalRequested)
def _approval_requested(s: PlacementState, d: re.ApprovalRequested, e: Event) -> PlacementState:
    approval = ApprovalState(d.name, d.run, d.stage, d.task)
    return changed(s, approvals={**s.approvals, d.name: approval})


@_folds(re.ApprovalGranted)
def _approval_granted(s: PlacementState, d: re.ApprovalGranted, e: Event) -> PlacementState:
    return _update_approval(s, d.name, granted=True)


@_folds(re.ApprovalRevoked)
def _approval_revoked(s: PlacementState, d: re.ApprovalRevoked, e: Event) -> PlacementState:
    return _update_approval(s, d.name, granted=False)


@_folds(re.ApprovalAccepted)
def _approval_accepted(s: PlacementState, d: re.ApprovalAccepted, e: Event) -> PlacementState:
    approval = s.approvals.get(d.name)
    s = _update_approval(s, d.name, accepted=True)
    if approval is None:
        return s
    flag = "before_approved" if approval.task == "before" else "after_approved"
    return _update_stage(s, d.run, d.stage, **{flag: True})


@_folds(re.ApprovalDeleted)
def _approval_deleted(s: PlacementState, d: re.ApprovalDeleted, e: Event) -> PlacementState:
    return changed(s, approvals={n: a for n, a in s.approvals.items() if n != d.name})

