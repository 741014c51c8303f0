"""The `Target` protocol: where a member agent puts a placement's objects (a directory, a cluster, ...)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from agents.ledger import ApplyLedger
from agents.targets.objects import ObjectKey

Manifest = Mapping[str, Any]


class Target(Protocol):
    """A member cluster's store of objects, as seen by its agent.

    `apply` makes the placement's objects on the target exactly `objects`: each is created or updated
    (left untouched when already equal), and objects this placement put there before and that are not
    in `objects` are removed. Objects the placement never put there are never touched. Errors are
    `TargetError` (not retried) or `TransientTargetError` (retried), naming the object.
    """

    @property
    def ledger(self) -> ApplyLedger:
        """Outcomes of the commands carried out on this target (kept with the target: it survives restarts)."""

    async def apply(self, placement: str, objects: Sequence[Manifest]) -> None: ...

    async def remove(self, placement: str) -> None:
        """Remove every object the placement put on the target (`apply(placement, [])`)."""

    async def read_back(self, placement: str) -> dict[ObjectKey, dict[str, Any]]:
        """The objects the placement has on the target now, as stored there."""

    async def check_available(self, objects: Sequence[Manifest]) -> list[str]:
        """Why `objects` are not yet in place and available, one line per object; empty when they are."""

    def describe(self) -> str:
        """Where the target is, for logs and messages (e.g. `dir:/var/fleet/member1`)."""
