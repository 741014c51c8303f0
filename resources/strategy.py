"""ClusterStagedUpdateStrategy: the ordered stages, their cluster selectors and before/after-stage tasks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from resources.base import KubeModel, invalid
from resources.duration import format_duration, parse_duration
from resources.intstr import PositiveIntOrPercent, resolve_int_or_percent
from resources.kubeobject import KubeObject
from resources.meta import LabelSelector
from resources.names import PLACEMENT_V1BETA1
from resources.placement import PlacementApiVersion

MAX_STAGES = 31
STAGE_NAME_PATTERN = r"^[a-z0-9]+$"
WAIT_TIME_PATTERN = r"^(?:[0-9]+(\.[0-9]+)?(?:s|m|h))+$"
DEFAULT_MAX_CONCURRENCY = 1
StageTaskType = Literal["TimedWait", "Approval"]


def _check_stage_name(name: str) -> str:
    if not re.fullmatch(STAGE_NAME_PATTERN, name):
        raise invalid(f'must match {STAGE_NAME_PATTERN} (lowercase letters and digits only), got "{name}"')
    return name


def _check_wait_time(text: str) -> str:
    if not re.fullmatch(WAIT_TIME_PATTERN, text):
        raise invalid(f'must be a duration in hours, minutes and seconds such as "1m", "90s" or "1h30m", got "{text}"')
    if parse_duration(text) <= timedelta(0):
        raise invalid(f'must be longer than 0s, got "{text}"')
    return text


StageName = Annotated[
    str, Field(max_length=63, json_schema_extra={"pattern": STAGE_NAME_PATTERN}), AfterValidator(_check_stage_name)
]
WaitTime = Annotated[str, Field(json_schema_extra={"pattern": WAIT_TIME_PATTERN}), AfterValidator(_check_wait_time)]


class StageTask(KubeModel):
    """A before- or after-stage task: `TimedWait` (needs `waitTime`) or `Approval` (must not have it)."""

    type: StageTaskType
    wait_time: WaitTime | None = None

    @model_validator(mode="after")
    def _wait_time_fits_type(self) -> StageTask:
        if self.type == "TimedWait" and self.wait_time is None:
            raise invalid("required for a TimedWait task; set e.g. waitTime: 1m", "waitTime")
        if self.type == "Approval" and self.wait_time is not None:
            raise invalid("not allowed for an Approval task; remove waitTime (or use type: TimedWait)", "waitTime")
        return self

    @property
    def wait(self) -> timedelta | None:
        """`waitTime` as a timedelta (None for Approval)."""
        return parse_duration(self.wait_time) if self.wait_time is not None else None

    def canonical(self) -> StageTask:
        """The task with `waitTime` printed as Go does (`1m` -> `1m0s`), as in a run's strategy snapshot."""
        if self.wait is None:
            return self
        return self.model_copy(update={"wait_time": format_duration(self.wait)})


class StageConfig(KubeModel):
    """One stage. `labelSelector` absent = no clusters, `{}` = every selected cluster."""

    name: StageName
    label_selector: LabelSelector | None = None
    sorting_label_key: str | None = None
    max_concurrency: PositiveIntOrPercent | None = None
    after_stage_tasks: list[StageTask] | None = Field(default=None, max_length=2)
    before_stage_tasks: list[StageTask] | None = Field(default=None, max_length=1)

    @model_validator(mode="after")
    def _tasks_allowed(self) -> StageConfig:
        seen: dict[str, int] = {}
        for i, task in enumerate(self.after_stage_tasks or []):
            if task.type in seen:
                raise invalid(
                    f"a stage can have only one {task.type} task (afterStageTasks[{seen[task.type]}] is one already)",
                    "afterStageTasks",
                    i,
                    "type",
                )
            seen[task.type] = i
        for i, task in enumerate(self.before_stage_tasks or []):
            if task.type != "Approval":
                raise invalid(
                    f"before-stage tasks can only be Approval, got {task.type}", "beforeStageTasks", i, "type"
                )
        return self

    def selects(self, labels: dict[str, str] | None) -> bool:
        """Whether a cluster with these labels belongs to this stage."""
        return self.label_selector is not None and self.label_selector.matches(labels)

    def concurrency_for(self, cluster_count: int) -> int:
        """Clusters updated at once in a stage of `cluster_count`: percentages round down, minimum 1."""
        if self.max_concurrency is None:
            return DEFAULT_MAX_CONCURRENCY
        return max(1, resolve_int_or_percent(self.max_concurrency, cluster_count))

    def has_task(self, type_: StageTaskType, *, before: bool = False) -> bool:
        tasks = self.before_stage_tasks if before else self.after_stage_tasks
        return any(t.type == type_ for t in tasks or [])

    def canonical(self) -> StageConfig:
        return self.model_copy(
            update={
                "after_stage_tasks": [t.canonical() for t in self.after_stage_tasks]
                if self.after_stage_tasks is not None
                else None
            }
        )


class StagedUpdateStrategySpec(KubeModel):
    stages: list[StageConfig] = Field(max_length=MAX_STAGES)

    @model_validator(mode="after")
    def _unique_stage_names(self) -> StagedUpdateStrategySpec:
        first: dict[str, int] = {}
        for i, stage in enumerate(self.stages):
            if stage.name in first:
                raise invalid(
                    f'duplicate stage name "{stage.name}" (stages[{first[stage.name]}] has it); '
                    "stage names must be unique",
                    "stages",
                    i,
                    "name",
                )
            first[stage.name] = i
        return self

    def canonical(self) -> StagedUpdateStrategySpec:
        """The spec as a run's `status.stagedUpdateStrategySnapshot` shows it (`waitTime: 1m0s`)."""
        return self.model_copy(update={"stages": [s.canonical() for s in self.stages]})


class ClusterStagedUpdateStrategy(KubeObject):
    api_version: PlacementApiVersion = PLACEMENT_V1BETA1
    kind: Literal["ClusterStagedUpdateStrategy"] = "ClusterStagedUpdateStrategy"
    spec: StagedUpdateStrategySpec
