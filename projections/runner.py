"""The projection runner: follows every stream of the event store, folds the events into the read
models and commits documents, audit entries and positions together; answers the hub's queries.

`ProjectionRunner(event_store, db_path, clock=...)` is used with `async with`. On entry it loads the
stored documents and positions and resumes each stream from its stored position; a batch is whatever
the readers have delivered (up to `batch_size` events), committed in one transaction. Queries read the
in-memory copy of the documents (always equal to what is committed). `get_at()` replays the partitions
that make a document up to a time into a throwaway in-memory fold (`projections.timetravel`); `projections.rebuilding` replays the whole log into a fresh file.
"""

from __future__ import annotations

import asyncio
import builtins  # `list` is also a query method of ProjectionRunner
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

import orjson

from eventstore import Event, EventStore, Position
from fleetevents import streams
from projections import audit, members
from projections.documents import Document, Key, PresentedJson, presented
from projections.fold import DocumentSet, fold_batch
from projections.selectors import parse_selector
from projections.store import AuditFilter, Batch, Positions, ProjectionStore
from projections.timetravel import origin, replay

log = logging.getLogger(__name__)

STREAMS = streams.STREAM_NAMES
WatchType = Literal["ADDED", "MODIFIED", "DELETED"]
Offsets = Mapping[str, Mapping[int, int]]
"""{stream: {partition: next offset}}: a point in the log."""


class ProjectionError(Exception):
    """The read side stopped (a reader or the applier failed); the cause is chained."""


@dataclass(frozen=True)
class FoldError:
    """An event a read model could not fold (it is still audited and its position passed)."""

    event_id: str
    type: str
    stream: str
    partition: int
    offset: int
    error: str


@dataclass(frozen=True)
class Notice:
    """A committed change of one document (for a deletion, `doc` is its last version)."""

    type: WatchType
    key: Key
    doc: Document


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Projector:
    """Folds batches of stored events into the documents and commits each batch with its positions.

    Events at offsets below the stored position of their partition are skipped, so delivering an
    event twice never applies it twice.
    """

    def __init__(self, store: ProjectionStore, docs: DocumentSet, positions: Positions) -> None:
        self.store = store
        self.docs = docs
        self.positions = positions
        self.errors: list[FoldError] = []

    @classmethod
    async def load(cls, store: ProjectionStore) -> Projector:
        docs, positions = await store.load()
        return cls(store, DocumentSet(docs), positions)

    async def apply(self, events: Sequence[Event]) -> list[Notice]:
        batch = self._fold(events)
        if batch is None:
            return []
        await self.store.commit(batch)
        notices = [self._notice(key, doc) for key, doc in batch.changes.items()]
        self._advance(batch)
        return [n for n in notices if n is not None]

    def apply_ahead(self, events: Sequence[Event]) -> Batch | None:
        """Fold `events` and move the in-memory documents and positions on before the batch is committed
        (the caller commits it with `store.commit`, in order): the next batch folds while this one is
        written. Only for `rebuild`, whose in-memory state is thrown away if a commit fails."""
        batch = self._fold(events)
        if batch is not None:
            self._advance(batch)
        return batch

    def _fold(self, events: Sequence[Event]) -> Batch | None:
        """The batch `events` make (None when all of them were projected already); nothing is changed."""
        fresh: list[Event] = []
        entries: list[audit.AuditRow] = []
        positions: Positions = {}
        for event in events:
            if event.position is None:
                raise ValueError(f"event {event.id} ({event.type}) has no position: only stored events are projected")
            where = (event.stream, event.position.partition)
            if event.position.offset < positions.get(where, self.positions.get(where, 0)):
                continue
            fresh.append(event)
            entries.append(audit.row(event))
            positions[where] = event.position.offset + 1
        if not fresh:
            return None
        folded = fold_batch(self.docs, fresh)
        for event, exc in folded.failures:
            self._record_failure(event, exc)
        updated = {  # each document changes from one partition only, so its last event is well defined
            key: audit.audit_time(event.time) for event, keys in folded.touched for key in keys
        }
        previous = {where: self.positions.get(where, 0) for where in positions}
        return Batch(folded.changes, updated, entries, positions, previous)

    def _advance(self, batch: Batch) -> None:
        self.docs.apply(batch.changes)
        self.positions.update(batch.positions)

    def _record_failure(self, event: Event, exc: Exception) -> None:
        position = event.position or Position(-1, -1)
        log.error(
            "cannot fold %s event %s at %s[%s]@%s: %s",
            event.type,
            event.id,
            event.stream,
            position.partition,
            position.offset,
            exc,
            exc_info=exc,
        )
        self.errors.append(
            FoldError(
                event.id, event.type, event.stream, position.partition, position.offset, f"{type(exc).__name__}: {exc}"
            )
        )

    def _notice(self, key: Key, doc: Document | None) -> Notice | None:
        previous = self.docs.get(key[0], key[2], key[1])
        if doc is None:
            return Notice("DELETED", key, previous) if previous is not None else None
        return Notice("MODIFIED" if previous is not None else "ADDED", key, doc)


