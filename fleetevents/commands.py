"""Commands on the `placements` stream (subject = placement name), and their rejection.

Any publisher (the API, the CLI, or a plain Kafka client) appends a command; the orchestrator that owns
the placement's partition validates it against current state and appends the resulting domain events,
each with `causationid` = the command's id, or one `CommandRejected` carrying the error.
"""
from typing import Any

from fleetevents.base import Payload, registry


@registry.event("fleetstage.command.placement.apply")
class ApplyPlacement(Payload):
    """Create or change a ClusterResourcePlacement (`manifest` as the user wrote it)."""

    manifest: dict[str, Any]


@registry.event("fleetstage.command.placement.delete")
class DeletePlacement(Payload):
    name: str


@registry.event("fleetstage.command.run.apply")
class ApplyRun(Payload):
    """Create a ClusterStagedUpdateRun, or change its `spec.state` (the rest of the spec is immutable)."""

    manifest: dict[str, Any]


@registry.event("fleetstage.command.run.delete")
class DeleteRun(Payload):
    name: str


@registry.event("fleetstage.command.approval.patch")
class PatchApprovalStatus(Payload):
    """Set the status conditions of a ClusterApprovalRequest (how-to: `kubectl patch ... --subresource=status`)."""

    name: str
    conditions: list[dict[str, Any]]


@registry.event("fleetstage.command.approval.delete")
class DeleteApproval(Payload):
    name: str


@registry.event("fleetstage.command.rejected")
class CommandRejected(Payload):
    """A command that was not carried out. `field` is the dotted path at fault ("" if none)."""

    command_id: str
    command_type: str
    field: str = ""
    message: str


@registry.event("fleetstage.command.unchanged")
class CommandUnchanged(Payload):
    """A valid command that changed nothing (kubectl's `unchanged`), e.g. re-applying the same manifest."""

    command_id: str
    command_type: str
    message: str = ""
