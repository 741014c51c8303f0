"""What the how-to shows, for comparing real outputs with it (times, ages and uids left out)."""
from typing import Any

import yaml

TIME_KEYS = {"lastTransitionTime", "startTime", "endTime", "creationTimestamp", "resourceVersion", "uid"}

_SUCCEEDED_ROLLBACK_STATUS = """
conditions:
- {message: ClusterStagedUpdateRun initialized successfully, observedGeneration: 1, reason: UpdateRunInitializedSuccessfully, status: "True", type: Initialized}
- {message: "", observedGeneration: 1, reason: UpdateRunStarted, status: "True", type: Progressing}
- {message: "", observedGeneration: 1, reason: UpdateRunSucceeded, status: "True", type: Succeeded}
deletionStageStatus:
  clusters: []
  conditions:
  - {message: "", observedGeneration: 1, reason: StageUpdatingStarted, status: "True", type: Progressing}
  - {message: "", observedGeneration: 1, reason: StageUpdatingSucceeded, status: "True", type: Succeeded}
  stageName: kubernetes-fleet.io/deleteStage
policyObservedClusterCount: 3
policySnapshotIndexUsed: "0"
stagedUpdateStrategySnapshot:
  stages:
  - afterStageTasks:
    - {type: TimedWait, waitTime: 1m0s}
    labelSelector:
      matchLabels: {environment: staging}
    name: staging
  - afterStageTasks:
    - {type: Approval}
    labelSelector:
      matchLabels: {environment: canary}
    name: canary
    sortingLabelKey: order
stagesStatus:
- afterStageTaskStatus:
  - conditions:
    - {message: "", observedGeneration: 1, reason: AfterStageTaskWaitTimeElapsed, status: "True", type: WaitTimeElapsed}
    type: TimedWait
  clusters:
  - clusterName: member2
    conditions:
    - {message: "", observedGeneration: 1, reason: ClusterUpdatingStarted, status: "True", type: Started}
    - {message: "", observedGeneration: 1, reason: ClusterUpdatingSucceeded, status: "True", type: Succeeded}
  conditions:
  - {message: "", observedGeneration: 1, reason: StageUpdatingWaiting, status: "False", type: Progressing}
  - {message: "", observedGeneration: 1, reason: StageUpdatingSucceeded, status: "True", type: Succeeded}
  stageName: staging
- afterStageTaskStatus:
  - approvalRequestName: example-run-2-canary
    conditions:
    - {message: "", observedGeneration: 1, reason: AfterStageTaskApprovalRequestCreated, status: "True", type: ApprovalRequestCreated}
    - {message: "", observedGeneration: 1, reason: AfterStageTaskApprovalRequestApproved, status: "True", type: ApprovalRequestApproved}
    type: Approval
  clusters:
  - clusterName: member3
    conditions:
    - {message: "", observedGeneration: 1, reason: ClusterUpdatingStarted, status: "True", type: Started}
    - {message: "", observedGeneration: 1, reason: ClusterUpdatingSucceeded, status: "True", type: Succeeded}
  - clusterName: member1
    conditions:
    - {message: "", observedGeneration: 1, reason: ClusterUpdatingStarted, status: "True", type: Started}
    - {message: "", observedGeneration: 1, reason: ClusterUpdatingSucceeded, status: "True", type: Succeeded}
  conditions:
  - {message: "", observedGeneration: 1, reason: StageUpdatingWaiting, status: "False", type: Progressing}
  - {message: "", observedGeneration: 1, reason: StageUpdatingSucceeded, status: "True", type: Succeeded}
  stageName: canary
"""


def succeeded_run_status(run: str, index: str) -> dict[str, Any]:
    """The how-to's complete status of a finished run (example-run-2), for any run name and index."""
    text = _SUCCEEDED_ROLLBACK_STATUS.replace("example-run-2-canary", f"{run}-canary")
    status = yaml.safe_load(text)
    return {"spec": {"placementName": "example-placement", "resourceSnapshotIndex": index,
                     "stagedRolloutStrategyName": "example-strategy"}, "status": status}


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
