"""The fleet a benchmark rolls out to, and driving it the way the API would.

Members are generated (`SimulatedFleet`, many agents in one process, targets that succeed at once) and
labelled `stage=sNN` (10 stages by default) and `group=gNNN` (one group per placement). The driver
appends what the API appends: the `bench` Namespace and the strategy to `fleet`, then one
`ApplyPlacement` per placement (PickAll of its group) and, once every placement is scheduled on its
clusters, one `ApplyRun` per placement. `RunLog` follows `placements` so the driver can wait for the
orchestrator's answers; it decodes only the events that say how the runs go (`FOLLOWED`): on Kafka it picks
them by their type header, so the benchmark process does not spend its CPU decoding every cluster
update and stage of the runs (a benchmark that needs those reads the log after the runs).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from agents.fleet_simulator import LabelRecipe, MemberSpec, generate_members
from eventstore import Event, EventStore
from eventstore.kafka import KafkaEventStore
from fleetevents import commands
from fleetevents import fleet as fe
from fleetevents.base import Payload, registry
from fleetevents.placements import PlacementScheduled
from fleetevents.runs import RunCreated, RunFailed, RunInitializationFailed, RunSucceeded
from fleetevents.streams import FLEET, PLACEMENTS, object_subject

API_VERSION = "placement.kubernetes-fleet.io/v1beta1"
NAMESPACE = "bench"
STRATEGY = "bench-strategy"
FOLLOWED: tuple[type[Payload], ...] = (
    PlacementScheduled, RunCreated, RunSucceeded, RunFailed, RunInitializationFailed, commands.CommandRejected,
)
"""The `placements` events `RunLog` keeps: what the driver waits for, and the failures it stops on."""
FOLLOW_PAUSE_SECONDS = 0.05
"""How long `RunLog` lets `placements` records gather between two fetches on Kafka (the driver sees the
runs' progress that much later; the measured span is from the events' own times)."""


@dataclass(frozen=True)
class Shape:
    """What to build: `placements` placements of `clusters_each` clusters, in `stages` stages."""

    placements: int
    clusters_each: int
    stages: int = 10
    max_concurrency: int | str = "100%"

    @property
    def members(self) -> int:
        return self.placements * self.clusters_each

    def placement(self, number: int) -> str:
        return f"bench-p{number:03d}"

    def run(self, number: int) -> str:
        return f"bench-run-p{number:03d}"

    def group(self, number: int) -> str:
        return f"g{number:03d}"


def fleet_members(shape: Shape) -> list[MemberSpec]:
    """Members spread evenly over the placements' groups and, within each group, over the stages."""
    recipe = LabelRecipe({
        "group": [(shape.group(g), 1) for g in range(shape.placements)],
        "stage": [(f"s{s:02d}", shape.placements) for s in range(shape.stages)],
    })
    return generate_members(shape.members, recipe)


def strategy(shape: Shape) -> dict[str, Any]:
    stages = [
        {"name": f"s{s:02d}", "labelSelector": {"matchLabels": {"stage": f"s{s:02d}"}},
         "maxConcurrency": shape.max_concurrency}
        for s in range(shape.stages)
    ]
    return {"apiVersion": API_VERSION, "kind": "ClusterStagedUpdateStrategy",
            "metadata": {"name": STRATEGY}, "spec": {"stages": stages}}


