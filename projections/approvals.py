"""Read model of ClusterApprovalRequests: `kubectl get clusterapprovalrequest` and its `-o yaml`.

A request `<run>-<stage>` (or `<run>-before-<stage>`) appears when the orchestrator creates it, carries
the person's `Approved` condition as they patched it and the system's `ApprovalAccepted`, and goes
away when it or its run is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventstore import Event
from fleetevents import conditions as c
from fleetevents import runs
from projections.documents import (
    Changes,
    Document,
    Handler,
    Key,
    Overlay,
    editor,
    labelled,
    new_object,
    remove_condition,
    set_condition,
)
from resources.names import LABEL_TARGET_UPDATE_RUN, LABEL_TARGET_UPDATING_STAGE, PLACEMENT_V1BETA1

KIND = "ClusterApprovalRequest"


def approval_key(name: str) -> Key:
    return KIND, "", name


def _requested(view: Overlay, data: runs.ApprovalRequested, event: Event) -> Changes:
    doc = new_object(
        PLACEMENT_V1BETA1,
        KIND,
        data.name,
        event,
        labels={LABEL_TARGET_UPDATE_RUN: data.run, LABEL_TARGET_UPDATING_STAGE: data.stage},
    )
    doc["spec"] = {"parentStageRollout": data.run, "targetStage": data.stage}
    return {approval_key(data.name): doc}


def _on_request(change: Callable[[Document, Any, Event], None]) -> Handler:
    return editor(lambda data, event: approval_key(data.name), change)


def _conditions(doc: Document) -> list[Document]:
    return doc.setdefault("status", {}).setdefault("conditions", [])


@_on_request
def _granted(doc: Document, data: runs.ApprovalGranted, event: Event) -> None:
    set_condition(_conditions(doc), c.APPROVED, True, data.reason, event.time, data.observed_generation, data.message)


@_on_request
def _revoked(doc: Document, data: runs.ApprovalRevoked, event: Event) -> None:
    remove_condition(_conditions(doc), c.APPROVED)


@_on_request
def _accepted(doc: Document, data: runs.ApprovalAccepted, event: Event) -> None:
    generation = doc["metadata"]["generation"]
    set_condition(
        _conditions(doc), c.APPROVAL_ACCEPTED, True, c.APPROVAL_REQUEST_APPROVAL_ACCEPTED, event.time, generation
    )


def _deleted(view: Overlay, data: runs.ApprovalDeleted, event: Event) -> Changes:
    return {approval_key(data.name): None}


def _run_deleted(view: Overlay, data: runs.RunDeleted, event: Event) -> Changes:
    """A deleted run takes its approval requests with it."""
    requests = labelled(view.of_kind(KIND), {LABEL_TARGET_UPDATE_RUN: data.run})
    return {approval_key(doc["metadata"]["name"]): None for doc in requests}


HANDLERS: dict[type, Handler] = {
    runs.ApprovalRequested: _requested,
    runs.ApprovalGranted: _granted,
    runs.ApprovalRevoked: _revoked,
    runs.ApprovalAccepted: _accepted,
    runs.ApprovalDeleted: _deleted,
    runs.RunDeleted: _run_deleted,
}
