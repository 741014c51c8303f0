"""The orchestrator's I/O loop: feeds the pure core (`orchestrator.decide`) from the event store.

Exactly-once mechanism relied on: the store's consumer-group subscription with `exactly_once=True`.
The handler returns the events it decided and the store appends them *in the same transaction* as the
group's new position (one SQLite transaction; a Kafka transaction with `send_offsets_to_transaction`,
fenced per partition). So a batch of `placements` is either fully handled — its domain events, its
`ClusterUpdateRequested` commands to agents and the consumed position all written — or not at all, and
then handled again from state rebuilt from the log. That is why each cluster is requested exactly once
per run, even across crashes and restarts; nothing else (no dedup table, no idempotency keys) is needed.

State: each owned `placements` partition has a dict placement -> `PlacementState`. On assignment it is
rebuilt by folding the partition up to the committed offset (`orchestrator.evolve`). `decide` folds its
own outputs into the state at once; when those outputs come back through the subscription they are
recognised by id and skipped (after a restart the pending ids are gone and the outputs beyond the
committed offset are folded instead, which gives the same state). On revocation the state is dropped.
A record found on another partition than its subject's (a plain Kafka client's default partitioner
hashes keys differently) is copied, same id, to the right partition in the same transaction.

`fleet` (hub objects, strategies, members) is read in full into a shared `FleetView`: first up to its
end before consuming, then followed. Before each batch the view is caught up to the `fleet` end offsets
read at that moment, so a Namespace applied before a placement is always visible when the placement is
handled (a batch with nothing to decide, e.g. only this instance's own outputs read back, skips that).
A live `fleet` change appends `ReconcileRequested` for every owned placement it may affect,
caused by that change (`causationid`, `correlationid`: the hub waits for the snapshot a write leads to);
wake-ups not yet appended are merged, keeping the latest cause.

Timers: the earliest due time of the owned placements (TimedWait ends, stuck thresholds) is computed
from state: each placement's due time is recomputed after a batch that changed it (so a batch costs
O(its placements), not O(owned placements)). When the clock reaches the earliest,
`ReconcileRequested(due=...)` is appended for the placement. The deadlines come from recorded event
times, and every assigned placement gets a `ReconcileRequested` on assignment, so timers and fleet
changes missed while no instance ran fire after a restart.

Failures: a decision that raises (a bug) is logged with its traceback and skipped, a command getting a
`CommandRejected` that says so, so one bad event never wedges a partition. `run()` ends with the error
when a background task or the subscription stops.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType

from eventstore import Event, EventStore, Subscription
from eventstore.store import partition_for
from fleetevents.base import registry
from fleetevents.commands import CommandRejected
from fleetevents.runs import ReconcileRequested
from fleetevents.streams import ALL_STREAMS, FLEET, PLACEMENTS
from orchestrator.clock import Clock
from orchestrator.commands import COMMAND_TYPES
from orchestrator.decide import INPUT_TYPES, Decision, decide, next_due
from orchestrator.evolve import evolve
from orchestrator.execution import DEFAULT_STUCK_THRESHOLD, Settings
from orchestrator.fleetview import FleetChange, FleetView
from orchestrator.snapshots import affects
from orchestrator.state import PlacementState

log = logging.getLogger(__name__)

RECONCILE_TYPE = registry.type_of(ReconcileRequested)
SUBSCRIPTION_CHECK_SECONDS = 1.0


class _Partition:
    """What this instance knows of one owned `placements` partition."""

    def __init__(self) -> None:
        self.states: dict[str, PlacementState] = {}
        self.pending: set[str] = set()
        """Ids of events decided here and not read back yet."""
        self.dues: dict[str, datetime] = {}
        """Placement -> when it next needs a look (`decide.next_due`), for those that have such a time."""

    def refresh_dues(self, names: Iterable[str], settings: Settings) -> None:
        """Recompute the due times of `names` (the placements whose state just changed)."""
        for name in names:
            due = next_due(self.states[name], settings)
            if due is None:
                self.dues.pop(name, None)
            else:
                self.dues[name] = due


class Orchestrator:
    """Owns some placements (by partition of `placements`) and drives their runs. Use `async with`."""

    def __init__(
        self,
        store: EventStore,
        *,
        clock: Clock,
        stuck_threshold: timedelta = DEFAULT_STUCK_THRESHOLD,
        group: str = "orchestrator",
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = Settings(stuck_threshold=stuck_threshold)
        self._group = group
        self.fleet = FleetView()
        self._fleet_offsets: dict[int, int] = {}
        self._fleet_caught_up_to: dict[int, int] = {}
        self._fleet_lock = asyncio.Lock()
        self._partitions: dict[int, _Partition] = {}
        self._placement_partitions = 1
        self._wake: dict[str, tuple[str, Event | None]] = {}
        """Placement -> (reason, causing `fleet` event) of the reconcile requests not appended yet."""
        self._wake_signal = asyncio.Event()
        self._timers_changed = asyncio.Event()
        self._requested_due: dict[str, datetime] = {}
        self._subscription: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle -----------------------------------------------------------------------------------

    async def __aenter__(self) -> Orchestrator:
        await self._store.ensure_streams(ALL_STREAMS)
        self._placement_partitions = len(await self._store.end_offsets(PLACEMENTS))
        await self._catch_up_fleet(live=False)
        self._subscription = self._store.subscribe(
            self._group, PLACEMENTS, self._handle, exactly_once=True,
            on_assign=self._assigned, on_revoke=self._revoked,
        )
        await self._subscription.__aenter__()
        self._tasks = [
            asyncio.create_task(self._follow_fleet(), name="orchestrator fleet reader"),
            asyncio.create_task(self._waker(), name="orchestrator waker"),
            asyncio.create_task(self._timers(), name="orchestrator timers"),
            asyncio.create_task(self._watch_subscription(), name="orchestrator subscription watch"),
        ]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        if self._subscription is not None:
            await self._subscription.__aexit__(exc_type, exc, tb)
        failed = [t.exception() for t in self._tasks if not t.cancelled() and t.exception() is not None]
        self._tasks = []
        if failed and exc is None:
            raise failed[0]  # type: ignore[misc]

    async def run(self) -> None:
        """Run until cancelled (or until a background task fails: its error is raised)."""
        async with self:
            await self.stopped()

    async def stopped(self) -> BaseException:
        """Wait until a background task fails (the orchestrator then stops serving); return its error."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = (error for task in done if not task.cancelled() and (error := task.exception()) is not None)
        return next(failed, None) or RuntimeError("every background task of the orchestrator ended")

    async def _watch_subscription(self) -> None:
        """Raises the subscription's error once it stopped (so `run()` stops instead of idling)."""
        assert self._subscription is not None
        while True:
            await self._subscription.wait_caught_up()
            await asyncio.sleep(SUBSCRIPTION_CHECK_SECONDS)

    def owned_placements(self) -> dict[str, PlacementState]:
        """The current state of every placement this instance owns (read-only view for metrics/tests)."""
        return {name: s for part in self._partitions.values() for name, s in part.states.items()}

    # --- placements: rebuild and handle ------------------------------------------------------------

    async def _assigned(self, committed: Mapping[int, int]) -> None:
        for partition, end in committed.items():
            part = _Partition()
            if end > 0:
                reader = self._store.read(PLACEMENTS, partitions=[partition], start={partition: 0})
                async with contextlib.aclosing(reader) as events:  # type: ignore[type-var]
                    async for event in events:
                        if event.position is not None and event.position.offset >= end:
                            break
                        part.states[event.subject] = evolve(self._state(part, event.subject), event)
            part.refresh_dues(part.states, self._settings)
            self._partitions[partition] = part
            self._request_wake(part.states, "partition assigned to this orchestrator")
            log.info("now serving placements partition %d: %d placement(s) rebuilt up to offset %d",
                     partition, len(part.states), end)
        self._timers_changed.set()

    async def _revoked(self, partitions: Sequence[int]) -> None:
        for partition in partitions:
            log.info("no longer serving placements partition %d", partition)
            part = self._partitions.pop(partition, None)
            for name in part.states if part is not None else ():
                self._requested_due.pop(name, None)
        self._timers_changed.set()

    @staticmethod
    def _state(part: _Partition, name: str) -> PlacementState:
        return part.states.get(name) or PlacementState(name)

    async def _handle(self, partition: int, batch: Sequence[Event]) -> list[Event]:
        part = self._partitions.setdefault(partition, _Partition())
        if any(event.type in INPUT_TYPES and event.id not in part.pending for event in batch):
            # Only decisions read the fleet: a batch of this instance's own outputs read back costs no
            # round trip (it comes just before the agent's answer, which would wait for it).
            await self._catch_up_fleet(live=True)
        outputs: list[Event] = []
        for event in batch:
            if event.id in part.pending:
                part.pending.discard(event.id)
                continue
            if partition_for(event.subject, self._placement_partitions) != partition:
                outputs.append(self._forward(event, partition))
                continue
            state = self._state(part, event.subject)
            if event.type in INPUT_TYPES:
                decision = self._decide(state, event)
                state = decision.state
                outputs += decision.events
                part.pending.update(e.id for e in decision.events if e.stream == PLACEMENTS)
            else:
                state = evolve(state, event)
            part.states[event.subject] = state
        part.refresh_dues({event.subject for event in batch if event.subject in part.states}, self._settings)
        self._timers_changed.set()
        return outputs

    def _decide(self, state: PlacementState, event: Event) -> Decision:
        try:
            return decide(state, self.fleet, event, self._clock.now(), self._settings)
        except Exception as exc:  # a bug must not wedge the partition: log it, answer a command, go on
            log.exception("deciding %s %s of placement %r failed; the event is skipped", event.type, event.id,
                          event.subject)
            if type(event.data) not in COMMAND_TYPES:
                return Decision(state, [])
            rejected = CommandRejected(command_id=event.id, command_type=event.type, message=(
                f"internal error while handling the command ({type(exc).__name__}: {exc}); "
                "the orchestrator's log has the details"))
            answer = Event(registry.type_of(CommandRejected), event.subject, rejected, PLACEMENTS,
                           actor="orchestrator", time=self._clock.now()).caused_by(event)
            return Decision(state, [answer])

    def _forward(self, event: Event, partition: int) -> Event:
        """A copy of a record published to the wrong partition (e.g. by a plain Kafka client using its
        default partitioner), for the partition its subject belongs to; same id, so replies still match."""
        log.warning("%s %s for %r arrived on partition %d; forwarding it to the partition of its subject",
                    event.type, event.id, event.subject, partition)
        return replace(event, position=None)

    # --- fleet ---------------------------------------------------------------------------------------

    async def _catch_up_fleet(self, *, live: bool) -> None:
        """Fold every `fleet` event up to the end offsets of this moment (no read when they did not move
        since the last catch-up: offsets alone cannot tell, Kafka transaction markers take offsets too)."""
        ends = await self._store.end_offsets(FLEET)
        if ends == self._fleet_caught_up_to:
            return
        async with self._fleet_lock:
            async for event in self._store.read(FLEET, start=dict(self._fleet_offsets)):
                self._apply_fleet(event, live=live)
        self._fleet_caught_up_to = ends

    async def _follow_fleet(self) -> None:
        reader = self._store.read(FLEET, start=dict(self._fleet_offsets), follow=True)
        async with contextlib.aclosing(reader) as events:  # type: ignore[type-var]
            async for event in events:
                async with self._fleet_lock:
                    self._apply_fleet(event, live=True)

    def _apply_fleet(self, event: Event, *, live: bool) -> None:
        assert event.position is not None
        partition, offset = event.position.partition, event.position.offset
        if offset < self._fleet_offsets.get(partition, 0):
            return  # already folded by the other reader
        self._fleet_offsets[partition] = offset + 1
        change = self.fleet.apply(event)
        if live:
            self._request_wake(self._affected(change), f"{event.type} {event.subject}", cause=event)

    def _affected(self, change: FleetChange) -> list[str]:
        owned = self.owned_placements()
        if change.member is not None:
            return [n for n, s in owned.items() if s.placement is not None]
        obj = change.hub_object
        if obj is None:
            return []
        return [n for n, s in owned.items() if s.placement is not None and affects(s.placement, obj)]

    # --- wake-ups and timers -------------------------------------------------------------------------

    def _request_wake(self, placements: Mapping[str, object] | Sequence[str], reason: str, *,
                      cause: Event | None = None) -> None:
        for name in placements:
            if cause is not None or name not in self._wake:
                self._wake[name] = (reason, cause)
        if self._wake:
            self._wake_signal.set()

    async def _waker(self) -> None:
        while True:
            await self._wake_signal.wait()
            self._wake_signal.clear()
            wake, self._wake = self._wake, {}
            await self._append_reconcile({name: (reason, None, cause) for name, (reason, cause) in wake.items()})

    async def _append_reconcile(self, requests: Mapping[str, tuple[str, datetime | None, Event | None]]) -> None:
        now = self._clock.now()
        events = []
        for name, (reason, due, cause) in requests.items():
            event = Event(RECONCILE_TYPE, name, ReconcileRequested(reason=reason, due=due), PLACEMENTS,
                          actor="orchestrator", time=now)
            events.append(event.caused_by(cause) if cause is not None else event)
        await self._store.append(events)

    def _next_timer(self) -> tuple[datetime, list[str]] | None:
        """The earliest due time not yet requested, and the placements due then."""
        dues = {
            name: due for part in self._partitions.values() for name, due in part.dues.items()
            if self._requested_due.get(name) != due
        }
        if not dues:
            return None
        first = min(dues.values())
        return first, [n for n, d in dues.items() if d == first]

    async def _timers(self) -> None:
        while True:
            self._timers_changed.clear()
            timer = self._next_timer()
            changed = asyncio.create_task(self._timers_changed.wait())
            waits: set[asyncio.Task[None] | asyncio.Task[bool]] = {changed}
            sleeper = None
            if timer is not None:
                sleeper = asyncio.create_task(self._clock.sleep_until(timer[0]))
                waits.add(sleeper)
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in waits:
                    task.cancel()
            if timer is not None and sleeper is not None and sleeper.done() and not sleeper.cancelled():
                due, names = timer
                for name in names:
                    self._requested_due[name] = due
                await self._append_reconcile({name: ("timer due", due, None) for name in names})
