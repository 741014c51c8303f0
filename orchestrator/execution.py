"""Executing an initialised run: stages in order, clusters within `maxConcurrency`, tasks, deletion stage.

`step(state, run, now, settings)` returns the next events for `run` (empty when it must wait for
something: an agent, a timer, an approval); `orchestrator.decide` applies them and steps again until
nothing is left to do. `cluster_reported` turns an agent's `ClusterUpdated` into the orchestrator's
verdict (`ClusterUpdateSucceeded` / `ClusterUpdateFailed`), once; duplicates and stale reports give none.

Rules (fleet-semantics.md): a cluster failure fails its stage and the run and nothing more starts; a
stage with no clusters is skipped with its tasks; after all clusters of a stage succeeded it waits
(`StageWaiting`) while its after-stage tasks run in parallel: a TimedWait elapses `wait` after the
recorded StageWaiting time (so it survives restarts), an Approval creates `<run>-<stage>` and is
accepted once a person approved it (deleting a pending request recreates it); a before-stage Approval
`<run>-before-<stage>` gates the stage's start. The deletion stage comes last: every cluster at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.base import Payload
from fleetevents.runs import (
    ApprovalAccepted,
    ApprovalRequested,
    ClusterUpdateFailed,
    ClusterUpdateStarted,
    ClusterUpdateSucceeded,
    RunFailed,
    RunProgressing,
    RunStuck,
    RunSucceeded,
    RunWaiting,
    StageFailed,
    StageSkipped,
    StageStarted,
    StageSucceeded,
    StageWaiting,
    WaitElapsed,
)
from orchestrator.state import ClusterProgress, PlacementState, RunState, StageProgress
from resources.names import approval_request_name

DEFAULT_STUCK_THRESHOLD = timedelta(minutes=5)
MAX_STUCK_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Settings:
    """Tunables of the state machine."""

    stuck_threshold: timedelta = DEFAULT_STUCK_THRESHOLD


def cluster_reported(state: PlacementState, report: ClusterUpdated) -> list[Payload]:
    """The verdict on an agent's report, or nothing when the run no longer waits for it."""
    run = state.runs.get(report.run)
    if run is None or run.finished or run.plan is None:
        return []
    if report.resource_snapshot_index != run.plan.resource_snapshot_index:
        return []
    stage = run.stage(report.stage)
    cluster = stage.cluster(report.cluster) if stage is not None else None
    if cluster is None or not cluster.in_flight:
        return []
    if report.succeeded:
        return [ClusterUpdateSucceeded(run=run.name, stage=report.stage, cluster=report.cluster,
                                       resource_snapshot_index=report.resource_snapshot_index)]
    return [ClusterUpdateFailed(run=run.name, stage=report.stage, cluster=report.cluster, message=report.message)]


def failure(state: PlacementState, run: RunState, stage: StageProgress) -> list[Payload]:
    """Events that end the run when a cluster of `stage` failed or was taken over (else nothing).
    The stage is searched only when it counts a failed cluster or recorded a take-over."""
    if not stage.clusters.failed and not stage.taken_over:
        return []
    for cluster in stage.clusters:
        owner = state.updating.get(cluster.name)
        if cluster.in_flight and owner is not None and owner != run.name:
            return [ClusterUpdateFailed(
                run=run.name, stage=stage.name, cluster=cluster.name,
                message=f"cluster `{cluster.name}` is being updated by another update run `{owner}`",
            )]
        if cluster.outcome == "failed":
            detail = f": {cluster.message}" if cluster.message else ""
            message = f"cluster `{cluster.name}` in stage `{stage.name}` failed to update{detail}"
            return [StageFailed(run=run.name, stage=stage.name, message=message),
                    RunFailed(run=run.name, message=message)]
    return []


def step(state: PlacementState, run: RunState, now: datetime, settings: Settings) -> list[Payload]:
    """The next events of an executing run in state Run."""
    if run.progress in ("", "stopping", "stopped"):
        return [RunProgressing(run=run.name)]
    stage = run.current_stage()
    if stage is None:
        return []
    if (failed := failure(state, run, stage)):
        return failed
    if stage.started_at is None:
        return _start(state, run, stage)
    if stage.is_deletion:
        return _deletion(state, run, stage) or _stuck(run, stage, now, settings)
    if stage.clusters.succeeded < len(stage.clusters):
        return _start_clusters(state, run, stage) or _stuck(run, stage, now, settings)
    if stage.waiting_at is None:
        return [StageWaiting(run=run.name, stage=stage.name)]
    return _after_tasks(state, run, stage, now)


