"""The orchestrator's state: small immutable records, one `PlacementState` per placement.

A `PlacementState` is the fold (see `orchestrator.evolve`) of the orchestrator's own domain events of one
placement, in log order. Commands, agent reports and reconcile requests are inputs: they never change
state directly, only through the domain events decided from them. Records are frozen dataclasses;
mappings are never mutated in place (every change builds a new one), so a state handed to `decide` is
never changed by it. The mappings that grow with the fleet (`updating`, `deployed`, a stage's clusters:
see `orchestrator.stageclusters`) are persistent maps (`immutables.Map`), so a change costs O(log n)
and shares the rest with the previous state instead of copying it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from immutables import Map

from fleetevents.placements import PlacementScheduled
from fleetevents.runs import RunInitialized, StagePlan
from orchestrator.changed import changed
from orchestrator.stageclusters import ClusterProgress, StageClusters
from resources.names import DELETION_STAGE_NAME
from resources.placement import ClusterResourcePlacement
from resources.strategy import StagedUpdateStrategySpec
from resources.updaterun import ClusterStagedUpdateRun
from resources.updaterun import RunState as SpecState

StageOutcome = Literal["", "succeeded", "skipped", "failed"]
RunProgress = Literal["", "started", "waiting", "stuck", "stopping", "stopped"]
RunOutcome = Literal["", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class StageProgress:
    """One stage of a run (or its deletion stage): the plan and how far it got."""

    name: str
    clusters: StageClusters
    max_concurrency: int
    before_approval: bool = False
    wait: timedelta | None = None
    after_approval: bool = False
    started_at: datetime | None = None
    waiting_at: datetime | None = None
    wait_elapsed: bool = False
    before_approved: bool = False
    after_approved: bool = False
    outcome: StageOutcome = ""
    taken_over: frozenset[str] = frozenset()
    """Clusters of this stage that were in flight when another run started updating them (`failure` then
    looks for the take-over; without any, a stage with no failed cluster needs no look)."""

    @classmethod
    def planned(cls, plan: StagePlan) -> StageProgress:
        wait = next((t.wait_seconds for t in plan.after_tasks if t.type == "TimedWait"), None)
        return cls(
            name=plan.name,
            clusters=StageClusters.planned(plan.clusters),
            max_concurrency=plan.max_concurrency,
            before_approval=any(t.type == "Approval" for t in plan.before_tasks),
            wait=timedelta(seconds=wait) if wait is not None else None,
            after_approval=any(t.type == "Approval" for t in plan.after_tasks),
        )

    @classmethod
    def deletion(cls, clusters: list[str]) -> StageProgress:
        """The deletion stage: every cluster at once, no tasks."""
        return cls(DELETION_STAGE_NAME, StageClusters.planned(clusters), max(1, len(clusters)))

    @property
    def is_deletion(self) -> bool:
        return self.name == DELETION_STAGE_NAME

    @property
    def done(self) -> bool:
        return self.outcome in ("succeeded", "skipped")

    def cluster(self, name: str) -> ClusterProgress | None:
        return self.clusters.get(name)

    def with_cluster(self, cluster: ClusterProgress) -> StageProgress:
        """This stage with `cluster` (one of its clusters, by name) replaced."""
        return changed(self, clusters=self.clusters.updated(cluster))


@dataclass(frozen=True, slots=True)
class RunState:
    """One ClusterStagedUpdateRun of the placement."""

    name: str
    resource: ClusterStagedUpdateRun
    generation: int
    plan: RunInitialized | None = None
    strategy: StagedUpdateStrategySpec | None = None
    """The plan's strategy snapshot, parsed once (drift checks recompute stages from it)."""
    init_error: str | None = None
    stages: tuple[StageProgress, ...] = ()
    deletion: StageProgress | None = None
    progress: RunProgress = ""
    stuck: tuple[str, ...] = ()
    outcome: RunOutcome = ""

    @property
    def state(self) -> SpecState:
        return self.resource.spec.effective_state

    @property
    def finished(self) -> bool:
        """Nothing more will happen to this run (failed to initialise, succeeded or failed)."""
        return self.init_error is not None or bool(self.outcome)

    @property
    def executing(self) -> bool:
        """Initialised, not finished, and allowed past planning (state Run or Stop)."""
        return self.plan is not None and not self.finished and self.state != "Initialize"

    def all_stages(self) -> tuple[StageProgress, ...]:
        return self.stages + ((self.deletion,) if self.deletion is not None else ())

    def current_stage(self) -> StageProgress | None:
        """The first stage not done (the deletion stage after the others); None when all are done."""
        return next((s for s in self.all_stages() if not s.done), None)

    def stage(self, name: str) -> StageProgress | None:
        return next((s for s in self.all_stages() if s.name == name), None)

    def with_stage(self, stage: StageProgress) -> RunState:
        if stage.is_deletion:
            return changed(self, deletion=stage)
        return changed(self, stages=tuple(stage if s.name == stage.name else s for s in self.stages))


@dataclass(frozen=True, slots=True)
class ApprovalState:
    """A ClusterApprovalRequest the orchestrator created and that was not deleted since."""

    name: str
    run: str
    stage: str
    task: Literal["after", "before"]
    granted: bool = False
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class ResourceSnapshot:
    """`<placement>-<index>-snapshot`. `deleted` = out of revisionHistoryLimit (content kept for runs
    that already use it)."""

    index: int
    resource_hash: str
    resources: tuple[Mapping[str, Any], ...]
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    index: int
    policy_hash: str
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class PlacementState:
    """Everything the orchestrator decided about one placement (the aggregate of a `placements` subject)."""

    name: str
    placement: ClusterResourcePlacement | None = None
    generation: int = 0
    policy_snapshots: tuple[PolicySnapshot, ...] = ()
    scheduled: PlacementScheduled | None = None
    resource_snapshots: tuple[ResourceSnapshot, ...] = ()
    runs: Mapping[str, RunState] = field(default_factory=dict)
    approvals: Mapping[str, ApprovalState] = field(default_factory=dict)
    updating: Map[str, str] = field(default_factory=Map)
    """cluster -> the run whose update of it is in flight (a later run taking a cluster over replaces it)."""
    deployed: Map[str, int] = field(default_factory=Map)
    """cluster -> resource snapshot index it last applied successfully for this placement."""
    refused_selection: str | None = None
    """Hash of the selection last refused as too large for a snapshot (refused once, until it changes)."""
    deletions: int = 0
    """How many times a placement of this name was deleted (numbers each deletion's removal commands)."""

    @property
    def latest_policy(self) -> PolicySnapshot | None:
        return self.policy_snapshots[-1] if self.policy_snapshots else None

    @property
    def latest_resources(self) -> ResourceSnapshot | None:
        return self.resource_snapshots[-1] if self.resource_snapshots else None

    def resource_snapshot(self, index: int) -> ResourceSnapshot | None:
        return next((s for s in self.resource_snapshots if s.index == index), None)

    def with_run(self, run: RunState) -> PlacementState:
        return changed(self, runs={**self.runs, run.name: run})
