"""The event catalogue of fleetstage: every command and domain event, its payload model and its stream.

`registry` holds every type; docs/events.md describes them for publishers that only have a Kafka client.
Streams (see `fleetevents.streams`):
- `fleet`      hub resources, strategies, member clusters; read in full by every orchestrator.
- `placements` everything about one placement (commands, snapshots, runs, approvals, agent outcomes),
               keyed by placement name; split between orchestrator instances by partition.
- `agents`     commands to member agents, keyed by cluster name.
- `heartbeats` member heartbeats, keyed by cluster name.
"""
from fleetevents.base import Payload, registry
from fleetevents import access, agents, commands, fleet, placements, runs  # noqa: F401  (registers the types)

__all__ = ["Payload", "registry"]
