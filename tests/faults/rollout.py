"""One staged rollout on a `SplitFleet`, driven the way a person would, with faults injected at points
of its event sequence.

Each rollout has its own namespace `faults-<n>` holding a ConfigMap `rollout` with `data.rollout: "<n>"`,
its own placement `faults-<n>` (PickAll) and its own run `faults-<n>`, so rollouts on one fleet never
interfere. The shared strategy has three stages: `canary` (sorted by `order`, then a TimedWait of WAIT_TIME),
`staging` (then an Approval the driver grants with `fleetstage approve`) and `production`.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.faults.fleet import SplitFleet
from tests.faults.logwatch import LogWatch

STRATEGY_NAME = "faults-strategy"
WAIT_TIME = "2s"
"""Short in real time: the fleets here run at time scale 1, since a `--time-scale` clock starts from a new
epoch in every process, so a restarted orchestrator's virtual time would jump back (see docs/reliability.md)."""
STAGES = ("canary", "staging", "production", "kubernetes-fleet.io/deleteStage")
"""The run's stages as its events name them (the deletion stage is always there, without clusters here)."""
STRATEGY = f"""\
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: {STRATEGY_NAME}
spec:
  stages:
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      sortingLabelKey: order
      afterStageTasks:
        - type: TimedWait
          waitTime: {WAIT_TIME}
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: Approval
    - name: production
      labelSelector:
        matchLabels:
          environment: production
"""
CONFIGMAP = "rollout"
UNREACHABLE = "cannot reach the fleetstage hub"
NO_ANSWER = "did not answer"
APPROVALS_PATH = "/apis/placement.kubernetes-fleet.io/v1beta1/clusterapprovalrequests"

Fault = Callable[[], Awaitable[None]]
"""Something done to the fleet at a point of a run (kill a process, restart the broker...)."""


@dataclass(frozen=True)
class FaultAt:
    """Do `fault` once the run has written `after` events (`name` says what, for messages)."""

    after: int
    name: str
    fault: Fault


def hub_objects(n: int) -> str:
    """The namespace, its ConfigMap and the placement of rollout `n`."""
    return f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: faults-{n}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {CONFIGMAP}
  namespace: faults-{n}
data:
  rollout: "{n}"
---
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata:
  name: faults-{n}
spec:
  resourceSelectors:
    - group: ""
      kind: Namespace
      name: faults-{n}
      version: v1
  policy:
    placementType: PickAll
  strategy:
    type: External
"""


def update_run(n: int, index: int) -> str:
    return f"""\
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: faults-{n}
spec:
  placementName: faults-{n}
  resourceSnapshotIndex: "{index}"
  stagedRolloutStrategyName: {STRATEGY_NAME}
"""


@dataclass
class Rollout:
    """Rollout `n` on `fleet`, watched through `log`; `timeout` bounds every wait (seconds)."""

    fleet: SplitFleet
    log: LogWatch
    n: int
    timeout: float = 120.0
    faults_done: list[str] = field(default_factory=list)

    @property
    def run(self) -> str:
        return f"faults-{self.n}"

    async def cli(self, *args: str, stdin: str | None = None, done: Callable[[], bool] = lambda: False) -> str:
        """`fleetstage ARGS`; its output. While the API is down (another rollout of the wave killed it) or
        lost the connection, wait for it and try again unless `done()` says the command took effect: the
        commands here are idempotent (apply) or answered `unchanged` when repeated (approve).
        A timeout waiting for the orchestrator's answer is not an error: the command is in the log."""
        while True:
            status, out = await self.fleet.cli(*args, stdin=stdin)
            if status == 0 or NO_ANSWER in out:
                return out
            if UNREACHABLE not in out:
                raise AssertionError(f"`fleetstage {' '.join(args)}` exited with {status}: {out}\n{self.fleet.logs()}")
            await self.fleet.wait_until(self.fleet.api_ready, "the API answers again", self.timeout)
            if done():
                return out

    async def wait(self, condition: Callable[[], bool], what: str) -> None:
        try:
            await self.log.wait(condition, what, self.timeout, self.fleet.check_alive)
        except AssertionError as exc:
            raise AssertionError(f"{self.run}: {exc}\n{self.fleet.logs()}") from None

    async def prepare(self) -> int:
        """Create the hub objects and placement; the index of the snapshot that holds the ConfigMap."""
        await self.cli("apply", "-f", "-", stdin=STRATEGY + "---\n" + hub_objects(self.n))
        await self.wait(lambda: self.snapshot_index() is not None,
                        f"placement {self.run} has a resource snapshot holding ConfigMap {CONFIGMAP}")
        index = self.snapshot_index()
        assert index is not None
        return index

    def snapshot_index(self) -> int | None:
        """The highest snapshot index of the placement whose content includes the ConfigMap."""
        found = [
            e.data.index for e in self.log.events
            if e.type == "fleetstage.resourcesnapshot.created" and e.data.placement == self.run
            and any(r.get("kind") == "ConfigMap" for r in e.data.selected_resources)
        ]
        return max(found, default=None)

    async def play(self, faults: list[FaultAt]) -> int:
        """Create the run, grant its approval and inject `faults` (in order of `after`) until it
        succeeds; returns the snapshot index it rolled out."""
        index = await self.prepare()
        await self.cli("apply", "-f", "-", stdin=update_run(self.n, index))
        pending = sorted(faults, key=lambda f: f.after)
        approved: set[str] = set()
        while not self._finished():
            await self.wait(lambda: self._next_step(pending, approved),
                            f"run {self.run} succeeds (faults done: {self.faults_done})")
            if pending and len(self.log.of_run(self.run)) >= pending[0].after:
                fault = pending.pop(0)
                await fault.fault()
                self.faults_done.append(f"{fault.name} after {fault.after} events")
            for name in self._approvals_to_grant(approved):
                await self.approve(name)
                approved.add(name)
        failed = self.log.of_run(self.run, "run.failed")
        assert not failed, f"run {self.run} failed: {failed[0].data}"
        for fault in pending:  # the run finished before these points: inject them now, all the same
            await fault.fault()
            self.faults_done.append(f"{fault.name} after the run")
        return index

    def _finished(self) -> bool:
        return self.log.has(self.run, "run.succeeded") or self.log.has(self.run, "run.failed")

    def _next_step(self, pending: list[FaultAt], approved: set[str]) -> bool:
        return (self._finished()
                or bool(pending and len(self.log.of_run(self.run)) >= pending[0].after)
                or bool(self._approvals_to_grant(approved)))

    def _approvals_to_grant(self, approved: set[str]) -> list[str]:
        return [e.data.name for e in self.log.of_run(self.run, "approval.requested") if e.data.name not in approved]

    async def approve(self, name: str) -> None:
        """As a user does, once the API shows the approval request (its read model may be behind the log
        that announced it, e.g. just after a broker pause; then `approve` answers NotFound):
        `fleetstage approve NAME`, then wait until the log has the grant."""
        path = f"{APPROVALS_PATH}/{name}"
        await self.fleet.wait_until(lambda: self.fleet.api_shows(path), f"the API shows {name}", self.timeout)
        granted = lambda: self.log.has(self.run, "approval.granted", name=name)
        await self.cli("approve", name, done=granted)
        await self.wait(granted, f"{name} is approved")