def _approval(state: PlacementState, run: RunState, stage: StageProgress, *, before: bool) -> list[Payload]:
    """Create the request if missing, accept it once approved; nothing while it waits for a person."""
    name = approval_request_name(run.name, stage.name, before=before)
    request = state.approvals.get(name)
    if request is None:
        return [ApprovalRequested(name=name, run=run.name, stage=stage.name, placement=state.name,
                                  task="before" if before else "after")]
    if request.granted and not request.accepted:
        return [ApprovalAccepted(name=name, run=run.name, stage=stage.name)]
    return []


def _waiting(run: RunState, stage: StageProgress) -> list[Payload]:
    return [] if run.progress == "waiting" else [RunWaiting(run=run.name, stage=stage.name)]


def _resumed(run: RunState) -> list[Payload]:
    return [RunProgressing(run=run.name)] if run.progress in ("waiting", "stuck") else []


def _start(state: PlacementState, run: RunState, stage: StageProgress) -> list[Payload]:
    if not stage.clusters and not stage.is_deletion:
        return [StageSkipped(run=run.name, stage=stage.name)]
    if stage.before_approval and not stage.before_approved:
        return _approval(state, run, stage, before=True) or _waiting(run, stage)
    return [*_resumed(run), StageStarted(run=run.name, stage=stage.name)]


def _start_clusters(state: PlacementState, run: RunState, stage: StageProgress) -> list[Payload]:
    free = stage.max_concurrency - stage.clusters.in_flight
    return _updates(state, run, stage, stage.clusters.unstarted(free))


def _updates(
    state: PlacementState, run: RunState, stage: StageProgress, clusters: list[ClusterProgress]
) -> list[Payload]:
    """Start updating `clusters`: ClusterUpdateStarted and the agent's ClusterUpdateRequested for each."""
    if not clusters:
        return []
    assert run.plan is not None
    index = run.plan.resource_snapshot_index
    snapshot = state.resource_snapshot(index)
    assert snapshot is not None  # checked at initialisation; snapshots are never dropped from state
    resources = [] if stage.is_deletion else list(snapshot.resources)  # each payload validates its own copy
    events: list[Payload] = []
    for cluster in clusters:
        events += [
            ClusterUpdateStarted(run=run.name, stage=stage.name, cluster=cluster.name, resource_snapshot_index=index),
            ClusterUpdateRequested(run=run.name, placement=state.name, stage=stage.name, cluster=cluster.name,
                                   resource_snapshot_index=index, resources=resources, delete=stage.is_deletion),
        ]
    return events


def _stuck(run: RunState, stage: StageProgress, now: datetime, settings: Settings) -> list[Payload]:
    """RunStuck once when in-flight clusters pass the threshold; RunProgressing once none is stuck."""
    cutoff = now - settings.stuck_threshold
    earliest = stage.clusters.earliest_in_flight_start()
    stuck = earliest is not None and earliest <= cutoff
    if stuck and run.progress != "stuck":
        shown = stage.clusters.in_flight_since(cutoff, MAX_STUCK_SHOWN)
        message = (f"The updateRun is stuck waiting for {', '.join(shown)} cluster(s) in stage {stage.name} to finish "
                   "updating, please check placement status for potential errors")
        return [RunStuck(run=run.name, clusters=shown, message=message)]
    if not stuck and run.progress == "stuck":
        return [RunProgressing(run=run.name)]
    return []


def _after_tasks(state: PlacementState, run: RunState, stage: StageProgress, now: datetime) -> list[Payload]:
    events: list[Payload] = []
    pending = False
    if stage.wait is not None and not stage.wait_elapsed:
        assert stage.waiting_at is not None
        if now >= stage.waiting_at + stage.wait:
            events.append(WaitElapsed(run=run.name, stage=stage.name))
        else:
            pending = True
    if stage.after_approval and not stage.after_approved:
        events += _approval(state, run, stage, before=False)
        pending = True
    if events:
        return events
    if pending:
        return _waiting(run, stage)
    return [*_resumed(run), StageSucceeded(run=run.name, stage=stage.name)]


def _deletion(state: PlacementState, run: RunState, stage: StageProgress) -> list[Payload]:
    if (waiting := stage.clusters.unstarted(len(stage.clusters))):
        return _updates(state, run, stage, waiting)
    if stage.clusters.succeeded == len(stage.clusters):
        return [StageSucceeded(run=run.name, stage=stage.name), RunSucceeded(run=run.name)]
    return []


def next_due(run: RunState, settings: Settings) -> datetime | None:
    """When `run` next needs a look without any input: a TimedWait's end or a cluster turning stuck."""
    if not run.executing or run.state != "Run":
        return None
    stage = run.current_stage()
    if stage is None:
        return None
    times: list[datetime] = []
    if stage.waiting_at is not None and stage.wait is not None and not stage.wait_elapsed:
        times.append(stage.waiting_at + stage.wait)
    if run.progress != "stuck" and (earliest := stage.clusters.earliest_in_flight_start()) is not None:
        times.append(earliest + settings.stuck_threshold)
    return min(times, default=None)
