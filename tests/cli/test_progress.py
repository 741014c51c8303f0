"""The live view of a run (`fleetstage get csur NAME -w`): facts for plain output, a rich view for a TTY."""
from typing import Any

from rich.console import Console

from cli.progress import is_finished, progress_lines, progress_view


def cond(type_: str, status: str, reason: str, message: str = "") -> dict[str, Any]:
    return {"type": type_, "status": status, "reason": reason, "message": message, "observedGeneration": 1}


def howto_run_in_canary() -> dict[str, Any]:
    """The how-to's "more detailed look at the status": staging done, member1 of canary still updating."""
    return {
        "metadata": {"name": "example-run"},
        "spec": {"placementName": "example-placement", "resourceSnapshotIndex": "1"},
        "status": {
            "conditions": [cond("Initialized", "True", "UpdateRunInitializedSuccessfully"),
                           cond("Progressing", "True", "UpdateRunStarted")],
            "deletionStageStatus": {"clusters": [], "stageName": "kubernetes-fleet.io/deleteStage"},
            "stagesStatus": [
                {"stageName": "staging",
                 "afterStageTaskStatus": [{"type": "TimedWait", "conditions": [
                     cond("WaitTimeElapsed", "True", "AfterStageTaskWaitTimeElapsed")]}],
                 "clusters": [{"clusterName": "member2", "conditions": [
                     cond("Started", "True", "ClusterUpdatingStarted"),
                     cond("Succeeded", "True", "ClusterUpdatingSucceeded")]}],
                 "conditions": [cond("Progressing", "False", "StageUpdatingWaiting"),
                                cond("Succeeded", "True", "StageUpdatingSucceeded")]},
                {"stageName": "canary",
                 "afterStageTaskStatus": [{"type": "Approval", "approvalRequestName": "example-run-canary"}],
                 "clusters": [
                     {"clusterName": "member3", "conditions": [
                         cond("Started", "True", "ClusterUpdatingStarted"),
                         cond("Succeeded", "True", "ClusterUpdatingSucceeded")]},
                     {"clusterName": "member1", "conditions": [cond("Started", "True", "ClusterUpdatingStarted")]}],
                 "conditions": [cond("Progressing", "True", "StageUpdatingStarted")]},
            ],
        },
    }


def test_progress_lines_state_every_stage_cluster_and_task() -> None:
    assert progress_lines(howto_run_in_canary()) == [
        "example-run: stage staging: succeeded",
        "example-run: stage staging: member2 succeeded",
        "example-run: stage staging: TimedWait: wait elapsed",
        "example-run: stage canary: updating",
        "example-run: stage canary: member3 succeeded",
        "example-run: stage canary: member1 updating",
        "example-run: stage canary: Approval: approval pending (example-run-canary)",
        "example-run: progressing",
    ]


def test_finished_runs_and_failed_initialisation() -> None:
    run = howto_run_in_canary()
    assert not is_finished(run)
    run["status"]["conditions"].append(cond("Succeeded", "False", "UpdateRunFailed", "member1 failed"))
    assert is_finished(run) and progress_lines(run)[-1] == "example-run: failed: member1 failed"
    failed = {"metadata": {"name": "r"}, "status": {"conditions": [
        cond("Initialized", "False", "UpdateRunInitializedFailed", "referenced updateStrategy not found: `s`")]}}
    assert is_finished(failed)
    assert progress_lines(failed) == ["r: initialization failed: referenced updateStrategy not found: `s`"]


def test_the_terminal_view_shows_a_bar_and_the_clusters_of_each_stage() -> None:
    console = Console(record=True, width=160, color_system=None)
    console.print(progress_view(howto_run_in_canary()))
    text = console.export_text()
    assert "example-run  placement example-placement  snapshot 1  progressing" in text
    assert "member3: succeeded" in text and "member1: updating" in text
    assert "approval pending (example-run-canary)" in text
