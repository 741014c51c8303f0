"""Object metadata, label selectors and status conditions (Kubernetes `metav1` types)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from resources.base import KubeModel, Time, invalid
from resources.dns import label_value_problem, qualified_name_problem

ConditionStatus = Literal["True", "False", "Unknown"]


class ObjectMeta(KubeModel):
    """`metadata`: what users write (name, namespace, labels, annotations) plus the server-set fields."""

    name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    finalizers: list[str] | None = None
    owner_references: list[dict[str, Any]] | None = None
    # Set by the server; accepted so that `get -o yaml` output can be applied again.
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = Field(default=None, ge=0)
    creation_timestamp: Time | None = None
    deletion_timestamp: Time | None = None
    deletion_grace_period_seconds: int | None = None
    managed_fields: list[dict[str, Any]] | None = None
    self_link: str | None = None

    @field_validator("labels")
    @classmethod
    def _valid_labels(cls, labels: dict[str, str] | None) -> dict[str, str] | None:
        for key, value in (labels or {}).items():
            problem = qualified_name_problem(key) or label_value_problem(key, value)
            if problem:
                raise invalid(problem, key)
        return labels

    @field_validator("annotations")
    @classmethod
    def _valid_annotation_keys(cls, annotations: dict[str, str] | None) -> dict[str, str] | None:
        for key in annotations or {}:
            problem = qualified_name_problem(key)
            if problem:
                raise invalid(problem, key)
        return annotations


SelectorOperator = Literal["In", "NotIn", "Exists", "DoesNotExist"]


class LabelSelectorRequirement(KubeModel):
    """One `matchExpressions` entry: `key` `operator` `values`."""

    key: str
    operator: SelectorOperator
    values: list[str] | None = None

    @model_validator(mode="after")
    def _values_fit_operator(self) -> LabelSelectorRequirement:
        problem = qualified_name_problem(self.key)
        if problem:
            raise invalid(problem, "key")
        if self.operator in ("In", "NotIn") and not self.values:
            raise invalid(f"operator {self.operator} needs a non-empty list of values", "values")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise invalid(f"operator {self.operator} takes no values; remove values", "values")
        return self

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        inside = present and labels[self.key] in (self.values or [])
        return inside if self.operator == "In" else not inside


class LabelSelector(KubeModel):
    """`matchLabels` AND every `matchExpressions` requirement; the empty selector `{}` matches everything."""

    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None

    @field_validator("match_labels")
    @classmethod
    def _valid_match_labels(cls, labels: dict[str, str] | None) -> dict[str, str] | None:
        return ObjectMeta._valid_labels(labels)

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        if any(labels.get(k) != v for k, v in (self.match_labels or {}).items()):
            return False
        return all(req.matches(labels) for req in self.match_expressions or [])


class Condition(KubeModel):
    """A `metav1.Condition`. A condition counts for an object only when its `observedGeneration` equals
    the object's `metadata.generation` (see `is_current`)."""

    type: str = Field(min_length=1, max_length=316)
    status: ConditionStatus
    reason: str = Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    message: str = Field(default="", max_length=32768)
    observed_generation: int | None = Field(default=None, ge=0)
    last_transition_time: Time | None = None

    def is_current(self, generation: int | None) -> bool:
        return self.observed_generation == generation


def find_condition(conditions: list[Condition] | None, type_: str) -> Condition | None:
    """The condition of type `type_`, or None."""
    return next((c for c in conditions or [] if c.type == type_), None)
