"""`Memo`: the last result per key, reused while the inputs it was computed from are the same.

Deciding functions that derive something costly from the state and the fleet (the drift check's stage
plan, the scheduling decision) keep their last result here. The state's records are immutable, so an
input that is the same object (`is`) has the same value; the fleet's members are compared by
`FleetView.members_version`, and the `FleetView` itself by identity.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from orchestrator.fleetview import FleetView

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Kept(Generic[T]):
    fleet: FleetView
    members_version: int
    inputs: tuple[object, ...]
    result: T


class Memo(Generic[T]):
    """Results by key; `get` computes again when the fleet's members or any of `inputs` changed."""

    def __init__(self) -> None:
        self._kept: dict[Hashable, _Kept[T]] = {}

    def get(self, key: Hashable, fleet: FleetView, inputs: tuple[object, ...], compute: Callable[[], T]) -> T:
        known = self._kept.get(key)
        if (known is not None and known.fleet is fleet and known.members_version == fleet.members_version
                and all(now is then for now, then in zip(inputs, known.inputs, strict=True))):
            return known.result
        result = compute()
        self._kept[key] = _Kept(fleet, fleet.members_version, inputs, result)
        return result

    def forget(self, key: Hashable) -> None:
        self._kept.pop(key, None)
