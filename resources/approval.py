"""ClusterApprovalRequest: a person's go-ahead for a stage of an update run (spec immutable)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from resources.base import KubeModel
from resources.errors import InvalidUpdateError
from resources.kubeobject import KubeObject
from resources.meta import Condition, ObjectMeta, find_condition
from resources.names import (
    LABEL_TARGET_UPDATE_RUN,
    LABEL_TARGET_UPDATING_STAGE,
    PLACEMENT_V1BETA1,
    approval_request_name,
)
from resources.placement import PlacementApiVersion

APPROVED = "Approved"
APPROVAL_ACCEPTED = "ApprovalAccepted"


class ApprovalRequestSpec(KubeModel):
    parent_stage_rollout: str = Field(min_length=1)
    target_stage: str = Field(min_length=1)


class ApprovalRequestStatus(KubeModel):
    conditions: list[Condition] | None = None


class ClusterApprovalRequest(KubeObject):
    api_version: PlacementApiVersion = PLACEMENT_V1BETA1
    kind: Literal["ClusterApprovalRequest"] = "ClusterApprovalRequest"
    spec: ApprovalRequestSpec
    status: ApprovalRequestStatus | None = None

    @classmethod
    def for_stage(cls, run: str, stage: str, *, before: bool = False) -> ClusterApprovalRequest:
        """The request an update run creates for `stage` (named `<run>-<stage>` or `<run>-before-<stage>`)."""
        return cls(
            metadata=ObjectMeta(
                name=approval_request_name(run, stage, before=before),
                labels={LABEL_TARGET_UPDATE_RUN: run, LABEL_TARGET_UPDATING_STAGE: stage},
            ),
            spec=ApprovalRequestSpec(parent_stage_rollout=run, target_stage=stage),
        )

    def condition(self, type_: str) -> Condition | None:
        return find_condition(self.status.conditions if self.status else None, type_)

    def _true_and_current(self, type_: str) -> bool:
        cond = self.condition(type_)
        return cond is not None and cond.status == "True" and cond.is_current(self.metadata.generation)

    def is_approved(self) -> bool:
        """`Approved=True` with observedGeneration equal to the request's generation."""
        return self._true_and_current(APPROVED)

    def is_accepted(self) -> bool:
        return self._true_and_current(APPROVAL_ACCEPTED)


def check_approval_update(old: ClusterApprovalRequest, new: ClusterApprovalRequest) -> None:
    """Raise InvalidUpdateError if `new` changes the (immutable) spec of `old`."""
    if old.spec != new.spec:
        raise InvalidUpdateError(new.kind, new.name, "spec", "The spec field is immutable")
