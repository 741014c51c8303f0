"""Read model of ClusterStagedUpdateRuns: the full document `kubectl get csur NAME -o yaml` shows.

A pure fold of the run events of the `placements` stream into the run's document. The status has the
how-to's shape exactly: run conditions (Initialized, Progressing, Succeeded), `stagesStatus` laid out
at initialisation (every stage with its clusters in update order and its tasks, approval tasks already
naming their request), stage/cluster/task conditions as they happen, and `deletionStageStatus`.
Condition times are the event times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eventstore import Event
from fleetevents import conditions as c
from fleetevents import runs
from projections.documents import (
    Changes,
    Document,
    Handler,
    Key,
    Overlay,
    clone,
    editor,
    find_condition,
    from_manifest,
    k8s_time,
    set_condition,
)
from projections.listindex import ListIndex
from resources.duration import format_duration, parse_duration
from resources.names import DELETION_STAGE_NAME, PLACEMENT_V1BETA1, approval_request_name

KIND = "ClusterStagedUpdateRun"
SKIPPED_MESSAGE = "Stage skipped because it has no clusters"

RunChange = Callable[[Document, Any, Event], None]
"""Changes a (writable) run document in place for one event: (run, payload, event)."""


def run_key(name: str) -> Key:
    return KIND, "", name


def _generation(run: Document) -> int:
    return run["metadata"]["generation"]


def _conditions(holder: Document) -> list[Document]:
    return holder.setdefault("conditions", [])


def _set(
    run: Document, holder: Document, type_: str, status: bool, reason: str, event: Event, message: str = ""
) -> None:
    """Set a condition of `holder` (the run, a stage, a cluster or a task) at the event's time."""
    set_condition(_conditions(holder), type_, status, reason, event.time, _generation(run), message)


_STAGES = ListIndex("stageName")
_CLUSTERS = ListIndex("clusterName")


def _stage(run: Document, name: str) -> Document | None:
    status = run.get("status") or {}
    if name == DELETION_STAGE_NAME:
        return status.get("deletionStageStatus")
    return _STAGES.find(status.get("stagesStatus"), name)


def _cluster(stage: Document, name: str) -> Document:
    found = _CLUSTERS.find(stage["clusters"], name)
    if found is None:
        found = {"clusterName": name}
        stage["clusters"].append(found)
    return found


def _canonical_tasks(tasks: list[Any]) -> list[Any]:
    """Tasks with `waitTime` as Go prints a metav1.Duration (`1m` -> `1m0s`), as the API server stores it."""
    out = []
    for task in tasks:
        task = dict(task)
        if isinstance(task.get("waitTime"), str):
            task["waitTime"] = format_duration(parse_duration(task["waitTime"]))
        out.append(task)
    return out


def _strategy_snapshot(spec: Mapping[str, Any]) -> Document:
    snapshot = clone(spec)
    for stage in snapshot.get("stages") or ():
        for field in ("afterStageTasks", "beforeStageTasks"):
            if field in stage:
                stage[field] = _canonical_tasks(stage[field])
    return snapshot


def _task_statuses(run: str, stage: str, tasks: list[runs.TaskPlan], *, before: bool) -> list[Document]:
    statuses = []
    for task in tasks:
        status: Document = {"type": task.type}
        if task.type == "Approval":
            status["approvalRequestName"] = approval_request_name(run, stage, before=before)
        statuses.append(status)
    return statuses


def _stage_plan(run: str, plan: runs.StagePlan) -> Document:
    stage: Document = {"stageName": plan.name, "clusters": [{"clusterName": name} for name in plan.clusters]}
    if plan.before_tasks:
        stage["beforeStageTaskStatus"] = _task_statuses(run, plan.name, plan.before_tasks, before=True)
    if plan.after_tasks:
        stage["afterStageTaskStatus"] = _task_statuses(run, plan.name, plan.after_tasks, before=False)
    return stage


# --- one function per event type -------------------------------------------------------------------


def _initialized(run: Document, data: runs.RunInitialized, event: Event) -> None:
    status = run.setdefault("status", {})
    _set(run, status, c.INITIALIZED, True, c.UPDATE_RUN_INITIALIZED_SUCCESSFULLY, event, c.INITIALIZED_MESSAGE)
    status["policyObservedClusterCount"] = data.policy_observed_cluster_count
    status["policySnapshotIndexUsed"] = str(data.policy_snapshot_index)
    status["stagedUpdateStrategySnapshot"] = _strategy_snapshot(data.strategy_snapshot)
    status["stagesStatus"] = [_stage_plan(data.run, plan) for plan in data.stages]
    status["deletionStageStatus"] = {
        "stageName": DELETION_STAGE_NAME,
        "clusters": [{"clusterName": name} for name in data.deletion_clusters],
    }


