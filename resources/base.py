"""Shared pydantic building blocks: the strict Kubernetes-style base model, RFC 3339 times, custom errors.

Models are strict like the Kubernetes API server: unknown fields and wrong types are rejected. Python
attributes are snake_case; manifests use the camelCase aliases, and dumps use the aliases too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, Strict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

INVALID = "fleet_invalid"  # pydantic error type of every custom check of this package


def invalid(message: str, *subpath: str | int) -> PydanticCustomError:
    """A validation error with a user-facing `message`; `subpath` names the field below the validated
    object (a model validator of `spec` reporting `stages[1].name` passes "stages", 1, "name")."""
    return PydanticCustomError(INVALID, "{message}", {"message": message, "subpath": tuple(subpath)})


class KubeModel(BaseModel):
    """Base of every model: camelCase aliases, unknown fields rejected, no type coercion."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
        serialize_by_alias=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The object as a Kubernetes JSON document (camelCase, unset fields omitted)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """RFC 3339 at second precision, as Kubernetes prints `metav1.Time`: `2025-01-01T12:00:00Z`."""
    return _as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


Time = Annotated[datetime, Strict(False), AfterValidator(_as_utc), PlainSerializer(format_time, return_type=str)]
"""A `metav1.Time`: accepts an RFC 3339 string or a datetime (naive = UTC), prints `...Z`."""