def placement(shape: Shape, number: int) -> dict[str, Any]:
    group = {"labelSelector": {"matchLabels": {"group": shape.group(number)}}}
    return {
        "apiVersion": API_VERSION, "kind": "ClusterResourcePlacement", "metadata": {"name": shape.placement(number)},
        "spec": {
            "resourceSelectors": [{"group": "", "kind": "Namespace", "name": NAMESPACE, "version": "v1"}],
            "policy": {"placementType": "PickAll", "affinity": {"clusterAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [group]}}}},
            "strategy": {"type": "External"},
        },
    }


def run_manifest(shape: Shape, number: int) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "ClusterStagedUpdateRun", "metadata": {"name": shape.run(number)},
            "spec": {"placementName": shape.placement(number), "resourceSnapshotIndex": "0",
                     "stagedRolloutStrategyName": STRATEGY}}


def _event(payload: Payload, subject: str, stream: str) -> Event:
    return Event(registry.type_of(type(payload)), subject, payload, stream, actor="bench")


async def publish_hub_objects(store: EventStore, shape: Shape) -> None:
    """The Namespace the placements select and the strategy, as the API appends them."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    await store.append([
        _event(fe.HubResourceApplied(manifest=namespace, generation=1), object_subject("Namespace", NAMESPACE), FLEET),
        _event(fe.StrategyApplied(manifest=strategy(shape), generation=1),
               object_subject("ClusterStagedUpdateStrategy", STRATEGY), FLEET),
    ])


async def apply_placements(store: EventStore, shape: Shape) -> None:
    await store.append([
        _event(commands.ApplyPlacement(manifest=placement(shape, n)), shape.placement(n), PLACEMENTS)
        for n in range(shape.placements)
    ])


async def apply_runs(store: EventStore, shape: Shape) -> None:
    await store.append([
        _event(commands.ApplyRun(manifest=run_manifest(shape, n)), shape.placement(n), PLACEMENTS)
        for n in range(shape.placements)
    ])


class RunLog:
    """Follows the `FOLLOWED` events of `placements` (from the start) and wakes waiters whenever it grows."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self.events: list[Event] = []
        self._by_type: dict[type, list[Event]] = {}
        self._checked = 0
        self._grew = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RunLog:
        self._task = asyncio.create_task(self._follow(), name="bench placements follower")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.wait([self._task])

    async def _follow(self) -> None:
        types = frozenset(registry.type_of(t) for t in FOLLOWED)
        if isinstance(self._store, KafkaEventStore):
            events = _follow_types(self._store, PLACEMENTS, types)
        else:
            events = (e async for e in self._store.read(PLACEMENTS, follow=True) if e.type in types)
        async for event in events:
            self.events.append(event)
            self._by_type.setdefault(type(event.data), []).append(event)
            self._grew.set()

    def of(self, payload_type: type[Payload]) -> list[Event]:
        """The events seen so far with a payload of exactly this type (one of `FOLLOWED`)."""
        return self._by_type.get(payload_type, [])

    async def until(self, done: Callable[[], bool], what: str, timeout: float, alive: Callable[[], None]) -> None:
        """Return once `done()`; `alive()` raises if a process we depend on died; TimeoutError names `what`."""
        async def poll() -> None:
            while not done():
                self._grew.clear()
                try:
                    await asyncio.wait_for(self._grew.wait(), 1.0)
                except TimeoutError:
                    alive()
                self._check_failures()

        try:
            await asyncio.wait_for(poll(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{what} not seen within {timeout:.0f}s ({len(self.events)} placement events so far)") from None

    def _check_failures(self) -> None:
        """Raise on a failure among the events not looked at yet."""
        fresh, self._checked = self.events[self._checked:], len(self.events)
        for event in fresh:
            if isinstance(event.data, (RunFailed, RunInitializationFailed, commands.CommandRejected)):
                raise RuntimeError(f"the benchmark run went wrong: {event.type} {event.data!r}")

    async def scheduled(self, shape: Shape, timeout: float, alive: Callable[[], None]) -> None:
        """Every placement scheduled on all of its clusters."""
        def done() -> bool:
            scheduled = [e.data for e in self.of(PlacementScheduled)]
            counts = {s.placement: len(s.selected) for s in scheduled}  # type: ignore[attr-defined]
            return sum(1 for n in counts.values() if n == shape.clusters_each) == shape.placements

        await self.until(done, f"{shape.placements} placement(s) scheduled on {shape.clusters_each} clusters each",
                         timeout, alive)

    async def succeeded(self, shape: Shape, timeout: float, alive: Callable[[], None]) -> None:
        await self.until(lambda: len(self.of(RunSucceeded)) == shape.placements,
                         f"{shape.placements} run(s) succeeded", timeout, alive)


async def _follow_types(store: KafkaEventStore, stream: str, types: frozenset[str]) -> AsyncIterator[Event]:
    """Follow every partition of `stream` from the start, decoding only the records whose `ce_type` header
    is one of `types` (the others are dropped undecoded: the store writes the type as a header)."""
    wanted = {type_.encode() for type_ in types}
    topic = store.topic(stream)
    partitions = [TopicPartition(topic, p) for p in await store.end_offsets(stream)]
    consumer = store.consumer()
    try:
        await consumer.start()
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        while True:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                kept = [r for r in records if dict(r.headers).get("ce_type") in wanted]
                for event in await store.decode_records(stream, tp.partition, kept) if kept else ():
                    yield event
            await asyncio.sleep(FOLLOW_PAUSE_SECONDS)  # records gather meanwhile: far fewer fetches
    finally:
        await consumer.stop()


def run_span(log: RunLog) -> float:
    """Seconds from the first run created to the last run succeeded (the orchestrator's event times)."""
    created = [e.time for e in log.of(RunCreated)]
    ended = [e.time for e in log.of(RunSucceeded)]
    return (max(ended) - min(created)).total_seconds()
