"""`FaultyTarget`: wraps a target and injects failures, for orchestrator, agent and end-to-end tests.

A `FaultRule` matches objects by a selector — `name`, `Kind/name` (any namespace) or `Kind/namespace/name` (`*`
matches every object) — and, each time an apply includes a matching object, either fails it with a
`TransientTargetError` naming the object (`FaultRule.fail`: always, or only the first `times` applies)
or holds the apply for `seconds` on the clock before carrying it out (`FaultRule.hang`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agents.targets.base import Manifest, Target
from agents.targets.errors import TransientTargetError
from agents.targets.objects import ObjectKey, keyed
from agents.timing import sleep_for
from orchestrator.clock import Clock, SystemClock


def check_selector(selector: str) -> None:
    """ValueError unless `selector` is `*`, `name`, `Kind/name` or `Kind/namespace/name`."""
    if not selector or selector.count("/") > 2 or "" in selector.split("/"):
        raise ValueError(f"bad object selector {selector!r}: use name, Kind/name, Kind/namespace/name or *")


def selector_matches(selector: str, key: ObjectKey) -> bool:
    """True when `selector` (`*`, `name`, `Kind/name` or `Kind/namespace/name`) names `key`."""
    if selector == "*":
        return True
    parts = tuple(selector.split("/"))
    if len(parts) == 1:
        return parts[0] == key.name
    if len(parts) == 2:
        return parts == (key.kind, key.name)
    return parts == (key.kind, key.namespace, key.name)


@dataclass
class FaultRule:
    """One injected fault (build with `FaultRule.fail` or `FaultRule.hang`)."""

    selector: str
    effect: Literal["fail", "hang"]
    times: int | None = None
    seconds: float = 0.0
    message: str = "injected failure"
    fired: int = field(default=0, init=False)

    @classmethod
    def fail(cls, selector: str, *, times: int | None = None, message: str = "injected failure") -> FaultRule:
        """Fail applies that include a matching object: always, or the first `times` of them."""
        return cls(selector, "fail", times=times, message=message)

    @classmethod
    def hang(cls, selector: str, seconds: float, *, times: int | None = None) -> FaultRule:
        """Hold applies that include a matching object for `seconds` (always, or the first `times`)."""
        return cls(selector, "hang", times=times, seconds=seconds)

    def __post_init__(self) -> None:
        check_selector(self.selector)
        if self.times is not None and self.times < 0:
            raise ValueError(f"FaultRule times must be >= 0 or None (always), got {self.times}")

    def pending(self) -> bool:
        return self.times is None or self.fired < self.times


class FaultyTarget:
    """A `Target` that behaves like `inner` except where a rule fires (see the module docstring)."""

    def __init__(self, inner: Target, rules: Sequence[FaultRule], *, clock: Clock | None = None) -> None:
        self.inner = inner
        self.rules = list(rules)
        self.ledger = inner.ledger
        self._clock = clock or SystemClock()

    def describe(self) -> str:
        return f"faulty({self.inner.describe()})"

    async def apply(self, placement: str, objects: Sequence[Manifest]) -> None:
        await self._inject(objects)
        await self.inner.apply(placement, objects)

    async def remove(self, placement: str) -> None:
        await self.inner.remove(placement)

    async def read_back(self, placement: str) -> dict[ObjectKey, dict[str, Any]]:
        return await self.inner.read_back(placement)

    async def check_available(self, objects: Sequence[Manifest]) -> list[str]:
        return await self.inner.check_available(objects)

    async def _inject(self, objects: Sequence[Manifest]) -> None:
        keys = list(keyed(objects))
        for rule in self.rules:
            hit = next((key for key in keys if selector_matches(rule.selector, key)), None)
            if hit is None or not rule.pending():
                continue
            rule.fired += 1
            if rule.effect == "hang":
                await sleep_for(self._clock, rule.seconds)
            else:
                limit = "always" if rule.times is None else f"{rule.fired} of {rule.times}"
                raise TransientTargetError(f"{hit}: {rule.message} (fault rule {rule.selector!r}, {limit})")