def _initialization_failed(run: Document, data: runs.RunInitializationFailed, event: Event) -> None:
    _set(run, run.setdefault("status", {}), c.INITIALIZED, False, c.UPDATE_RUN_INITIALIZED_FAILED, event, data.message)


def _state_changed(run: Document, data: runs.RunStateChanged, event: Event) -> None:
    run["spec"]["state"] = data.state
    run["metadata"]["generation"] = data.generation


def _run_condition(type_: str, status: bool, reason: str, message: Callable[[Any], str] = lambda d: "") -> RunChange:
    def change(run: Document, data: Any, event: Event) -> None:
        _set(run, run.setdefault("status", {}), type_, status, reason, event, message(data))

    return change


def _run_progressing(run: Document, data: runs.RunProgressing, event: Event) -> None:
    """The run executes (again): a stage that was stopping or stopped is progressing again too."""
    status = run.setdefault("status", {})
    _set(run, status, c.PROGRESSING, True, c.UPDATE_RUN_STARTED, event)
    paused = (c.STAGE_UPDATING_STOPPING, c.STAGE_UPDATING_STOPPED)
    for stage in [*(status.get("stagesStatus") or ()), status.get("deletionStageStatus") or {}]:
        progressing = find_condition(stage.get("conditions"), c.PROGRESSING)
        if progressing is not None and progressing["reason"] in paused:
            _set(run, stage, c.PROGRESSING, True, c.STAGE_UPDATING_STARTED, event)


def _run_failed(run: Document, data: runs.RunFailed, event: Event) -> None:
    status = run.setdefault("status", {})
    _set(run, status, c.PROGRESSING, False, c.UPDATE_RUN_FAILED, event, data.message)
    _set(run, status, c.SUCCEEDED, False, c.UPDATE_RUN_FAILED, event, data.message)


StageChange = Callable[[Document, Document, Any, Event], None]
"""Changes one stage of a run: (run, stage, payload, event)."""


def _stage_change(change: StageChange) -> RunChange:
    """A change of the stage the payload names (ignored when the run has no such stage)."""

    def on_run(run: Document, data: Any, event: Event) -> None:
        stage = _stage(run, data.stage)
        if stage is not None:
            change(run, stage, data, event)

    return on_run


def _stage_condition(type_: str, status: bool, reason: str) -> RunChange:
    return _stage_change(lambda run, stage, data, event: _set(run, stage, type_, status, reason, event))


@_stage_change
def _stage_started(run: Document, stage: Document, data: runs.StageStarted, event: Event) -> None:
    _set(run, stage, c.PROGRESSING, True, c.STAGE_UPDATING_STARTED, event)
    stage.setdefault("startTime", k8s_time(event.time))


@_stage_change
def _stage_succeeded(run: Document, stage: Document, data: runs.StageSucceeded, event: Event) -> None:
    _set(run, stage, c.SUCCEEDED, True, c.STAGE_UPDATING_SUCCEEDED, event)
    stage["endTime"] = k8s_time(event.time)


@_stage_change
def _stage_skipped(run: Document, stage: Document, data: runs.StageSkipped, event: Event) -> None:
    _set(run, stage, c.PROGRESSING, False, c.STAGE_UPDATING_SKIPPED_NO_CLUSTERS, event, SKIPPED_MESSAGE)
    _set(run, stage, c.SUCCEEDED, True, c.STAGE_UPDATING_SKIPPED_NO_CLUSTERS, event, SKIPPED_MESSAGE)
    stage.setdefault("startTime", k8s_time(event.time))
    stage["endTime"] = k8s_time(event.time)


@_stage_change
def _stage_failed(run: Document, stage: Document, data: runs.StageFailed, event: Event) -> None:
    _set(run, stage, c.PROGRESSING, False, c.STAGE_UPDATING_FAILED, event, data.message)
    _set(run, stage, c.SUCCEEDED, False, c.STAGE_UPDATING_FAILED, event, data.message)
    stage["endTime"] = k8s_time(event.time)


def _run_paused(run_reason: str, stage_reason: str) -> RunChange:
    """Stopping/stopped: the run's and the named stage's Progressing turn False."""

    def change(run: Document, data: runs.RunStopping | runs.RunStopped, event: Event) -> None:
        _set(run, run.setdefault("status", {}), c.PROGRESSING, False, run_reason, event)
        stage = _stage(run, data.stage)
        if stage is not None and find_condition(stage.get("conditions"), c.PROGRESSING) is not None:
            _set(run, stage, c.PROGRESSING, False, stage_reason, event)

    return change


@_stage_change
def _cluster_started(run: Document, stage: Document, data: runs.ClusterUpdateStarted, event: Event) -> None:
    _set(run, _cluster(stage, data.cluster), c.STARTED, True, c.CLUSTER_UPDATING_STARTED, event)


