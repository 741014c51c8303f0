"""Test harness for the orchestrator over a real event store: publishing, fake agents, waiting on events."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from eventstore import Event, EventStore, Subscription
from fleetevents import fleet as fe
from fleetevents.agents import ClusterUpdated, ClusterUpdateRequested
from fleetevents.base import Payload, registry
from fleetevents.streams import AGENTS, FLEET, PLACEMENTS, object_subject
from tests.orchestrator import howto

WAIT = 20.0
P = TypeVar("P", bound=Payload)
T = TypeVar("T")


def event(payload: Payload, subject: str, stream: str, *, actor: str = "test") -> Event:
    return Event(registry.type_of(type(payload)), subject, payload, stream, actor=actor)


async def publish_fleet(store: EventStore, payloads: Sequence[Payload]) -> None:
    events = []
    for p in payloads:
        if isinstance(p, (fe.HubResourceApplied, fe.StrategyApplied)):
            meta = p.manifest["metadata"]
            subject = object_subject(p.manifest["kind"], meta["name"], meta.get("namespace"))
        else:
            assert isinstance(p, (fe.MemberJoined, fe.MemberLabelsChanged, fe.MemberLeft))
            subject = object_subject("MemberCluster", p.name)
        events.append(event(p, subject, FLEET))
    await store.append(events)


def howto_fleet(value: str = "value1") -> list[Payload]:
    """The how-to's members, namespace, configmap and strategy as `fleet` events."""
    return [
        *(fe.MemberJoined(name=n, labels=labels, heartbeat_seconds=5) for n, labels in howto.MEMBERS.items()),
        fe.HubResourceApplied(manifest=howto.NAMESPACE, generation=1),
        fe.HubResourceApplied(manifest=howto.configmap(value), generation=1),
        fe.StrategyApplied(manifest=howto.STRATEGY, generation=1),
    ]


async def command(store: EventStore, payload: Payload, placement: str = "example-placement") -> Event:
    cmd = event(payload, placement, PLACEMENTS, actor="alice")
    await store.append([cmd])
    return cmd


class FakeAgents:
    """Answers every ClusterUpdateRequested with a ClusterUpdated (exactly once, as a real agent group)
    and keeps what each cluster holds. `fail` maps cluster -> message to report a failure instead;
    clusters in `hold` get no answer until `release(cluster)`."""

    def __init__(self, store: EventStore, *, fail: dict[str, str] | None = None, hold: set[str] | None = None) -> None:
        self._store = store
        self.fail = fail or {}
        self.hold = hold or set()
        self.requests: list[ClusterUpdateRequested] = []
        self.held: list[ClusterUpdateRequested] = []
        self.contents: dict[str, list[dict[str, Any]]] = {}
        self._subscription: Subscription | None = None
        self._answered = asyncio.Condition()

    async def __aenter__(self) -> FakeAgents:
        self._subscription = self._store.subscribe("fake-agents", AGENTS, self._answer, exactly_once=True)
        await self._subscription.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._subscription is not None
        await self._subscription.__aexit__(exc_type, exc, tb)

    async def _answer(self, partition: int, batch: Sequence[Event]) -> list[Event]:
        out = []
        for request in batch:
            data = request.data
            assert isinstance(data, ClusterUpdateRequested)
            self.requests.append(data)
            if data.cluster in self.hold:
                self.held.append(data)
                continue
            out.append(self._outcome(data).caused_by(request))
        async with self._answered:
            self._answered.notify_all()
        return out

    async def wait_held(self, cluster: str, timeout: float = WAIT) -> None:
        """Return once a request for `cluster` is being held."""
        async with asyncio.timeout(timeout), self._answered:
            await self._answered.wait_for(lambda: any(r.cluster == cluster for r in self.held))

    def _outcome(self, data: ClusterUpdateRequested) -> Event:
        message = self.fail.get(data.cluster)
        if message is None:
            self.contents[data.cluster] = data.resources
        report = ClusterUpdated(
            run=data.run, placement=data.placement, stage=data.stage, cluster=data.cluster,
            resource_snapshot_index=data.resource_snapshot_index, succeeded=message is None, message=message or "",
        )
        return event(report, data.placement, PLACEMENTS, actor=f"agent/{data.cluster}")

    async def release(self, cluster: str) -> None:
        """Answer the held requests of `cluster` now."""
        self.hold.discard(cluster)
        answers = [self._outcome(r) for r in self.held if r.cluster == cluster]
        self.held = [r for r in self.held if r.cluster != cluster]
        await self._store.append(answers)

    def requested(self, run: str) -> list[str]:
        return [r.cluster for r in self.requests if r.run == run]


class Log:
    """Follows `placements` and lets a test wait for the event it expects."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self.events: list[Event] = []
        self._grew = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Log:
        self._task = asyncio.create_task(self._follow())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.wait([self._task])

    async def _follow(self) -> None:
        async for e in self._store.read(PLACEMENTS, follow=True):
            self.events.append(e)
            self._grew.set()

    def payloads(self, type_: type[P], **fields: Any) -> list[P]:
        """The payloads of `matching` events, typed."""
        return [e.data for e in self.matching(type_, **fields)]  # type: ignore[misc]

    def matching(self, type_: type[Payload], **fields: Any) -> list[Event]:
        return [e for e in self.events if isinstance(e.data, type_)
                and all(getattr(e.data, k) == v for k, v in fields.items())]

    async def wait_for(self, type_: type[Payload], *, timeout: float = WAIT, **fields: Any) -> Event:
        """The first event of `type_` with these payload fields (waits until it is in the log)."""
        return (await self.wait_until(lambda: self.matching(type_, **fields), f"{type_.__name__} {fields}", timeout))[0]

    async def wait_until(self, found: Callable[[], list[T]], what: str, timeout: float = WAIT) -> list[T]:
        """What `found` returns once it is not empty (looked at each time the log grows)."""

        async def poll() -> list[T]:
            while not (hits := found()):
                self._grew.clear()
                await self._grew.wait()
            return hits

        try:
            return await asyncio.wait_for(poll(), timeout)
        except TimeoutError:
            seen = "\n".join(f"  {e.type} {e.data!r}"[:200] for e in self.events[-25:])
            raise AssertionError(f"no {what} within {timeout}s; last events:\n{seen}") from None

    def types_for_run(self, run: str) -> list[str]:
        return [e.type for e in self.events if getattr(e.data, "run", None) == run]