class ProjectionRunner:
    """Keeps the read models up to date with the log, and answers queries on them (see module docstring).

    `clock()` is "now" for member health; `heartbeat_timeout` (seconds) overrides the default of three
    heartbeat periods per member. `publisher`, when given, gets every committed change (Kafka view topics).
    """

    def __init__(
        self,
        event_store: EventStore,
        projection_db_path: str | Path,
        *,
        clock: Callable[[], datetime] = _utc_now,
        heartbeat_timeout: float | None = None,
        batch_size: int = 500,
        publisher: Publisher | None = None,
    ) -> None:
        self.events = event_store
        self.store = ProjectionStore(projection_db_path)
        self.clock = clock
        self.heartbeat_timeout = heartbeat_timeout
        self.batch_size = batch_size
        self.publisher = publisher
        self._projector: Projector | None = None
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=batch_size * 4)
        self._tasks: list[asyncio.Task[None]] = []
        self._progress = asyncio.Event()
        self._watchers: list[_Watcher] = []
        self._failure: BaseException | None = None
        self._failed = asyncio.Event()
        self._json = PresentedJson()

    async def __aenter__(self) -> ProjectionRunner:
        await self.store.open()
        try:
            self._projector = await Projector.load(self.store)
            await self.events.ensure_streams(streams.ALL_STREAMS)
            if self.publisher is not None:
                await self.publisher.publish_all(list(self._projector.docs))
        except BaseException:
            await self.store.close()
            raise
        starts = self._projector.positions
        self._tasks = [
            asyncio.create_task(
                self._read(stream, {p: n for (s, p), n in starts.items() if s == stream}),
                name=f"projections-read-{stream}",
            )
            for stream in STREAMS
        ]
        self._tasks.append(asyncio.create_task(self._apply_loop(), name="projections-apply"))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.store.close()

    # --- the loop -----------------------------------------------------------------------------------

    async def _read(self, stream: str, start: dict[int, int]) -> None:
        try:
            async for event in self.events.read(stream, start=start, follow=True):
                await self._queue.put(event)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._fail(exc, f"reading stream {stream!r}")
            raise

    async def _apply_loop(self) -> None:
        projector = self._require()
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self.batch_size and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                notices = await projector.apply(batch)
                self._announce(notices)
                if self.publisher is not None and notices:
                    await self.publisher.publish(notices)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._fail(exc, "applying events")
            raise

    def _fail(self, exc: BaseException, doing: str) -> None:
        log.error("projections stopped while %s: %s", doing, exc, exc_info=exc)
        self._failure = exc
        self._failed.set()
        self._fire()
        for watcher in self._watchers:
            watcher.queue.put_nowait(None)  # wakes the watcher, which then raises ProjectionError

    async def stopped(self) -> BaseException:
        """Wait until the projections stop by themselves (reading or applying failed); return why."""
        await self._failed.wait()
        assert self._failure is not None
        return self._failure

    def _fire(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    def _announce(self, notices: list[Notice]) -> None:
        self._fire()
        for watcher in self._watchers:
            for notice in notices:
                if watcher.wants(notice.key):
                    watcher.queue.put_nowait(notice)

    def _require(self) -> Projector:
        if self._projector is None:
            raise ProjectionError("the projection runner is not running: use `async with ProjectionRunner(...)`")
        return self._projector

    def _check(self) -> Projector:
        projector = self._require()
        if self._failure is not None:
            raise ProjectionError(f"the projections stopped: {self._failure}") from self._failure
        return projector

    # --- queries ------------------------------------------------------------------------------------

    def _present(self, doc: Document, now: datetime | None = None, docs: DocumentSet | None = None) -> Document:
        if doc["kind"] != members.KIND:
            return presented(doc)
        lease = (docs or self._require().docs).get(members.LEASE_KIND, doc["metadata"]["name"], members.LEASE_NAMESPACE)
        return members.present(doc, lease, now or self.clock(), self.heartbeat_timeout)

    def _encode(self, doc: Document, now: datetime) -> bytes:
        """`_present(doc, now)` as JSON; memoized per stored version but for members (health is as of `now`)."""
        if doc["kind"] == members.KIND:
            return orjson.dumps(self._present(doc, now))
        return self._json(doc)

    async def get(self, kind: str, name: str, namespace: str | None = None) -> Document | None:
        """The current document of an object, or None."""
        doc = self._require().docs.get(kind, name, namespace or "")
        return None if doc is None else self._present(doc)

    async def get_json(self, kind: str, name: str, namespace: str | None = None) -> bytes | None:
        """`get` as JSON bytes (an unchanged document is not presented again)."""
        doc = self._require().docs.get(kind, name, namespace or "")
        return None if doc is None else self._encode(doc, self.clock())

    def _matching(
        self, kind: str, namespace: str | None, label_selector: str | Mapping[str, str] | None
    ) -> builtins.list[Document]:
        matches = parse_selector(label_selector)
        docs = [
            doc
            for doc in self._require().docs.of_kind(kind)
            if (namespace is None or (doc["metadata"].get("namespace") or "") == namespace)
            and matches(doc["metadata"].get("labels") or {})
        ]
        docs.sort(key=lambda d: (d["metadata"].get("namespace") or "", d["metadata"]["name"]))
        return docs

    async def list_json(
        self, kind: str, namespace: str | None = None, label_selector: str | Mapping[str, str] | None = None
    ) -> builtins.list[bytes]:
        """`list` as the JSON bytes of each document (an unchanged document is not presented again)."""
        now = self.clock()
        return [self._encode(doc, now) for doc in self._matching(kind, namespace, label_selector)]

    async def list(
        self, kind: str, namespace: str | None = None, label_selector: str | Mapping[str, str] | None = None
    ) -> list[Document]:
        """Every object of `kind` (in `namespace` when given) whose labels match, ordered by namespace, name."""
        now = self.clock()
        return [self._present(doc, now) for doc in self._matching(kind, namespace, label_selector)]

    def kinds(self) -> builtins.list[str]:
        """The kinds that have at least one document."""
        return sorted(self._require().docs.kinds())

    def positions(self) -> dict[str, dict[int, int]]:
        """{stream: {partition: next offset}} the documents reflect."""
        out: dict[str, dict[int, int]] = {}
        for (stream, partition), offset in self._require().positions.items():
            out.setdefault(stream, {})[partition] = offset
        return out

    def errors(self) -> builtins.list[FoldError]:
        """Events a read model could not fold (see FoldError)."""
        return list(self._require().errors)

    def _behind(self, offsets: Offsets) -> builtins.list[str]:
        positions = self._require().positions
        return [
            f"{stream}[{partition}] at {positions.get((stream, partition), 0)} < {offset}"
            for stream, wanted in offsets.items()
            for partition, offset in wanted.items()
            if positions.get((stream, partition), 0) < offset
        ]

    async def wait_for(self, offsets: Offsets, timeout: float | None = None) -> None:
        """Return once every event before `offsets` ({stream: {partition: next offset}}) is in the documents.

        Read-your-writes: after `positions = await store.append(events)`, wait for
        `{event.stream: {p.partition: p.offset + 1}}`. Raises TimeoutError naming the partitions behind.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self._check()
                    progress = self._progress
                    if not self._behind(offsets):
                        return
                    await progress.wait()
        except TimeoutError:
            behind = ", ".join(self._behind(offsets))
            raise TimeoutError(f"projections not caught up after {timeout}s: {behind}") from None

    async def caught_up(self, timeout: float | None = None) -> None:
        """Return once every event in the log when called is in the documents.

        The target is the last event of each partition, not its end offset: on Kafka, transaction
        markers take offsets that no event has.
        """
        targets: dict[str, dict[int, int]] = {}
        try:
            async with asyncio.timeout(timeout):
                for stream in STREAMS:
                    for partition, end in (await self.events.end_offsets(stream)).items():
                        applied = self._require().positions.get((stream, partition), 0)
                        if applied < end:
                            last = await _last_event(self.events, stream, partition, applied)
                            if last is not None and last.position is not None:
                                targets.setdefault(stream, {})[partition] = last.position.offset + 1
                await self.wait_for(targets)
        except TimeoutError:
            behind = ", ".join(self._behind(targets)) or "reading the log"
            raise TimeoutError(f"projections not caught up after {timeout}s: {behind}") from None

    async def watch(
        self, kind: str, namespace: str | None = None, name: str | None = None
    ) -> AsyncIterator[tuple[WatchType, Document]]:
        """("ADDED"|"MODIFIED"|"DELETED", document) for every later committed change of a matching object."""
        watcher = _Watcher(kind, namespace, name)
        self._watchers.append(watcher)
        try:
            while True:
                self._check()
                notice = await watcher.queue.get()
                if notice is not None:
                    yield notice.type, self._present(notice.doc)
        finally:
            self._watchers.remove(watcher)

    async def get_at(self, kind: str, name: str, at: datetime, namespace: str | None = None) -> Document | None:
        """The document as it was at time `at`: the partitions that make it (`timetravel.origin`) replayed up
        to `at` into a throwaway fold."""
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        where = await origin(self._require().docs, kind, name, namespace, self.events, self.store.placements_of_run)
        docs = await replay(self.events, where, until=at)
        doc = docs.get(kind, name, namespace or "")
        return None if doc is None else self._present(doc, at, docs)

    async def audit(self, **filters: Any) -> builtins.list[dict[str, Any]]:
        """Audit entries matching `filters` (placement, run, cluster, actor, stream, correlation_id, type,
        since, until as datetime or RFC 3339 text, limit, heartbeats), oldest first (see AuditFilter)."""
        for edge in ("since", "until"):
            if isinstance(filters.get(edge), str):
                filters[edge] = datetime.fromisoformat(filters[edge].replace("Z", "+00:00"))
        try:
            query = AuditFilter(**filters)
        except TypeError:
            known = ", ".join(AuditFilter.__dataclass_fields__)
            unknown = ", ".join(sorted(set(filters) - set(AuditFilter.__dataclass_fields__)))
            raise ValueError(f"unknown audit filter(s) {unknown}: use {known}") from None
        self._require()
        return await self.store.audit(query)


class _Watcher:
    def __init__(self, kind: str, namespace: str | None, name: str | None) -> None:
        self.kind, self.namespace, self.name = kind, namespace, name
        self.queue: asyncio.Queue[Notice | None] = asyncio.Queue()  # None: the runner failed

    def wants(self, key: Key) -> bool:
        kind, namespace, name = key
        return (
            kind == self.kind
            and (self.namespace is None or namespace == self.namespace)
            and (self.name is None or name == self.name)
        )


class Publisher(Protocol):
    """Receives every committed change (projections.publisher.KafkaViewPublisher is one)."""

    async def publish(self, notices: Sequence[Notice]) -> None: ...

    async def publish_all(self, docs: Iterable[Document]) -> None:
        """Every current document (at start: converge after a crash between commit and publication)."""


async def _last_event(events: EventStore, stream: str, partition: int, start: int) -> Event | None:
    last = None
    async for event in events.read(stream, start={partition: start}, partitions=[partition]):
        last = event
    return last
