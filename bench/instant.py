"""`InstantFleet`: the simulated fleet of the benchmarks, whose members succeed at once.

It is `SimulatedFleet` (one subscription to `agents`, exactly-once reports, heartbeats, joins) with an
in-memory target per member instead of a directory: `apply` records the objects and returns, every
object is available at once, the apply ledger is a `MemoryLedger`. So the benchmarks measure the
orchestrator, the store and the agents' protocol, not the disk (a directory target fsyncs 3-5 times per
command).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.fleet_simulator import SimulatedFleet
from agents.ledger import MemoryLedger
from agents.targets.base import Manifest, Target
from agents.targets.faulty import FaultRule
from agents.targets.objects import ObjectKey
from orchestrator.clock import Clock


class InstantTarget:
    """A member that holds whatever it is told to at once."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._ledger = MemoryLedger()
        self._placed: dict[str, list[Manifest]] = {}

    @property
    def ledger(self) -> MemoryLedger:
        return self._ledger

    async def apply(self, placement: str, objects: Sequence[Manifest]) -> None:
        self._placed[placement] = list(objects)

    async def remove(self, placement: str) -> None:
        self._placed.pop(placement, None)

    async def read_back(self, placement: str) -> dict[ObjectKey, dict[str, Any]]:
        return {ObjectKey.of(obj): dict(obj) for obj in self._placed.get(placement, [])}

    async def check_available(self, objects: Sequence[Manifest]) -> list[str]:
        return []

    def describe(self) -> str:
        return f"memory:{self._name}"


class InstantFleet(SimulatedFleet):
    """`SimulatedFleet` whose members are `InstantTarget`s (fault rules are not supported here)."""

    def _target(self, name: str, rules: Sequence[FaultRule], clock: Clock | None) -> Target:
        if rules:
            raise ValueError("InstantFleet members cannot inject faults: use SimulatedFleet for that")
        return InstantTarget(name)
