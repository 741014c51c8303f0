"""The event sequence of the how-to's scenario (three members, one placement, two runs), built from the
fleetevents models with fixed times, as the orchestrator and agents would append them.

`HowTo` appends steps to `events`; each step is one second after the previous one (the TimedWait one
minute). Tests fold prefixes of it to check the documents at the points where the how-to shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from demo import manifests
from demo.expected import DELETE_STAGE
from eventstore import Event
from fleetevents import agents, commands, fleet, placements, registry, runs, streams
from tests.howto_expected import selected_resources

START = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)
PLACEMENT = "example-placement"
STRATEGY = "example-strategy"
MEMBERS = manifests.MEMBER_LABELS
STAGES = [
    runs.StagePlan(
        name="staging",
        clusters=["member2"],
        max_concurrency=1,
        after_tasks=[runs.TaskPlan(type="TimedWait", wait_seconds=60)],
    ),
    runs.StagePlan(
        name="canary", clusters=["member3", "member1"], max_concurrency=1, after_tasks=[runs.TaskPlan(type="Approval")]
    ),
]


@dataclass
class HowTo:
    """Builder of the scenario's events; `now` advances one second per event unless told otherwise."""

    events: list[Event] = field(default_factory=list)
    now: datetime = START
    heartbeat_seconds: float = 5.0

    def add(self, stream: str, subject: str, data: BaseModel, *, actor: str = "system", after: float = 1.0) -> Event:
        self.now += timedelta(seconds=after)
        event = Event(registry.type_of(type(data)), subject, data, stream=stream, actor=actor, time=self.now)
        self.events.append(event)
        return event

    def fleet(self, kind: str, name: str, data: BaseModel, namespace: str | None = None, **kw: Any) -> Event:
        return self.add(streams.FLEET, streams.object_subject(kind, name, namespace), data, **kw)

    def placement(self, data: BaseModel, **kw: Any) -> Event:
        return self.add(streams.PLACEMENTS, PLACEMENT, data, **kw)

    def apply_config_map(self, value: str, generation: int) -> None:
        """alice applies the how-to's configmap with `key: value`."""
        self.fleet(
            "ConfigMap",
            "test-cm",
            fleet.HubResourceApplied(manifest=manifests.configmap_doc(value), generation=generation),
            namespace="test-namespace",
            actor="alice",
        )

    def snapshot(self, index: int, value: str) -> None:
        """Resource snapshot `index` of the placement, holding the configmap with `key: value`."""
        self.placement(
            placements.ResourceSnapshotCreated(
                placement=PLACEMENT, index=index, resource_hash=f"h{index}", selected_resources=selected_resources(value)
            )
        )

    # --- the how-to's steps -------------------------------------------------------------------------

    def setup(self) -> HowTo:
        """Members join; namespace, configmap, placement (snapshot 0); configmap edited (snapshot 1); strategy."""
        for name, labels in MEMBERS.items():
            self.fleet(
                "MemberCluster",
                name,
                fleet.MemberJoined(name=name, labels=labels, heartbeat_seconds=self.heartbeat_seconds),
            )
        self.fleet(
            "Namespace",
            "test-namespace",
            fleet.HubResourceApplied(manifest=manifests.NAMESPACE_DOC, generation=1),
            actor="alice",
        )
        self.apply_config_map("value1", 1)
        self.placement(commands.ApplyPlacement(manifest=manifests.PLACEMENT_DOC), actor="alice")
        self.placement(placements.PlacementApplied(manifest=manifests.PLACEMENT_DOC, generation=1))
        self.placement(
            placements.PolicySnapshotCreated(
                placement=PLACEMENT,
                index=0,
                policy={"placementType": "PickAll"},
                policy_hash="p0",
                placement_generation=1,
            )
        )
        self.placement(
            placements.PlacementScheduled(
                placement=PLACEMENT,
                policy_index=0,
                placement_generation=1,
                observed_cluster_count=3,
                selected=sorted(MEMBERS),
                decisions=[
                    placements.ClusterDecision(cluster=m, selected=True, reason="picked by scheduling policy")
                    for m in sorted(MEMBERS)
                ],
            )
        )
        self.snapshot(0, "value1")
        return self

    def edit_config_map(self) -> HowTo:
        self.apply_config_map("value2", 2)
        self.snapshot(1, "value2")
        return self

    def create_strategy(self) -> HowTo:
        self.fleet(
            "ClusterStagedUpdateStrategy",
            STRATEGY,
            fleet.StrategyApplied(manifest=manifests.STRATEGY_DOC, generation=1),
            actor="alice",
        )
        return self

    def start_run(self, run: str, index: int) -> HowTo:
        """Create and initialise `run`, roll out stage staging, its wait, and canary up to member1 started."""
        manifest = manifests.update_run_doc(run, str(index))
        self.placement(commands.ApplyRun(manifest=manifest), actor="alice")
        self.placement(runs.RunCreated(manifest=manifest, generation=1))
        self.placement(
            runs.RunInitialized(
                run=run,
                placement=PLACEMENT,
                resource_snapshot_index=index,
                policy_snapshot_index=0,
                policy_observed_cluster_count=3,
                strategy_snapshot=manifests.STRATEGY_DOC["spec"],
                stages=STAGES,
                deletion_clusters=[],
            )
        )
        self.placement(runs.RunProgressing(run=run))
        self.update_cluster(run, "staging", "member2", index)
        self.placement(runs.StageWaiting(run=run, stage="staging"))
        self.placement(runs.RunWaiting(run=run, stage="staging"))
        self.placement(runs.WaitElapsed(run=run, stage="staging"), after=60)
        self.placement(runs.StageSucceeded(run=run, stage="staging"))
        self.placement(runs.RunProgressing(run=run))
        self.start_cluster(run, "canary", "member3", index, first=True)
        self.cluster_updated(run, "canary", "member3", index)
        self.start_cluster(run, "canary", "member1", index)
        return self

    def start_cluster(self, run: str, stage: str, cluster: str, index: int, *, first: bool = False) -> None:
        if first:
            self.placement(runs.StageStarted(run=run, stage=stage))
        self.placement(runs.ClusterUpdateStarted(run=run, stage=stage, cluster=cluster, resource_snapshot_index=index))
        self.add(
            streams.AGENTS,
            cluster,
            agents.ClusterUpdateRequested(
                run=run, placement=PLACEMENT, stage=stage, cluster=cluster, resource_snapshot_index=index, resources=[]
            ),
        )

    def cluster_updated(
        self, run: str, stage: str, cluster: str, index: int, *, succeeded: bool = True, message: str = ""
    ) -> None:
        """The agent's report, then the orchestrator's verdict on it."""
        self.placement(
            agents.ClusterUpdated(
                run=run,
                placement=PLACEMENT,
                stage=stage,
                cluster=cluster,
                resource_snapshot_index=index,
                succeeded=succeeded,
                message=message,
            ),
            actor=f"agent/{cluster}",
        )
        if succeeded:
            self.placement(
                runs.ClusterUpdateSucceeded(run=run, stage=stage, cluster=cluster, resource_snapshot_index=index)
            )
        else:
            self.placement(runs.ClusterUpdateFailed(run=run, stage=stage, cluster=cluster, message=message))

    def update_cluster(self, run: str, stage: str, cluster: str, index: int) -> None:
        self.start_cluster(run, stage, cluster, index, first=True)
        self.cluster_updated(run, stage, cluster, index)

    def wait_for_approval(self, run: str, index: int) -> HowTo:
        """member1 finishes; canary waits for its approval request."""
        self.cluster_updated(run, "canary", "member1", index)
        self.placement(runs.StageWaiting(run=run, stage="canary"))
        self.placement(
            runs.ApprovalRequested(name=f"{run}-canary", run=run, stage="canary", placement=PLACEMENT, task="after")
        )
        self.placement(runs.RunWaiting(run=run, stage="canary"))
        return self

    def approve(self, run: str) -> HowTo:
        """alice approves; the run accepts it and finishes (the deletion stage is empty)."""
        name = f"{run}-canary"
        condition = {"type": "Approved", "status": "True", "reason": "lgtm", "message": "lgtm", "observedGeneration": 1}
        self.placement(commands.PatchApprovalStatus(name=name, conditions=[condition]), actor="alice")
        self.placement(
            runs.ApprovalGranted(
                name=name, run=run, stage="canary", reason="lgtm", message="lgtm", observed_generation=1
            ),
            actor="alice",
        )
        self.placement(runs.ApprovalAccepted(name=name, run=run, stage="canary"))
        self.placement(runs.RunProgressing(run=run))
        self.placement(runs.StageSucceeded(run=run, stage="canary"))
        self.placement(runs.StageStarted(run=run, stage=DELETE_STAGE))
        self.placement(runs.StageSucceeded(run=run, stage=DELETE_STAGE))
        self.placement(runs.RunSucceeded(run=run))
        return self

    def heartbeat(self, member: str, *, after: float = 1.0) -> Event:
        return self.add(streams.HEARTBEATS, member, agents.MemberHeartbeat(name=member), after=after)


def whole_howto() -> HowTo:
    """Both runs of the how-to, each approved and finished."""
    howto = HowTo().setup().edit_config_map().create_strategy()
    howto.start_run("example-run", 1).wait_for_approval("example-run", 1).approve("example-run")
    howto.start_run("example-run-2", 0).wait_for_approval("example-run-2", 0).approve("example-run-2")
    return howto
