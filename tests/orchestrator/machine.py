"""Drives the pure state machine (`decide`) in tests: a fleet, one placement, a clock, and the log so far."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from eventstore import Event
from fleetevents import commands as cmd
from fleetevents import fleet as fe
from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.base import Payload, registry
from fleetevents.runs import ReconcileRequested
from fleetevents.streams import FLEET, PLACEMENTS
from orchestrator.decide import decide
from orchestrator.execution import Settings
from orchestrator.fleetview import FleetView
from orchestrator.state import PlacementState
from tests.orchestrator import howto

START = datetime(2025, 1, 1, tzinfo=timezone.utc)


class Machine:
    """One placement's state machine. Every call returns the events it produced (also kept in `log`)."""

    def __init__(self, placement: str = "example-placement", *, settings: Settings | None = None) -> None:
        self.fleet = FleetView()
        self.state = PlacementState(placement)
        self.now = START
        self.settings = settings or Settings()
        self.log: list[Event] = []
        self.outbox: list[ClusterUpdateRequested] = []

    # --- inputs ------------------------------------------------------------------------------------------

    def fleet_event(self, payload: Payload) -> None:
        self.fleet.apply(Event(registry.type_of(type(payload)), "fleet", payload, FLEET))

    def input(self, payload: Payload, *, actor: str = "alice") -> list[Event]:
        event = Event(registry.type_of(type(payload)), self.state.name, payload, PLACEMENTS, actor=actor, time=self.now)
        decision = decide(self.state, self.fleet, event, self.now, self.settings)
        self.state = decision.state
        self.log.append(event)
        self.log += decision.events
        self.outbox += [e.data for e in decision.events if isinstance(e.data, ClusterUpdateRequested)]
        return decision.events

    def reconcile(self) -> list[Event]:
        return self.input(ReconcileRequested(reason="test", due=self.now))

    def advance(self, seconds: float) -> list[Event]:
        self.now += timedelta(seconds=seconds)
        return self.reconcile()

    def apply_run(self, manifest: dict[str, Any]) -> list[Event]:
        return self.input(cmd.ApplyRun(manifest=manifest))

    def approve(self, name: str, *, observed_generation: int = 1, status: str = "True") -> list[Event]:
        return self.input(cmd.PatchApprovalStatus(
            name=name, conditions=howto.approval_patch(observed_generation, status)))

    def report(self, cluster: str, *, succeeded: bool = True, message: str = "", run: str | None = None) -> list[Event]:
        """The agent's answer to the oldest unanswered request for `cluster` (of `run` if given)."""
        request = next(r for r in self.outbox if r.cluster == cluster and (run is None or r.run == run))
        self.outbox.remove(request)
        return self.input(ClusterUpdated(
            run=request.run, placement=request.placement, stage=request.stage, cluster=cluster,
            resource_snapshot_index=request.resource_snapshot_index, succeeded=succeeded, message=message,
        ), actor=f"agent/{cluster}")

    def answer_all(self) -> list[Event]:
        """Report success for every request until none is left."""
        produced: list[Event] = []
        while self.outbox:
            produced += self.report(self.outbox[0].cluster, run=self.outbox[0].run)
        return produced

    # --- setups ------------------------------------------------------------------------------------------

    @classmethod
    def howto(cls, *, strategy: dict[str, Any] | None = None, placement: dict[str, Any] | None = None,
              members: dict[str, dict[str, str]] | None = None, settings: Settings | None = None) -> Machine:
        """The how-to's fleet with the placement applied and snapshots 0 (value1) and 1 (value2)."""
        m = cls(settings=settings)
        for name, labels in (howto.MEMBERS if members is None else members).items():
            m.fleet_event(fe.MemberJoined(name=name, labels=labels, heartbeat_seconds=5))
        m.fleet_event(fe.HubResourceApplied(manifest=howto.NAMESPACE, generation=1))
        m.fleet_event(fe.HubResourceApplied(manifest=howto.configmap("value1"), generation=1))
        m.fleet_event(fe.StrategyApplied(manifest=strategy or howto.STRATEGY, generation=1))
        m.input(cmd.ApplyPlacement(manifest=placement or howto.PLACEMENT))
        m.fleet_event(fe.HubResourceApplied(manifest=howto.configmap("value2"), generation=2))
        m.reconcile()
        return m


def types(events: list[Event]) -> list[str]:
    """Event types without the `fleetstage.` prefix, for readable assertions."""
    return [e.type.removeprefix("fleetstage.") for e in events]


def of(events: list[Event], model: type[Payload]) -> list[Any]:
    return [e.data for e in events if isinstance(e.data, model)]


def strategy(*stages: dict[str, Any], name: str = "example-strategy") -> dict[str, Any]:
    doc = copy.deepcopy(howto.STRATEGY)
    doc["metadata"]["name"] = name
    doc["spec"]["stages"] = list(stages)
    return doc


def placement(**spec: Any) -> dict[str, Any]:
    doc = copy.deepcopy(howto.PLACEMENT)
    doc["spec"].update(spec)
    return doc
