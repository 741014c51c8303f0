"""Update run initialisation: every check of Fleet's initializer, in its order, with its messages.

All-or-nothing and once: `initialize` returns `RunInitialized` carrying the complete plan (stages with
their clusters in update order, concurrency, tasks, deletion stage, snapshot indexes, strategy
snapshot) or `RunInitializationFailed` with the first problem found. Later changes of the strategy do
not affect an initialised run; drift of the cluster set is caught by `orchestrator.validation`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from fleetevents.runs import RunInitializationFailed, RunInitialized, StagePlan, TaskPlan
from orchestrator.fleetview import FleetView
from orchestrator.state import PlacementState, RunState
from resources.names import policy_snapshot_name
from resources.strategy import StageConfig, StagedUpdateStrategySpec, StageTask

MAX_UNPLACED_SHOWN = 10


class InitError(Exception):
    """A run cannot be initialised; the message is what `Initialized=False` shows."""


def _task_plans(tasks: Sequence[StageTask] | None) -> list[TaskPlan]:
    return [
        TaskPlan(type=t.type, wait_seconds=t.wait.total_seconds() if t.wait is not None else None)
        for t in tasks or []
    ]


def _sort_key(stage: StageConfig, labels_of: Callable[[str], Mapping[str, str]]) -> Callable[[str], tuple[int, str]]:
    key = stage.sorting_label_key

    def order(cluster: str) -> tuple[int, str]:
        if key is None:
            return (0, cluster)
        value = labels_of(cluster).get(key)
        if value is None:
            raise InitError(f"the sorting label `{key}` is not found on cluster `{cluster}` in stage `{stage.name}`")
        try:
            return (int(value), cluster)
        except ValueError:
            raise InitError(
                f"the sorting label `{key}:{value}` on cluster `{cluster}` in stage `{stage.name}` "
                "is not a valid integer"
            ) from None

    return order


def assign_stages(
    strategy: StagedUpdateStrategySpec, selected: Sequence[str], labels_of: Callable[[str], Mapping[str, str]]
) -> list[StagePlan]:
    """The stages with their clusters in update order. Raises InitError (a cluster in two stages, a
    selected cluster in none, a missing or non-integer sorting label).

    Each stage's selector is evaluated once per distinct label set, not once per cluster: fleets have
    thousands of clusters but few label sets, and this runs for every initialisation and drift check."""
    label_sets = {c: tuple(sorted(labels_of(c).items())) for c in selected}
    distinct = set(label_sets.values())
    placed: set[str] = set()
    plans: list[StagePlan] = []
    for stage in strategy.stages:
        chosen = {labels for labels in distinct if stage.selects(dict(labels))}
        clusters = [c for c in selected if label_sets[c] in chosen]
        for cluster in clusters:
            if cluster in placed:
                raise InitError(f"cluster `{cluster}` appears in more than one stages")
        placed.update(clusters)
        ordered = sorted(clusters, key=_sort_key(stage, labels_of))
        plans.append(StagePlan(
            name=stage.name, clusters=ordered, max_concurrency=stage.concurrency_for(len(ordered)),
            before_tasks=_task_plans(stage.before_stage_tasks), after_tasks=_task_plans(stage.after_stage_tasks),
        ))
    unplaced = sorted(set(selected) - placed)
    if unplaced:
        shown = ", ".join(unplaced[:MAX_UNPLACED_SHOWN])
        raise InitError(
            f"some clusters are not placed in any stage, total {len(unplaced)}, "
            f"showing up to {MAX_UNPLACED_SHOWN}: {shown}"
        )
    return plans


def _plan(state: PlacementState, run: RunState, fleet: FleetView) -> RunInitialized:
    spec = run.resource.spec
    placement = state.placement
    if placement is None:
        raise InitError(f"parent placement `{spec.placement_name}` not found")
    if placement.spec.strategy_type != "External":
        raise InitError(
            "parent placement does not have an external rollout strategy, current strategy: "
            f"{placement.spec.strategy_type}"
        )
    policy, scheduled = state.latest_policy, state.scheduled
    # an existing placement always has a policy snapshot, its scheduling and a resource snapshot: the
    # orchestrator makes them in the same decision that accepts the placement
    assert policy is not None and scheduled is not None and scheduled.policy_index == policy.index
    if not scheduled.scheduled:
        name = policy_snapshot_name(state.name, policy.index)
        raise InitError(f"policy snapshot `{name}` is not fully scheduled yet: {scheduled.message}")
    strategy = fleet.strategies.get(spec.staged_rollout_strategy_name)
    if strategy is None:
        raise InitError(f"referenced updateStrategy not found: `{spec.staged_rollout_strategy_name}`")
    stages = assign_stages(strategy.spec, scheduled.selected, fleet.labels)
    selected = set(scheduled.selected)
    deletion = sorted(c for c in state.deployed if c not in selected)
    latest = state.latest_resources
    assert latest is not None
    index = latest.index if spec.snapshot_index is None else spec.snapshot_index
    snapshot = state.resource_snapshot(index)
    if snapshot is None or snapshot.deleted:
        raise InitError(f"no resourceSnapshots with index `{index}` found for placement `{state.name}`")
    return RunInitialized(
        run=run.name, placement=state.name, resource_snapshot_index=index, policy_snapshot_index=policy.index,
        policy_observed_cluster_count=scheduled.observed_cluster_count,
        strategy_snapshot=strategy.spec.canonical().to_dict(), stages=stages, deletion_clusters=deletion,
    )


def initialize(state: PlacementState, run: RunState, fleet: FleetView) -> RunInitialized | RunInitializationFailed:
    """The plan of `run`, or why it cannot run (Initialized=False/UpdateRunInitializedFailed)."""
    try:
        return _plan(state, run, fleet)
    except InitError as exc:
        return RunInitializationFailed(run=run.name, message=str(exc))
