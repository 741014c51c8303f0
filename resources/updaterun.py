"""ClusterStagedUpdateRun: one rollout of a placement's resource snapshot through a strategy's stages.

`check_run_update(old, new)` enforces what the API server enforces on update: every spec field but
`state` is immutable, and `state` moves only Initialize->Run, Run->Stop, Stop->Run.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from resources.base import KubeModel, Time, invalid
from resources.errors import InvalidUpdateError
from resources.kubeobject import KubeObject
from resources.meta import Condition, find_condition
from resources.names import PLACEMENT_V1BETA1
from resources.placement import PlacementApiVersion
from resources.strategy import StagedUpdateStrategySpec, StageTaskType

RunState = Literal["Initialize", "Run", "Stop"]
ALLOWED_STATE_TRANSITIONS: frozenset[tuple[RunState, RunState]] = frozenset(
    {("Initialize", "Run"), ("Run", "Stop"), ("Stop", "Run")}
)
SNAPSHOT_INDEX_PATTERN = r"^[0-9]+$"


def _check_snapshot_index(text: str) -> str:
    if not re.fullmatch(SNAPSHOT_INDEX_PATTERN, text):
        raise invalid(f'must be a non-negative integer written as a string, e.g. "1", got "{text}"')
    return text


SnapshotIndex = Annotated[
    str, Field(json_schema_extra={"pattern": SNAPSHOT_INDEX_PATTERN}), AfterValidator(_check_snapshot_index)
]


class UpdateRunSpec(KubeModel):
    """`state` absent means Run: the run starts executing at once (the how-to's behaviour)."""

    placement_name: str = Field(min_length=1, max_length=255)
    resource_snapshot_index: SnapshotIndex | None = None
    staged_rollout_strategy_name: str = Field(min_length=1)
    state: RunState | None = None

    @property
    def effective_state(self) -> RunState:
        return self.state or "Run"

    @property
    def snapshot_index(self) -> int | None:
        """`resourceSnapshotIndex` as an integer; None = the latest snapshot."""
        return int(self.resource_snapshot_index) if self.resource_snapshot_index is not None else None


class ClusterUpdatingStatus(KubeModel):
    cluster_name: str
    conditions: list[Condition] | None = None


class StageTaskStatus(KubeModel):
    type: StageTaskType
    approval_request_name: str | None = None
    conditions: list[Condition] | None = None


class StageUpdatingStatus(KubeModel):
    """A stage's (or the deletion stage's) progress; `clusters` is always printed, `[]` when empty."""

    stage_name: str
    clusters: list[ClusterUpdatingStatus] = Field(default_factory=list)
    after_stage_task_status: list[StageTaskStatus] | None = Field(default=None, max_length=2)
    before_stage_task_status: list[StageTaskStatus] | None = Field(default=None, max_length=1)
    start_time: Time | None = None
    end_time: Time | None = None
    conditions: list[Condition] | None = None


class UpdateRunStatus(KubeModel):
    policy_snapshot_index_used: str | None = None
    policy_observed_cluster_count: int | None = None
    resource_snapshot_index_used: str | None = None
    staged_update_strategy_snapshot: StagedUpdateStrategySpec | None = None
    stages_status: list[StageUpdatingStatus] | None = None
    deletion_stage_status: StageUpdatingStatus | None = None
    conditions: list[Condition] | None = None

    def condition(self, type_: str) -> Condition | None:
        return find_condition(self.conditions, type_)


class ClusterStagedUpdateRun(KubeObject):
    api_version: PlacementApiVersion = PLACEMENT_V1BETA1
    kind: Literal["ClusterStagedUpdateRun"] = "ClusterStagedUpdateRun"
    spec: UpdateRunSpec
    status: UpdateRunStatus | None = None


_IMMUTABLE_RUN_FIELDS = ("placement_name", "resource_snapshot_index", "staged_rollout_strategy_name")


def _shown(value: str | None) -> str:
    """A spec value in a message: `unset` or `"text"`."""
    return "unset" if value is None else f'"{value}"'


def check_run_update(old: ClusterStagedUpdateRun, new: ClusterStagedUpdateRun) -> None:
    """Raise InvalidUpdateError unless `new` is an allowed update of `old` (same name assumed)."""
    for field in _IMMUTABLE_RUN_FIELDS:
        before, after = getattr(old.spec, field), getattr(new.spec, field)
        if before != after:
            alias = UpdateRunSpec.model_fields[field].alias or field
            raise InvalidUpdateError(
                new.kind,
                new.name,
                f"spec.{alias}",
                f"{alias} is immutable (was {_shown(before)}, now {_shown(after)}); "
                "create a new ClusterStagedUpdateRun instead",
            )
    before_state, after_state = old.spec.effective_state, new.spec.effective_state
    if before_state != after_state and (before_state, after_state) not in ALLOWED_STATE_TRANSITIONS:
        raise InvalidUpdateError(
            new.kind,
            new.name,
            "spec.state",
            f"invalid state transition: cannot transition from {before_state} to {after_state} "
            "(allowed: Initialize->Run, Run->Stop, Stop->Run)",
        )
