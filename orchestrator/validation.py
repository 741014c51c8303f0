"""Drift checks on an executing run (Fleet's validation before each step): what changed since its plan.

A run fails (`UpdateRunFailed`, the message says what changed) when its placement is gone, the latest
policy snapshot is a new one, the PickN/PickFixed cluster count changed, or the stage plan recomputed
from the run's strategy snapshot and the current members (joined, left, relabelled) differs.

The check runs before every step of a run, i.e. for every agent report, and recomputing the stage plan is
O(clusters x stages); so the last verdict of each run is kept and reused while its inputs are the same:
the placement, its latest policy snapshot, its scheduling, the run's plan and strategy snapshot (immutable
records) and the fleet's members (`orchestrator.memo`).
"""
from __future__ import annotations

from orchestrator.fleetview import FleetView
from orchestrator.initialization import InitError, assign_stages
from orchestrator.memo import Memo
from orchestrator.state import PlacementState, RunState

_verdicts: Memo[str | None] = Memo()
"""(placement, run) -> the run's last verdict."""


def drift(state: PlacementState, run: RunState, fleet: FleetView) -> str | None:
    """Why `run` can no longer go on, or None (the last verdict when none of its inputs changed since)."""
    inputs = (state.placement, state.latest_policy, state.scheduled, run.plan, run.strategy)
    return _verdicts.get((state.name, run.name), fleet, inputs, lambda: _check(state, run, fleet))


def forget(state: PlacementState, run: RunState) -> None:
    """Drop the kept verdict of `run` (it is finished: no more checks)."""
    _verdicts.forget((state.name, run.name))


def _check(state: PlacementState, run: RunState, fleet: FleetView) -> str | None:
    plan = run.plan
    assert plan is not None
    if state.placement is None:
        return f"parent placement `{plan.placement}` was deleted"
    policy, scheduled = state.latest_policy, state.scheduled
    assert policy is not None and scheduled is not None  # made when the placement was accepted
    if policy.index != plan.policy_snapshot_index:
        return (f"the policy snapshot index changed from `{plan.policy_snapshot_index}` to `{policy.index}`: "
                "the placement's policy was edited; create a new update run")
    counted = state.placement.spec.effective_policy.type != "PickAll"
    if counted and scheduled.observed_cluster_count != plan.policy_observed_cluster_count:
        return (f"the number of clusters the policy selects changed from {plan.policy_observed_cluster_count} "
                f"to {scheduled.observed_cluster_count}; create a new update run")
    assert run.strategy is not None
    try:
        stages = assign_stages(run.strategy, scheduled.selected, fleet.labels)
    except InitError as exc:
        return f"the clusters of the stages changed since initialization: {exc}"
    for planned, now in zip(plan.stages, stages, strict=True):
        if planned.clusters != now.clusters:
            return (f"the clusters of stage `{planned.name}` changed since initialization: was "
                    f"[{', '.join(planned.clusters)}], now [{', '.join(now.clusters)}] (a cluster joined, left or "
                    "was relabelled); create a new update run")
    return None
