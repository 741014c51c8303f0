"""The pure core: `decide(state, fleet, event, now, settings) -> Decision(state, events)`. No I/O.

Inputs are commands, agent reports (`ClusterUpdated`) and `ReconcileRequested`. The input is turned
into domain events (`orchestrator.commands`, `orchestrator.execution.cluster_reported`), then the
placement is reconciled (snapshots and scheduling, on placement changes and reconcile requests) and
every run is stepped (initialisation, drift validation, execution or stop) until nothing more happens.
Every produced event is folded into the returned state at once (`orchestrator.evolve`), so the state
always includes the decisions already made; the I/O loop therefore ignores them when it reads them
back. Output events carry `time = now` and are caused by the input (`Event.caused_by`);
`ClusterUpdateRequested` goes to the `agents` stream keyed by cluster, everything else to `placements`
keyed by the placement name.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eventstore import Event
from fleetevents import commands as cmd
from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.base import Payload, registry
from fleetevents.runs import ReconcileRequested, RunFailed
from fleetevents.streams import AGENTS, PLACEMENTS
from orchestrator import execution, stop
from orchestrator.commands import COMMAND_TYPES, handle
from orchestrator.evolve import evolve
from orchestrator.execution import Settings
from orchestrator.fleetview import FleetView
from orchestrator.initialization import initialize
from orchestrator.scheduling import policy_snapshot_events, scheduling_events
from orchestrator.snapshots import resource_snapshot_events
from orchestrator.state import PlacementState, RunState
from orchestrator.validation import drift, forget

INPUT_TYPES: frozenset[str] = frozenset(
    registry.type_of(m) for m in (*COMMAND_TYPES, ClusterUpdated, ReconcileRequested)
)
"""Event types `decide` acts on; every other event on `placements` is the orchestrator's own output."""

MAX_STEPS = 10_000
ORCHESTRATOR_ACTOR = "orchestrator"


class DecisionLoopError(RuntimeError):
    """The state machine did not settle (a bug: some step keeps producing events)."""


@dataclass(frozen=True, slots=True)
class Decision:
    state: PlacementState
    events: list[Event]


class _Emitter:
    """Wraps payloads into events caused by the input and folds them into the state as they come."""

    def __init__(self, state: PlacementState, cause: Event, now: datetime) -> None:
        self.state = state
        self.events: list[Event] = []
        self._cause = cause
        self._now = now

    def emit(self, payloads: list[Payload], *, actor: str = ORCHESTRATOR_ACTOR) -> bool:
        for payload in payloads:
            if isinstance(payload, ClusterUpdateRequested):
                stream, subject = AGENTS, payload.cluster
            else:
                stream, subject = PLACEMENTS, self.state.name
            event = Event(
                type=registry.type_of(type(payload)), subject=subject, data=payload, stream=stream,
                actor=actor, time=self._now,
            ).caused_by(self._cause)
            self.events.append(event)
            self.state = evolve(self.state, event)
        return bool(payloads)


def decide(state: PlacementState, fleet: FleetView, event: Event, now: datetime, settings: Settings) -> Decision:
    """The events `event` causes, and the state after them. `event` must be of an INPUT_TYPES type."""
    out = _Emitter(state, event, now)
    data = event.data
    if type(data) in COMMAND_TYPES:
        out.emit(handle(out.state, event), actor=event.actor)
    elif isinstance(data, ClusterUpdated):
        out.emit(execution.cluster_reported(out.state, data))
    if isinstance(data, (cmd.ApplyPlacement, ReconcileRequested)):
        _reconcile_placement(out, fleet)
    _step_runs(out, fleet, now, settings)
    return Decision(out.state, out.events)


def _reconcile_placement(out: _Emitter, fleet: FleetView) -> None:
    if out.state.placement is None:
        return
    out.emit(policy_snapshot_events(out.state))
    out.emit(scheduling_events(out.state, fleet))
    out.emit(resource_snapshot_events(out.state, fleet))


def _step_runs(out: _Emitter, fleet: FleetView, now: datetime, settings: Settings) -> None:
    for _ in range(MAX_STEPS):
        busy = False
        for name in list(out.state.runs):
            run = out.state.runs.get(name)
            if run is not None:
                busy |= out.emit(run_step(out.state, run, fleet, now, settings))
        if not busy:
            return
    raise DecisionLoopError(f"placement {out.state.name!r}: runs did not settle after {MAX_STEPS} steps")


def run_step(
    state: PlacementState, run: RunState, fleet: FleetView, now: datetime, settings: Settings
) -> list[Payload]:
    """The next events of one run (empty when it waits or is finished)."""
    if run.finished:
        forget(state, run)
        return []
    if run.plan is None:
        return [initialize(state, run, fleet)]
    if run.state == "Initialize":
        return []
    problem = drift(state, run, fleet)
    if problem is not None:
        return [RunFailed(run=run.name, message=problem)]
    if run.state == "Stop":
        return stop.step(state, run)
    return execution.step(state, run, now, settings)


def next_due(state: PlacementState, settings: Settings) -> datetime | None:
    """The earliest time a run of this placement needs a look without any input (timers)."""
    times = [t for run in state.runs.values() if (t := execution.next_due(run, settings)) is not None]
    return min(times, default=None)