@_stage_change
def _cluster_failed(run: Document, stage: Document, data: runs.ClusterUpdateFailed, event: Event) -> None:
    _set(run, _cluster(stage, data.cluster), c.SUCCEEDED, False, c.CLUSTER_UPDATING_FAILED, event, data.message)


@_stage_change
def _cluster_succeeded(run: Document, stage: Document, data: runs.ClusterUpdateSucceeded, event: Event) -> None:
    _set(run, _cluster(stage, data.cluster), c.SUCCEEDED, True, c.CLUSTER_UPDATING_SUCCEEDED, event)


def _task(stage: Document, *, type_: str | None = None, request: str | None = None) -> Document | None:
    for field in ("beforeStageTaskStatus", "afterStageTaskStatus"):
        for task in stage.get(field) or ():
            if (type_ is None or task["type"] == type_) and (
                request is None or task.get("approvalRequestName") == request
            ):
                return task
    return None


@_stage_change
def _approval_requested(run: Document, stage: Document, data: runs.ApprovalRequested, event: Event) -> None:
    task = _task(stage, request=data.name)
    if task is not None:
        reason = (
            c.BEFORE_STAGE_TASK_APPROVAL_REQUEST_CREATED
            if data.task == "before"
            else c.AFTER_STAGE_TASK_APPROVAL_REQUEST_CREATED
        )
        _set(run, task, c.APPROVAL_REQUEST_CREATED, True, reason, event)


@_stage_change
def _approval_accepted(run: Document, stage: Document, data: runs.ApprovalAccepted, event: Event) -> None:
    task = _task(stage, request=data.name)
    if task is not None:
        before = task in (stage.get("beforeStageTaskStatus") or ())
        reason = (
            c.BEFORE_STAGE_TASK_APPROVAL_REQUEST_APPROVED if before else c.AFTER_STAGE_TASK_APPROVAL_REQUEST_APPROVED
        )
        _set(run, task, c.APPROVAL_REQUEST_APPROVED, True, reason, event)


@_stage_change
def _wait_elapsed(run: Document, stage: Document, data: runs.WaitElapsed, event: Event) -> None:
    task = _task(stage, type_="TimedWait")
    if task is not None:
        _set(run, task, c.WAIT_TIME_ELAPSED, True, c.AFTER_STAGE_TASK_WAIT_TIME_ELAPSED, event)


_RUN_CHANGES: dict[type, RunChange] = {
    runs.RunInitialized: _initialized,
    runs.RunInitializationFailed: _initialization_failed,
    runs.RunStateChanged: _state_changed,
    runs.RunProgressing: _run_progressing,
    runs.RunWaiting: _run_condition(
        c.PROGRESSING, False, c.UPDATE_RUN_WAITING, lambda d: f"waiting for the tasks of stage {d.stage} to complete"
    ),
    runs.RunStuck: _run_condition(c.PROGRESSING, False, c.UPDATE_RUN_STUCK, lambda d: d.message),
    runs.RunStopping: _run_paused(c.UPDATE_RUN_STOPPING, c.STAGE_UPDATING_STOPPING),
    runs.RunStopped: _run_paused(c.UPDATE_RUN_STOPPED, c.STAGE_UPDATING_STOPPED),
    runs.RunSucceeded: _run_condition(c.SUCCEEDED, True, c.UPDATE_RUN_SUCCEEDED),
    runs.RunFailed: _run_failed,
    runs.StageStarted: _stage_started,
    runs.StageWaiting: _stage_condition(c.PROGRESSING, False, c.STAGE_UPDATING_WAITING),
    runs.StageSucceeded: _stage_succeeded,
    runs.StageSkipped: _stage_skipped,
    runs.StageFailed: _stage_failed,
    runs.ClusterUpdateStarted: _cluster_started,
    runs.ClusterUpdateSucceeded: _cluster_succeeded,
    runs.ClusterUpdateFailed: _cluster_failed,
    runs.ApprovalRequested: _approval_requested,
    runs.ApprovalAccepted: _approval_accepted,
    runs.WaitElapsed: _wait_elapsed,
}


def _created(view: Overlay, data: runs.RunCreated, event: Event) -> Changes:
    doc = from_manifest(data.manifest, data.generation, event, None)
    doc.setdefault("apiVersion", PLACEMENT_V1BETA1)
    return {run_key(doc["metadata"]["name"]): doc}


def _deleted(view: Overlay, data: runs.RunDeleted, event: Event) -> Changes:
    return {run_key(data.run): None}


HANDLERS: dict[type, Handler] = {
    runs.RunCreated: _created,
    runs.RunDeleted: _deleted,
    **{payload: editor(lambda d, e: run_key(d.run), change) for payload, change in _RUN_CHANGES.items()},
}
