"""`AgentHost`: runs the agents of one or more member clusters on one event store subscription.

Life cycle (`async with`): ensure the streams exist; announce every member (join / relabel, see
`agents.membership`); subscribe to `agents` as `group` with exactly-once commits and dispatch each
`ClusterUpdateRequested` to its member by `cluster` (commands for clusters not hosted here are
skipped); send heartbeats every `heartbeat_interval` on the clock; on a clean exit (no exception)
stop consuming and announce `MemberLeft` for every member. An exception or cancellation (a crash)
announces nothing: the hub sees the heartbeats stop.

Within one batch, commands of different members run concurrently (at most `max_parallel` at a time),
those of one member in log order; the reports are appended with the batch's commit (in the order of the
members' first commands in the batch). A batch is served by at most `max_parallel` worker tasks taking
members in turn, not by one task per member: a batch of a simulated fleet holds thousands of members.

The ledger watermark. Each member is told, with each command, that every offset of the batch's
partition below the batch's first offset is committed for the group; its ledger then drops the entries
of those commands (`agents.ledger`). That rests on how every backend hands out the batches of one
partition (eventstore/locallog.py `LocalSubscription._handle`, eventstore/kafka_subscription.py
`KafkaSubscription._handle`): one after another, starting at the group's committed offset when the
partition is (re)assigned, and a batch whose handler returned events (here: any batch holding a command
of a member hosted here, since each such command gets a report) is committed, with its events, before
the partition's next batch is handed out; a commit that fails loses the partition, which is handed out
again from its committed offset. Only a batch with no output may still be committing (Kafka's plain
commit, not waited for) when the next one comes, and no ledger entry belongs to it. So a command of
this host below the first offset of a batch is committed, and cannot be redelivered.
`tests/agents/test_ledger_pruning.py` checks this at every batch on every backend.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta
from types import TracebackType

from agents.member import Member
from agents.membership import announcement, departure, heartbeat, last_announced
from eventstore import Event, EventStore, EventStoreError, Position, Subscription
from fleetevents.agents import ClusterUpdateRequested
from fleetevents.streams import AGENTS, ALL_STREAMS
from orchestrator.clock import Clock, SystemClock

log = logging.getLogger(__name__)

class AgentFailed(RuntimeError):
    """The agent stopped serving: its subscription or heartbeat loop failed (the cause is chained)."""


class AgentHost:
    """Serves `members` from `store` (see the module docstring)."""

    def __init__(
        self,
        store: EventStore,
        members: Sequence[Member],
        *,
        group: str,
        heartbeat_interval: float = 10.0,
        clock: Clock | None = None,
        max_parallel: int = 64,
    ) -> None:
        if heartbeat_interval <= 0:
            raise ValueError(f"heartbeat_interval must be > 0 seconds, got {heartbeat_interval}")
        duplicates = sorted(name for name, count in Counter(member.name for member in members).items() if count > 1)
        if duplicates:
            raise ValueError(f"member names must be unique, got duplicates: {', '.join(duplicates)}")
        self.store = store
        self.members = {member.name: member for member in members}
        self.group = group
        self.heartbeat_interval = heartbeat_interval
        self.clock: Clock = clock or SystemClock()
        self._max_parallel = max_parallel
        self._slots = asyncio.Semaphore(max_parallel)
        self._subscription: Subscription | None = None
        self._heartbeats: asyncio.Task[None] | None = None
        self._beat_lock = asyncio.Lock()  # held while a heartbeat is being appended
        self._failed = asyncio.Event()
        self._failure: AgentFailed | None = None

    async def __aenter__(self) -> AgentHost:
        await self.store.ensure_streams(ALL_STREAMS)
        await self._announce()
        self._subscription = self.store.subscribe(self.group, AGENTS, self._handle, exactly_once=True)
        await self._subscription.__aenter__()
        self._heartbeats = asyncio.create_task(self._beat(), name=f"heartbeats of {self.group}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._heartbeats is not None:
            async with self._beat_lock:  # never interrupt an append: a store may not survive that
                self._heartbeats.cancel()
            await asyncio.wait([self._heartbeats])
        if self._subscription is not None:
            await self._subscription.__aexit__(exc_type, exc, tb)
        if exc is None and self._failure is not None:
            raise self._failure
        if exc is None:
            await self.store.append([departure(name, self.clock) for name in self.members])

    async def run_until(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; AgentFailed if serving fails first."""
        if self._subscription is None:
            raise RuntimeError("use `async with` before run_until()")
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._failed.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        if self._failure is not None:
            raise self._failure

    async def stopped(self) -> BaseException:
        """Wait until serving fails (AgentFailed, the cause chained); return that error."""
        await self._failed.wait()
        assert self._failure is not None
        return self._failure

    async def wait_caught_up(self, timeout: float | None = None) -> None:
        """Return once every command already in the log has been handled and reported."""
        if self._subscription is None:
            raise RuntimeError("use `async with` before wait_caught_up()")
        await self._subscription.wait_caught_up(timeout)

    async def _announce(self) -> None:
        last = await last_announced(self.store, self.members)
        events = [
            event
            for name, member in self.members.items()
            if (event := announcement(name, member.labels, self.heartbeat_interval, last[name], self.clock))
        ]
        if events:
            await self.store.append(events)

    async def _beat(self) -> None:
        """One heartbeat per member now, then on a fixed schedule (a late beat does not cause a burst)."""
        interval = timedelta(seconds=self.heartbeat_interval)
        due = self.clock.now()
        try:
            while True:
                try:
                    async with self._beat_lock:
                        await self.store.append([heartbeat(name, self.clock) for name in self.members])
                except EventStoreError as exc:
                    log.warning(
                        "%s: heartbeat not sent, trying again in %gs: %s", self.group, self.heartbeat_interval, exc
                    )
                due += interval
                now = self.clock.now()
                if due <= now:
                    due = now + interval
                await self.clock.sleep_until(due)
        except Exception as exc:
            self._fail(exc)
            raise

    async def _handle(self, partition: int, batch: Sequence[Event]) -> list[Event]:
        committed_before = batch[0].position
        if committed_before is None:
            raise ValueError(f"{self.group}: handed a batch of events without log positions (not read from the log)")
        per_member: dict[str, list[Event]] = {}
        for event in batch:
            if isinstance(event.data, ClusterUpdateRequested) and event.data.cluster in self.members:
                per_member.setdefault(event.data.cluster, []).append(event)
        reports: dict[str, list[Event]] = {}
        turns = iter(per_member.items())
        workers = min(self._max_parallel, len(per_member))
        try:
            await asyncio.gather(*(self._serve(turns, reports, committed_before) for _ in range(workers)))
        except Exception as exc:
            self._fail(exc)
            raise
        return [report for name in per_member for report in reports[name]]

    async def _serve(
        self, turns: Iterator[tuple[str, list[Event]]], reports: dict[str, list[Event]], committed_before: Position
    ) -> None:
        """A worker: serves the next member's commands (in log order) until no member is left."""
        for name, commands in turns:
            async with self._slots:  # bounds the members served at once across concurrent batches too
                member = self.members[name]
                reports[name] = [await member.handle(command, self.clock, committed_before) for command in commands]

    def _fail(self, exc: Exception) -> None:
        if self._failure is None:
            self._failure = AgentFailed(f"agent {self.group!r} stopped serving: {exc!r}")
            self._failure.__cause__ = exc
            self._failed.set()
