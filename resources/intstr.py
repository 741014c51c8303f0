"""Kubernetes IntOrString fields that hold an integer or a percentage (`maxConcurrency: 2` or `"50%"`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema

from resources.base import invalid
from resources.messages import describe_value


def _percent_value(text: str) -> int | None:
    """`"25%"` -> 25; None unless the text is digits followed by `%`."""
    digits = text[:-1]
    return int(digits) if text.endswith("%") and digits.isdigit() else None


def int_or_percent(minimum: int) -> Any:
    """An IntOrString: an integer >= `minimum` or a percentage `"N%"` with minimum..100."""

    def check(value: Any) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < minimum:
                raise invalid(f"must be at least {minimum}, got {value}")
            return value
        if isinstance(value, str):
            percent = _percent_value(value)
            if percent is not None and minimum <= percent <= 100:
                return value
            if value.isdigit():
                raise invalid(
                    f'must be an integer or a percentage; write {value} (no quotes) or "{value}%", got "{value}"'
                )
        raise invalid(
            f'must be an integer >= {minimum} or a percentage "{minimum}%".."100%", got {describe_value(value)}'
        )

    schema = {
        "anyOf": [
            {"type": "integer", "minimum": minimum},
            {"type": "string", "pattern": r"^(100|[1-9]?[0-9])%$" if minimum == 0 else r"^(100|[1-9][0-9]?)%$"},
        ]
    }
    return Annotated[int | str, PlainValidator(check), WithJsonSchema(schema)]


def resolve_int_or_percent(value: int | str, total: int) -> int:
    """An IntOrString against `total`: a percentage is rounded down."""
    if isinstance(value, int):
        return value
    percent = _percent_value(value)
    assert percent is not None  # validated
    return total * percent // 100


NonNegativeIntOrPercent = int_or_percent(0)
PositiveIntOrPercent = int_or_percent(1)
