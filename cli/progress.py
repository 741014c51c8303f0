"""The live view of one ClusterStagedUpdateRun (`fleetstage get csur NAME -w`).

`progress_lines(run)` states the run's progress as short facts (one per stage, cluster, task and the
run itself); a non-TTY prints each new fact once, in order. `progress_view(run)` is the rich renderable
a terminal shows: a bar per stage, its clusters, waits and approvals.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from cli.tables import Document, find_condition
from resources.names import DELETION_STAGE_NAME

_STYLES = {"succeeded": "green", "failed": "red", "updating": "yellow", "waiting": "cyan", "pending": "dim"}


def _condition(holder: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    return find_condition({"status": {"conditions": holder.get("conditions") or []}}, type_)


def _is(holder: Mapping[str, Any], type_: str, status: str) -> bool:
    cond = _condition(holder, type_)
    return cond is not None and cond.get("status") == status


def cluster_state(cluster: Mapping[str, Any]) -> str:
    """pending, updating, succeeded or failed."""
    if _is(cluster, "Succeeded", "True"):
        return "succeeded"
    if _is(cluster, "Succeeded", "False"):
        return "failed"
    if _is(cluster, "Started", "True"):
        return "updating"
    return "pending"


def stage_state(stage: Mapping[str, Any]) -> str:
    """pending, updating, waiting, succeeded, failed (or skipped, stopped) of a stage."""
    if _is(stage, "Succeeded", "True"):
        reason = (_condition(stage, "Succeeded") or {}).get("reason", "")
        return "skipped" if reason == "StageUpdatingSkippedNoClusters" else "succeeded"
    if _is(stage, "Succeeded", "False"):
        return "failed"
    progressing = _condition(stage, "Progressing")
    if progressing is None:
        return "pending"
    if progressing.get("status") == "True":
        return "updating"
    return {"StageUpdatingWaiting": "waiting", "StageUpdatingStopped": "stopped",
            "StageUpdatingStopping": "stopping"}.get(progressing.get("reason", ""), "updating")


def task_state(task: Mapping[str, Any]) -> str:
    """What an after/before-stage task is doing, in words."""
    if task.get("type") == "TimedWait":
        return "wait elapsed" if _is(task, "WaitTimeElapsed", "True") else "waiting"
    name = task.get("approvalRequestName", "")
    if _is(task, "ApprovalRequestApproved", "True"):
        return f"approved ({name})"
    if _is(task, "ApprovalRequestCreated", "True"):
        return f"waiting for approval: fleetstage approve {name}"
    return f"approval pending ({name})"


def run_state(run: Document) -> str:
    """The run's headline: initializing, failed to initialize, progressing, waiting, succeeded, failed..."""
    if _is(run.get("status") or {}, "Initialized", "False"):
        return "initialization failed: " + ((_condition(run["status"], "Initialized") or {}).get("message") or "")
    status = run.get("status") or {}
    for type_, value in (("Succeeded", "True"), ("Succeeded", "False")):
        cond = _condition(status, type_)
        if cond is not None and cond.get("status") == value:
            text = "succeeded" if value == "True" else "failed"
            return text + (f": {cond['message']}" if cond.get("message") else "")
    progressing = _condition(status, "Progressing")
    if progressing is None:
        return "initialized" if _is(status, "Initialized", "True") else "initializing"
    reason = progressing.get("reason", "")
    return {"UpdateRunStarted": "progressing", "UpdateRunWaiting": "waiting", "UpdateRunStuck": "stuck",
            "UpdateRunStopping": "stopping", "UpdateRunStopped": "stopped"}.get(reason, reason) + (
        f": {progressing['message']}" if progressing.get("message") else "")


def is_finished(run: Document) -> bool:
    """True once the run cannot change any more (succeeded, failed, or failed to initialise)."""
    status = run.get("status") or {}
    return _condition(status, "Succeeded") is not None or _is(status, "Initialized", "False")


def _stages(run: Document) -> list[Mapping[str, Any]]:
    status = run.get("status") or {}
    stages = list(status.get("stagesStatus") or [])
    deletion = status.get("deletionStageStatus")
    if deletion and (deletion.get("clusters") or deletion.get("conditions")):
        stages.append(deletion)
    return stages


def progress_lines(run: Document) -> list[str]:
    """The run's progress as facts, e.g. `example-run: stage staging: member2 succeeded`, the run's
    headline (`example-run: succeeded`) last."""
    name = (run.get("metadata") or {}).get("name", "")
    lines = []
    for stage in _stages(run):
        prefix = f"{name}: stage {stage.get('stageName', '')}"
        lines.append(f"{prefix}: {stage_state(stage)}")
        for task in stage.get("beforeStageTaskStatus") or []:
            lines.append(f"{prefix}: before-stage {task.get('type')}: {task_state(task)}")
        for cluster in stage.get("clusters") or []:
            lines.append(f"{prefix}: {cluster.get('clusterName')} {cluster_state(cluster)}")
        for task in stage.get("afterStageTaskStatus") or []:
            lines.append(f"{prefix}: {task.get('type')}: {task_state(task)}")
    return [*lines, f"{name}: {run_state(run)}"]


def progress_view(run: Document) -> RenderableType:
    """A terminal view: the run's state, then per stage a bar, its clusters and tasks."""
    name = (run.get("metadata") or {}).get("name", "")
    spec = run.get("spec") or {}
    parts: list[RenderableType] = [Text.assemble(
        (name, "bold"), f"  placement {spec.get('placementName', '')}",
        f"  snapshot {spec.get('resourceSnapshotIndex', 'latest')}  ", (run_state(run), "bold"),
    )]
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("STAGE", "PROGRESS", "STATE", "CLUSTERS", "TASKS"):
        table.add_column(column)
    for stage in _stages(run):
        clusters = stage.get("clusters") or []
        done = sum(cluster_state(c) == "succeeded" for c in clusters)
        state = stage_state(stage)
        cells = Text("\n").join(
            Text(f"{c.get('clusterName')}: {cluster_state(c)}", style=_STYLES.get(cluster_state(c), ""))
            for c in clusters
        )
        tasks = "; ".join(task_state(t) for t in [*(stage.get("beforeStageTaskStatus") or []),
                                                  *(stage.get("afterStageTaskStatus") or [])])
        bar = ProgressBar(total=max(len(clusters), 1), completed=done if clusters else 1, width=20)
        name = stage.get("stageName", "")
        table.add_row("(deletion)" if name == DELETION_STAGE_NAME else name, bar,
                      Text(state, style=_STYLES.get(state, "")), cells, tasks)
    parts.append(table)
    return Group(*parts)
