"""Validating commands against the placement's state: the domain events they cause, or one rejection.

`handle(state, command)` returns the events a command causes; `Rejected` (raised inside, caught by
`handle`) becomes one `CommandRejected` naming the field at fault and the fix. A valid command that
changes nothing gives `CommandUnchanged`. Runs and approvals are looked up in the placement the
command is addressed to (the event's subject = the placement name, which is the Kafka key).
"""
from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from eventstore import Event
from fleetevents import commands as cmd
from fleetevents.agents import ClusterUpdateRequested
from fleetevents.base import Payload
from fleetevents.placements import PlacementApplied, PlacementDeleted
from fleetevents.runs import (
    ApprovalDeleted,
    ApprovalGranted,
    ApprovalRevoked,
    RunCreated,
    RunDeleted,
    RunStateChanged,
)
from orchestrator.state import PlacementState
from resources.approval import APPROVED
from resources.errors import InvalidUpdateError, ManifestError
from resources.kubeobject import KubeObject
from resources.manifests import parse_object
from resources.messages import problems_of
from resources.meta import Condition
from resources.placement import ClusterResourcePlacement
from resources.updaterun import ClusterStagedUpdateRun, check_run_update

APPROVAL_GENERATION = 1
"""An approval request is never edited by the system after creation: its generation stays 1."""

K = TypeVar("K", bound=KubeObject)


class Rejected(Exception):
    """A command that cannot be carried out: the dotted field at fault and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def handle(state: PlacementState, command: Event) -> list[Payload]:
    """The domain events `command` causes in `state` (or one CommandRejected / CommandUnchanged)."""
    handler = _HANDLERS[type(command.data)]
    try:
        events = handler(state, command.data)
    except Rejected as exc:
        return [cmd.CommandRejected(command_id=command.id, command_type=command.type, field=exc.field,
                                    message=exc.message)]
    return events or [cmd.CommandUnchanged(command_id=command.id, command_type=command.type)]


def _parse(manifest: dict[str, Any], model: type[K]) -> K:
    try:
        obj = parse_object(manifest, writable_only=True)
    except ManifestError as exc:
        first = exc.problems[0]
        raise Rejected(first.path, str(exc)) from None
    if not isinstance(obj, model):
        raise Rejected("kind", f"expected kind {model.model_fields['kind'].default}, got {obj.kind}")
    return obj


def _check_subject(placement: str, subject: str, field: str) -> None:
    if placement != subject:
        raise Rejected(field, f"the command's subject (its Kafka key) must be the placement name "
                              f"`{placement}`, got `{subject}`; publish it with key `{placement}`")


def _stored(obj: KubeObject) -> dict[str, Any]:
    """The manifest as the orchestrator keeps it: status dropped."""
    body = obj.to_dict()
    body.pop("status", None)
    return body


def _apply_placement(state: PlacementState, command: cmd.ApplyPlacement) -> list[Payload]:
    new = _parse(command.manifest, ClusterResourcePlacement)
    _check_subject(new.name, state.name, "metadata.name")
    if new.spec.strategy_type != "External":
        raise Rejected("spec.strategy.type", (
            f"{new.spec.strategy_type} is not supported: fleetstage deploys only through ClusterStagedUpdateRuns; "
            "set spec.strategy.type: External"
        ))
    old = state.placement
    if old is None:
        return [PlacementApplied(manifest=_stored(new), generation=1)]
    if _stored(old) == _stored(new):
        return []
    generation = state.generation + (old.spec != new.spec)
    return [PlacementApplied(manifest=_stored(new), generation=generation)]


def _delete_placement(state: PlacementState, command: cmd.DeletePlacement) -> list[Payload]:
    """The placement goes, and so do its objects on every member that holds them or is being updated."""
    if state.placement is None or command.name != state.name:
        raise Rejected("name", f'clusterresourceplacements "{command.name}" not found')
    members = sorted({*state.deployed.keys(), *state.updating.keys()})
    return [PlacementDeleted(name=command.name), *(_removal(state, cluster) for cluster in members)]


def _removal(state: PlacementState, cluster: str) -> ClusterUpdateRequested:
    """The command that removes a deleted placement's objects from `cluster`: no run and no stage; its
    index is minus the deletion's number, so an agent carries out each deletion once (its ledger key)."""
    return ClusterUpdateRequested(
        run="", placement=state.name, stage="", cluster=cluster,
        resource_snapshot_index=-(state.deletions + 1), resources=[], delete=True,
    )


