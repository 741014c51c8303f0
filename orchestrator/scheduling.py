"""Scheduling: policy snapshots and the member clusters a placement selects (PickAll / PickN / PickFixed).

- A policy snapshot `<placement>-<index>` is made when the placement appears and whenever the hash of
  its policy changes (`numberOfClusters` is not part of the hash).
- `schedule` picks clusters from the joined members: PickAll = every member matching the required
  cluster affinity; PickN = `numberOfClusters` of those, ranked by the sum of matching preferred
  affinity weights, then by name; PickFixed = the listed clusters that are members.
- `PlacementScheduled` is appended when the outcome (policy index, placement generation, selection,
  count) differs from the last one.
- For PickAll / PickN its `decisions` list every selected cluster and at most `MAX_UNSELECTED_DECISIONS`
  unselected ones (those ranked below the picked ones first, then those the required affinity rejects),
  as Fleet's scheduler does (`maxUnselectedClusterDecisionCount`): one decision per member of a large
  fleet would make every placement hold and log one object per member. (PickFixed lists the
  `clusterNames` the user wrote, each with its decision.)
"""
from __future__ import annotations

from fleetevents.base import Payload
from fleetevents.placements import ClusterDecision, PlacementScheduled, PolicySnapshotCreated, PolicySnapshotDeleted
from orchestrator.fleetview import FleetView
from orchestrator.memo import Memo
from orchestrator.state import PlacementState
from resources.hashing import policy_hash
from resources.placement import PlacementPolicy

MAX_UNSELECTED_DECISIONS = 20
"""Fleet's `maxUnselectedClusterDecisionCount` default."""

_decisions: Memo[PlacementScheduled] = Memo()
"""Placement -> its last scheduling decision."""


def schedule(placement: str, policy: PlacementPolicy, fleet: FleetView) -> PlacementScheduled:
    """The scheduling decision of `policy` over the fleet's members; policy index/generation left 0."""
    members = fleet.members
    affinity = policy.cluster_affinity
    decisions: list[ClusterDecision] = []
    scheduled, message = True, ""
    if policy.type == "PickFixed":
        wanted = policy.cluster_names or []
        selected = [c for c in wanted if c in members]
        decisions = [
            ClusterDecision(cluster=c, selected=c in members,
                            reason="listed in clusterNames" if c in members else "not a joined member cluster")
            for c in wanted
        ]
        missing = [c for c in wanted if c not in members]
        if missing:
            scheduled, message = False, f"clusters listed in clusterNames are not joined members: {', '.join(missing)}"
        return _scheduled(placement, selected, decisions, len(wanted), scheduled, message)
    eligible = sorted(c for labels, names in fleet.members_by_labels().items()
                      if affinity.required_matches(dict(labels)) for c in names)
    rejected = sorted(set(members) - set(eligible))
    if policy.type == "PickN":
        wanted_count = policy.number_of_clusters or 0
        ranked = sorted(eligible, key=lambda c: (-affinity.preference_score(dict(members[c])), c))
        selected = sorted(ranked[:wanted_count])
        not_picked = ranked[wanted_count:]
        if len(selected) < wanted_count:
            scheduled = False
            message = (f"could not find all the clusters needed as specified by the scheduling policy: "
                       f"found {len(selected)} of {wanted_count}")
        count = wanted_count
    else:
        selected, not_picked, count = eligible, [], len(eligible)
    unselected = [(c, "ranked below the picked clusters") for c in not_picked[:MAX_UNSELECTED_DECISIONS]]
    unselected += [(c, "does not match the required cluster affinity")
                   for c in rejected[:MAX_UNSELECTED_DECISIONS - len(unselected)]]
    decisions = (
        [ClusterDecision(cluster=c, selected=True, reason="picked by the scheduling policy") for c in selected]
        + [ClusterDecision(cluster=c, selected=False, reason=reason) for c, reason in unselected]
    )
    return _scheduled(placement, selected, decisions, count, scheduled, message)


def _scheduled(
    placement: str, selected: list[str], decisions: list[ClusterDecision], count: int, scheduled: bool, message: str
) -> PlacementScheduled:
    return PlacementScheduled(
        placement=placement, policy_index=0, placement_generation=0, observed_cluster_count=count,
        selected=selected, decisions=decisions, scheduled=scheduled, message=message,
    )


def policy_snapshot_events(state: PlacementState) -> list[Payload]:
    """A new policy snapshot when the policy hash changed (and the one that falls out of the history)."""
    assert state.placement is not None
    spec = state.placement.spec
    new_hash = policy_hash(spec.policy)
    latest = state.latest_policy
    if latest is not None and latest.policy_hash == new_hash:
        return []
    index = latest.index + 1 if latest is not None else 0
    policy = spec.effective_policy.model_dump(mode="json", by_alias=True, exclude_none=True)
    events: list[Payload] = [PolicySnapshotCreated(
        placement=state.name, index=index, policy=policy, policy_hash=new_hash, placement_generation=state.generation,
    )]
    kept = [p for p in state.policy_snapshots if not p.deleted]
    overflow = len(kept) + 1 - spec.history_limit
    events += [PolicySnapshotDeleted(placement=state.name, index=p.index) for p in kept[:max(0, overflow)]]
    return events


def scheduling_events(state: PlacementState, fleet: FleetView) -> list[Payload]:
    """`PlacementScheduled` when the decision for the latest policy differs from the last one recorded
    (computed again only when the placement, its latest policy snapshot or the members changed)."""
    placement, latest = state.placement, state.latest_policy
    assert placement is not None and latest is not None
    decision = _decisions.get(state.name, fleet, (placement, latest), lambda: schedule(
        state.name, placement.spec.effective_policy, fleet,
    ).model_copy(update={"policy_index": latest.index, "placement_generation": state.generation}))
    if decision is state.scheduled or decision == state.scheduled:
        return []
    return [decision]
