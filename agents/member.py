"""One member cluster as its agent sees it: identity, labels, target, and how it answers a command.

`Member.handle` is the whole per-command protocol, shared by the single agent and the simulated
fleet: look the command up in the target's ledger (a redelivered command re-reports the recorded
outcome without applying again), otherwise carry it out (with retries) and record the outcome in the
ledger with the command's log position, then return the `ClusterUpdated` report, caused by the
command. The caller appends the report in the same transaction that commits the command's offset, so a
crash anywhere before that commit redelivers the command and it is reported exactly once.

The caller also says which offsets of the command's partition are committed already
(`committed_before`): recording drops the ledger entries of those commands, which can no longer be
redelivered, so the ledger holds only the entries still needed (see `agents.ledger`, `agents.host`).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from agents.applier import ApplySettings, carry_out
from agents.events import new_event
from agents.ledger import LedgerEntry, LedgerKey
from agents.targets.base import Target
from eventstore import Event, Position
from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.streams import PLACEMENTS
from orchestrator.clock import Clock
from resources.dns import DNS1123_SUBDOMAIN, label_value_problem, qualified_name_problem

log = logging.getLogger(__name__)


@dataclass
class Member:
    """A member cluster served by an agent (one per `MemberAgent`, many in a `SimulatedFleet`)."""

    name: str
    labels: dict[str, str]
    target: Target
    settings: ApplySettings = field(default_factory=ApplySettings)
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        problem = DNS1123_SUBDOMAIN.problem(self.name)
        if problem:
            raise ValueError(f"member cluster name {problem}")
        for key, value in self.labels.items():
            problem = qualified_name_problem(key) or label_value_problem(key, value)
            if problem:
                raise ValueError(f"member cluster {self.name!r}: label {problem}")

    async def handle(self, command: Event, clock: Clock, committed_before: Position) -> Event:
        """The `ClusterUpdated` report of `command` (a ClusterUpdateRequested for this member, as read from
        the log); every offset of `committed_before.partition` below `committed_before.offset` is committed."""
        request = command.data
        if not isinstance(request, ClusterUpdateRequested) or request.cluster != self.name:
            raise ValueError(f"agent of {self.name!r} was handed a {command.type} event for another cluster")
        if command.position is None:
            raise ValueError(f"agent of {self.name!r} was handed command {command.id} without its log position")
        key = LedgerKey.of(request)
        async with self._busy:
            outcome = await self.target.ledger.get(key)
            if outcome is not None:
                log.info("%s: %s already carried out (ledger), reporting it again", self.name, key)
            else:
                outcome = await carry_out(self.target, request, self.settings, clock)
                await self.target.ledger.record(LedgerEntry(key, outcome, command.position), committed_before)
                log.log(
                    logging.INFO if outcome.succeeded else logging.WARNING,
                    "%s: %s placement %s snapshot %d on %s: %s",
                    self.name, "removed" if request.delete else "applied", request.placement,
                    request.resource_snapshot_index, self.target.describe(), outcome.message,
                )
        report = ClusterUpdated(
            run=request.run,
            placement=request.placement,
            stage=request.stage,
            cluster=self.name,
            resource_snapshot_index=request.resource_snapshot_index,
            succeeded=outcome.succeeded,
            message=outcome.message,
            attempts=outcome.attempts,
        )
        return new_event(report, request.placement, PLACEMENTS, self.name, clock).caused_by(command)