def _apply_run(state: PlacementState, command: cmd.ApplyRun) -> list[Payload]:
    new = _parse(command.manifest, ClusterStagedUpdateRun)
    current = state.runs.get(new.name)
    if current is None:
        _check_subject(new.spec.placement_name, state.name, "spec.placementName")
        return [RunCreated(manifest=_stored(new), generation=1)]
    try:  # an existing run: a changed placementName is an immutable-field error, not a wrong subject
        check_run_update(current.resource, new)
    except InvalidUpdateError as exc:
        raise Rejected(exc.path, str(exc)) from None
    if new.spec.effective_state == current.state:
        return []
    return [RunStateChanged(run=new.name, state=new.spec.effective_state, generation=current.generation + 1)]


def _delete_run(state: PlacementState, command: cmd.DeleteRun) -> list[Payload]:
    if command.name not in state.runs:
        raise Rejected("name", f'clusterstagedupdateruns "{command.name}" not found')
    approvals = [a for a in state.approvals.values() if a.run == command.name]
    return [
        *(ApprovalDeleted(name=a.name, run=a.run, stage=a.stage) for a in approvals),
        RunDeleted(run=command.name),
    ]


def _patch_approval(state: PlacementState, command: cmd.PatchApprovalStatus) -> list[Payload]:
    approval = state.approvals.get(command.name)
    if approval is None:
        raise Rejected("name", f'clusterapprovalrequests "{command.name}" not found')
    conditions: list[Condition] = []
    for i, raw in enumerate(command.conditions):
        try:
            conditions.append(Condition.model_validate(raw))
        except ValidationError as exc:
            problem = problems_of(Condition, exc)[0]
            field = f"conditions[{i}]" + (f".{problem.path}" if problem.path else "")
            raise Rejected(field, problem.message) from None
    if approval.accepted:
        return []  # once accepted, changes to Approved are ignored
    found = [(i, c) for i, c in enumerate(conditions) if c.type == APPROVED]
    if not found:
        return [ApprovalRevoked(name=approval.name, run=approval.run, stage=approval.stage)] if approval.granted else []
    i, approved = found[-1]
    if approved.status != "True":
        return [ApprovalRevoked(name=approval.name, run=approval.run, stage=approval.stage)] if approval.granted else []
    if not approved.is_current(APPROVAL_GENERATION):
        raise Rejected(f"conditions[{i}].observedGeneration", (
            f"observedGeneration {approved.observed_generation} does not match the request's generation "
            f"{APPROVAL_GENERATION}: the approval would not count; set observedGeneration: {APPROVAL_GENERATION}"
        ))
    if approval.granted:
        return []
    return [ApprovalGranted(
        name=approval.name, run=approval.run, stage=approval.stage, reason=approved.reason,
        message=approved.message, observed_generation=APPROVAL_GENERATION,
    )]


def _delete_approval(state: PlacementState, command: cmd.DeleteApproval) -> list[Payload]:
    approval = state.approvals.get(command.name)
    if approval is None:
        raise Rejected("name", f'clusterapprovalrequests "{command.name}" not found')
    return [ApprovalDeleted(name=approval.name, run=approval.run, stage=approval.stage)]


_HANDLERS: dict[type, Any] = {
    cmd.ApplyPlacement: _apply_placement,
    cmd.DeletePlacement: _delete_placement,
    cmd.ApplyRun: _apply_run,
    cmd.DeleteRun: _delete_run,
    cmd.PatchApprovalStatus: _patch_approval,
    cmd.DeleteApproval: _delete_approval,
}
COMMAND_TYPES: frozenset[type] = frozenset(_HANDLERS)
