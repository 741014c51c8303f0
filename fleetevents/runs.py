"""Domain events of ClusterStagedUpdateRuns: initialisation, stages, clusters, tasks, approvals, outcome.

Stream `placements`, subject = the run's placement name; written by the orchestrator, except
`ReconcileRequested` which any process may append to wake the owner of a placement (timers, hub changes).
Every event here carries `run` (the run name) so the status projection can fold it into the run's status.
"""
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from fleetevents.base import Payload, registry


class TaskPlan(BaseModel):
    """A before- or after-stage task as planned at initialisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["TimedWait", "Approval"]
    wait_seconds: float | None = None


class StagePlan(BaseModel):
    """One stage as planned at initialisation: its clusters in update order and its tasks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    clusters: list[str]
    max_concurrency: int
    before_tasks: list[TaskPlan] = []
    after_tasks: list[TaskPlan] = []


@registry.event("fleetstage.run.created")
class RunCreated(Payload):
    """A ClusterStagedUpdateRun was accepted (`manifest` as applied)."""

    manifest: dict[str, Any]
    generation: int


@registry.event("fleetstage.run.initialized")
class RunInitialized(Payload):
    """Initialisation succeeded: the complete plan, fixed for the life of the run."""

    run: str
    placement: str
    resource_snapshot_index: int
    policy_snapshot_index: int
    policy_observed_cluster_count: int
    strategy_snapshot: dict[str, Any]
    stages: list[StagePlan]
    deletion_clusters: list[str]


@registry.event("fleetstage.run.initializationfailed")
class RunInitializationFailed(Payload):
    run: str
    message: str


@registry.event("fleetstage.run.statechanged")
class RunStateChanged(Payload):
    """`spec.state` changed (Initialize -> Run, Run -> Stop, Stop -> Run)."""

    run: str
    state: Literal["Initialize", "Run", "Stop"]
    generation: int


@registry.event("fleetstage.run.progressing")
class RunProgressing(Payload):
    """The run is executing again (Progressing=True/UpdateRunStarted)."""

    run: str


@registry.event("fleetstage.run.waiting")
class RunWaiting(Payload):
    """The run waits for an after- or before-stage task (Progressing=False/UpdateRunWaiting)."""

    run: str
    stage: str


@registry.event("fleetstage.run.stuck")
class RunStuck(Payload):
    """Clusters updating for longer than the stuck threshold (informational)."""

    run: str
    clusters: list[str]
    message: str


@registry.event("fleetstage.run.stopping")
class RunStopping(Payload):
    run: str
    stage: str


@registry.event("fleetstage.run.stopped")
class RunStopped(Payload):
    run: str
    stage: str


@registry.event("fleetstage.run.succeeded")
class RunSucceeded(Payload):
    run: str


@registry.event("fleetstage.run.failed")
class RunFailed(Payload):
    run: str
    message: str


@registry.event("fleetstage.run.deleted")
class RunDeleted(Payload):
    run: str


@registry.event("fleetstage.stage.started")
class StageStarted(Payload):
    run: str
    stage: str


@registry.event("fleetstage.stage.waiting")
class StageWaiting(Payload):
    """All clusters of the stage succeeded; its after-stage tasks run now."""

    run: str
    stage: str


@registry.event("fleetstage.stage.succeeded")
class StageSucceeded(Payload):
    run: str
    stage: str


@registry.event("fleetstage.stage.skipped")
class StageSkipped(Payload):
    """A stage with no clusters (StageUpdatingSkippedNoClusters); its tasks are not run."""

    run: str
    stage: str


@registry.event("fleetstage.stage.failed")
class StageFailed(Payload):
    run: str
    stage: str
    message: str


@registry.event("fleetstage.cluster.updatestarted")
class ClusterUpdateStarted(Payload):
    """The orchestrator told the cluster's agent to apply the run's snapshot (ClusterUpdatingStarted)."""

    run: str
    stage: str
    cluster: str
    resource_snapshot_index: int


@registry.event("fleetstage.cluster.updatesucceeded")
class ClusterUpdateSucceeded(Payload):
    """The orchestrator accepted the agent's success report for the cluster (ClusterUpdatingSucceeded).

    Written once per cluster and run, in answer to the first matching `ClusterUpdated`; duplicates and
    reports for clusters the run no longer waits for produce nothing. Fold this, not `ClusterUpdated`.
    """

    run: str
    stage: str
    cluster: str
    resource_snapshot_index: int


@registry.event("fleetstage.cluster.updatefailed")
class ClusterUpdateFailed(Payload):
    """A cluster update failed (ClusterUpdatingFailed): the agent reported a failure (`message` is the
    agent's), or the orchestrator decided it (e.g. the cluster was taken over by another run)."""

    run: str
    stage: str
    cluster: str
    message: str


@registry.event("fleetstage.approval.requested")
class ApprovalRequested(Payload):
    """A ClusterApprovalRequest `<run>-<stage>` (after-stage) or `<run>-before-<stage>` was created."""

    name: str
    run: str
    stage: str
    placement: str
    task: Literal["after", "before"]


@registry.event("fleetstage.approval.granted")
class ApprovalGranted(Payload):
    """A person set Approved=True on the request (the envelope's `actor` says who)."""

    name: str
    run: str
    stage: str
    reason: str
    message: str
    observed_generation: int


@registry.event("fleetstage.approval.revoked")
class ApprovalRevoked(Payload):
    """Approved was set back to False or removed before acceptance."""

    name: str
    run: str
    stage: str


@registry.event("fleetstage.approval.accepted")
class ApprovalAccepted(Payload):
    """The orchestrator accepted the approval (ApprovalAccepted=True on the request)."""

    name: str
    run: str
    stage: str


@registry.event("fleetstage.approval.deleted")
class ApprovalDeleted(Payload):
    name: str
    run: str
    stage: str


@registry.event("fleetstage.wait.elapsed")
class WaitElapsed(Payload):
    """The after-stage TimedWait of `stage` elapsed (AfterStageTaskWaitTimeElapsed)."""

    run: str
    stage: str


@registry.event("fleetstage.reconcile.requested")
class ReconcileRequested(Payload):
    """Wake the owner of the placement: a timer is due (`due`) or something it depends on changed.

    Idempotent: handling it twice decides nothing new.
    """

    reason: str
    due: datetime | None = None
