"""What the how-to shows, for comparing real outputs with it: the document of its finished run, built from
parts (conditions, clusters, stages) that the tests reuse for the how-to's mid-run documents, with times shown
as `...` as the how-to elides them; and the comparison helpers (times, ages and uids left out)."""
from typing import Any

from demo import manifests

TIME_KEYS = {"lastTransitionTime", "startTime", "endTime", "creationTimestamp", "resourceVersion", "uid"}
ELIDED = "..."
"""A time as the how-to shows it."""
DELETE_STAGE = "kubernetes-fleet.io/deleteStage"


def condition(type_: str, reason: str, status: str = "True", message: str = "") -> dict[str, Any]:
    """A condition as `kubectl get -o yaml` prints it (keys in alphabetical order), its time elided."""
    return {"lastTransitionTime": ELIDED, "message": message, "observedGeneration": 1, "reason": reason,
            "status": status, "type": type_}


def run_started() -> list[dict[str, Any]]:
    """A run's conditions once it is initialized and running."""
    return [condition("Initialized", "UpdateRunInitializedSuccessfully",
                      message="ClusterStagedUpdateRun initialized successfully"),
            condition("Progressing", "UpdateRunStarted")]


def cluster_status(name: str, *, succeeded: bool = True) -> dict[str, Any]:
    """A member cluster of a stage: started, and unless told otherwise updated successfully."""
    conditions = [condition("Started", "ClusterUpdatingStarted")]
    if succeeded:
        conditions.append(condition("Succeeded", "ClusterUpdatingSucceeded"))
    return {"clusterName": name, "conditions": conditions}


def stage_started() -> dict[str, Any]:
    return condition("Progressing", "StageUpdatingStarted")


def stage_succeeded() -> dict[str, Any]:
    return condition("Succeeded", "StageUpdatingSucceeded")


def waited_then_succeeded() -> list[dict[str, Any]]:
    """The conditions of a stage that waited for its after-stage task, then succeeded."""
    return [condition("Progressing", "StageUpdatingWaiting", "False"), stage_succeeded()]


def stage_status(name: str, clusters: list[dict[str, Any]], conditions: list[dict[str, Any]],
                 tasks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A stage's status: it has a start time once it has conditions, an end time once it has succeeded."""
    status: dict[str, Any] = {} if tasks is None else {"afterStageTaskStatus": tasks}
    status["clusters"] = clusters
    if conditions:
        status["conditions"] = conditions
        if any(c["type"] == "Succeeded" for c in conditions):
            status["endTime"] = ELIDED
    status["stageName"] = name
    if conditions:
        status["startTime"] = ELIDED
    return status


def staging_finished() -> dict[str, Any]:
    """Stage staging once its 1m wait has elapsed (the same in every run of the how-to)."""
    wait = {"conditions": [condition("WaitTimeElapsed", "AfterStageTaskWaitTimeElapsed")], "type": "TimedWait"}
    return stage_status("staging", [cluster_status("member2")], waited_then_succeeded(), [wait])


def strategy_snapshot() -> dict[str, Any]:
    """The how-to's strategy as a run's `stagedUpdateStrategySnapshot` shows it."""
    return {"stages": [
        {"afterStageTasks": [{"type": "TimedWait", "waitTime": "1m0s"}],
         "labelSelector": {"matchLabels": {"environment": "staging"}}, "name": "staging"},
        {"afterStageTasks": [{"type": "Approval"}],
         "labelSelector": {"matchLabels": {"environment": "canary"}}, "name": "canary", "sortingLabelKey": "order"},
    ]}


def run_document(name: str, index: str, conditions: list[dict[str, Any]], deletion: dict[str, Any],
                 stages: list[dict[str, Any]]) -> dict[str, Any]:
    """A run of the how-to's placement and strategy as `kubectl get csur <name> -o yaml` shows it (metadata:
    its name only)."""
    return {**manifests.update_run_doc(name, index), "status": {
        "conditions": conditions,
        "deletionStageStatus": deletion,
        "policyObservedClusterCount": 3,
        "policySnapshotIndexUsed": "0",
        "stagedUpdateStrategySnapshot": strategy_snapshot(),
        "stagesStatus": stages,
    }}


def succeeded_run(run: str, index: str) -> dict[str, Any]:
    """The how-to's document of its finished run (example-run-2), for any run name and index."""
    approval = {"approvalRequestName": f"{run}-canary",
                "conditions": [condition("ApprovalRequestCreated", "AfterStageTaskApprovalRequestCreated"),
                               condition("ApprovalRequestApproved", "AfterStageTaskApprovalRequestApproved")],
                "type": "Approval"}
    canary = stage_status("canary", [cluster_status("member3"), cluster_status("member1")],
                          waited_then_succeeded(), [approval])
    return run_document(run, index, [*run_started(), condition("Succeeded", "UpdateRunSucceeded")],
                        stage_status(DELETE_STAGE, [], [stage_started(), stage_succeeded()]),
                        [staging_finished(), canary])


def succeeded_run_status(run: str, index: str) -> dict[str, Any]:
    """The spec and status of `succeeded_run(run, index)`, times left out."""
    document = succeeded_run(run, index)
    return strip_times({"spec": document["spec"], "status": document["status"]})


def strip_times(doc: Any) -> Any:
    """`doc` without timestamps, ages and uids, keys kept in their order."""
    if isinstance(doc, dict):
        return {k: strip_times(v) for k, v in doc.items() if k not in TIME_KEYS}
    if isinstance(doc, list):
        return [strip_times(v) for v in doc]
    return doc


def first_difference(actual: Any, expected: Any, path: str = "") -> str | None:
    """Where `actual` differs from `expected` (key order included), or None."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(actual) != list(expected):
            return f"{path or '.'}: keys {list(actual)} != expected {list(expected)}"
        for key in expected:
            diff = first_difference(actual[key], expected[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(actual) != len(expected):
            return f"{path}: {len(actual)} items != expected {len(expected)}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            diff = first_difference(a, e, f"{path}[{i}]")
            if diff:
                return diff
        return None
    return None if actual == expected else f"{path}: {actual!r} != expected {expected!r}"
