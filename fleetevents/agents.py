"""Events between the orchestrator and member agents.

`ClusterUpdateRequested` goes to the `agents` stream (subject = cluster name); the agent answers with
`ClusterUpdated` in the `placements` stream (subject = placement name). Heartbeats go to `heartbeats`.
"""
from typing import Any

from fleetevents.base import Payload, registry


@registry.event("fleetstage.cluster.updaterequested")
class ClusterUpdateRequested(Payload):
    """Command to the agent of `cluster`: make the placement's objects on it exactly `resources`.

    Objects this placement put on the cluster before and not listed in `resources` are removed; the
    deletion stage sends an empty list with `delete=True`. Objects fleetstage never placed are never touched.
    Deleting the placement sends the same removal to every cluster holding its objects, with no `run` and
    no `stage` (empty) and `resource_snapshot_index` -k for the placement's k-th deletion.
    """

    run: str
    placement: str
    stage: str
    cluster: str
    resource_snapshot_index: int
    resources: list[dict[str, Any]]
    delete: bool = False


@registry.event("fleetstage.cluster.updated")
class ClusterUpdated(Payload):
    """The agent's outcome for one ClusterUpdateRequested (after its own retries)."""

    run: str
    placement: str
    stage: str
    cluster: str
    resource_snapshot_index: int
    succeeded: bool
    message: str = ""
    attempts: int = 1


@registry.event("fleetstage.member.heartbeat")
class MemberHeartbeat(Payload):
    name: str
