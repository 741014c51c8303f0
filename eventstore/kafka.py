"""The Kafka event store backend (aiokafka 0.14): one topic per stream, CloudEvents binary records.

Stream `name` is topic `topic_prefix + name`, created explicitly (never auto-created) with
`retention.ms=-1` and `cleanup.policy=delete`: the log is the source of truth and must never expire or
compact. Every append is one Kafka transaction (all or nothing, across topics), written by a
transactional producer owned by this store instance. Partitions are chosen by `partition_for`, not by
Kafka's hash, so every backend puts a subject in the same partition. Every client sets the safety
settings explicitly (acks=all, idempotence, no auto-commit, earliest, read_committed), and the latency
ones too (linger, retry backoff, fetch wait: `PRODUCER_BATCHING`, `PRODUCER_RETRY`, `GROUP_FETCH`,
`READER_FETCH`).
Group subscriptions live in `eventstore.kafka_subscription`.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, KafkaTimeoutError, for_code
from prometheus_client import Counter

from eventstore.errors import (
    AppendOutcomeUnknownError, EventStoreError, StoreClosedError, StoreUnavailableError, UnknownStreamError,
)
from eventstore.kafka_codec import DECODE_SLICE, OutRecord, decode_records, encode_headers, send_records
from eventstore.kafka_deadletters import from_dead_letter_record, newest_distinct, to_dead_letter_record
from eventstore.kafka_security import failure_hint
from eventstore.kafka_subscription import KafkaSubscription, mark_read, stop_producer
from eventstore.locallog import check_partitions
from eventstore.records import DeadLetter, Event, Position
from eventstore.registry import EventRegistry
from eventstore.store import EventStore, StreamSpec, Subscription, SubscriptionSpec, partition_for

log = logging.getLogger(__name__)
T = TypeVar("T")

DEAD_LETTERS = Counter(
    "eventstore_dead_letters_total", "Records that could not be decoded and were dead-lettered", ["stream"]
)

LOG_CONFIG = {"retention.ms": "-1", "cleanup.policy": "delete"}
"""Topic configuration of every stream: keep everything forever, never compact."""

TOPIC_READY_TIMEOUT = 30.0
"""Seconds a new topic may take to get a leader for every partition."""
VISIBLE_POLL = 0.002
"""Seconds between looks at the last stable offset while transaction markers are being written."""
VISIBLE_RETRY = 1.0
"""Seconds between looks at the last stable offset while the brokers do not answer."""
TOPIC_ALREADY_EXISTS = 36
UNKNOWN_TOPIC_OR_PARTITION = 3
INVALID_REPLICATION_FACTOR = 38
"""Also what a KRaft controller answers while no broker is unfenced ("All brokers are currently fenced": a
broker just started or restarted, or late with its heartbeats under load): it passes."""
TOPIC_RETRY_PAUSE = 0.2
"""Seconds between attempts to create a topic while the cluster answers with an error that passes."""

PRODUCER_SAFETY = {"acks": "all", "enable_idempotence": True}
CONSUMER_SAFETY = {"enable_auto_commit": False, "auto_offset_reset": "earliest", "isolation_level": "read_committed"}
PRODUCER_BATCHING = {"linger_ms": 0}
"""Send at once: every write is a transaction whose commit flushes whatever is queued, so lingering would
only delay it (records queued while a request is in flight still go out together)."""
PRODUCER_RETRY = {"retry_backoff_ms": 20}
"""Wait before a retried transaction request (aiokafka's default is 100 ms). The usual retry is
CONCURRENT_TRANSACTIONS: a transaction started while the producer's previous one is still completing
(its markers being written, on `__consumer_offsets` too, which `_await_visible` does not look at), which
the broker answers within milliseconds; a 100 ms wait there is a 100 ms reaction (the latency benchmark's
max was ~108 ms). 20 ms is what the Java client waits in that case (KAFKA-5477). It also paces the
producer's other retries (metadata while a leader is unknown, a coordinator moving)."""
GROUP_FETCH = {"fetch_max_wait_ms": 10, "fetch_min_bytes": 1}
"""Fetch settings of subscription (group) consumers: they bound how long new records can wait. aiokafka has
one fetch in flight per broker, and a fetch leaves out every partition whose records it still holds unread
for more than 100 ms (its fixed prefetch backoff): a batch handled for longer than that sends the next fetch
without its partition, and records arriving there meanwhile wait until that fetch ends, which the broker
holds up to `fetch_max_wait_ms` when no other partition gets data (the default 500 ms was the reaction
latency's p99). 10 ms costs an idle subscription ~5% of a core here (empty fetches); `consumer_options`
may override it."""
READER_FETCH = {"fetch_max_wait_ms": 500, "fetch_min_bytes": 1}
"""Fetch settings of readers (`read`, also with follow): they take every record as it comes, so a fetch
always covers all their partitions and returns as soon as one has data; the wait only bounds idle fetches."""
_FIXED = frozenset({*PRODUCER_SAFETY, *CONSUMER_SAFETY, "bootstrap_servers", "transactional_id", "group_id"})


class KafkaEventStore(EventStore):
    """An event store on Kafka brokers `bootstrap_servers` ("host:port[,host:port]").

    `client_options` are extra aiokafka keyword arguments given to every client (security_protocol,
    sasl_*, ssl_context, client_id...); they cannot override the safety settings. `consumer_options` go
    to group consumers only (session_timeout_ms, max_poll_interval_ms, heartbeat_interval_ms...).
    """

    def __init__(
        self,
        registry: EventRegistry,
        bootstrap_servers: str,
        *,
        topic_prefix: str = "fleetstage.",
        client_options: Mapping[str, Any] | None = None,
        consumer_options: Mapping[str, Any] | None = None,
        dead_letter_stream: str = "deadletters",
        replication_factor: int = 1,
        min_insync_replicas: int | None = None,
        transaction_timeout_ms: int = 15_000,
    ) -> None:
        for options in (client_options or {}), (consumer_options or {}):
            overridden = sorted(_FIXED & set(options))
            if overridden:
                raise ValueError(
                    f"client options {overridden} are set by the Kafka event store itself: remove them "
                    "(the store always uses acks=all, idempotence, manual commits and read_committed)"
                )
        self.registry = registry
        self.bootstrap_servers = bootstrap_servers
        self.topic_prefix = topic_prefix
        self.dead_letter_stream = dead_letter_stream
        self.replication_factor = replication_factor
        self.min_insync_replicas = min_insync_replicas
        self.transaction_timeout_ms = transaction_timeout_ms
        self._client_options = dict(client_options or {})
        self._consumer_options = dict(consumer_options or {})
        self._partitions: dict[str, int] = {}
        self._dead_seen: set[tuple[str, Position | None]] = set()
        self._admin: AIOKafkaAdminClient | None = None
        self._producer: AIOKafkaProducer | None = None
        self._producer_id = f"store-{uuid.uuid4()}"
        self._producer_failed = False
        self._offsets: AIOKafkaConsumer | None = None
        self._write_lock = asyncio.Lock()

    # --- clients ------------------------------------------------------------------------------------

    @property
    def client_options(self) -> dict[str, Any]:
        """A copy of the extra aiokafka options every client of this store gets (may hold secrets)."""
        return dict(self._client_options)

    def topic(self, stream: str) -> str:
        return self.topic_prefix + stream

    def transactional_producer(self, transactional_id: str) -> AIOKafkaProducer:
        """A (not started) producer writing transactions as `transactional_id` (prefixed)."""
        return AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            transactional_id=self.topic_prefix + transactional_id,
            transaction_timeout_ms=self.transaction_timeout_ms,
            **PRODUCER_SAFETY,
            **{**PRODUCER_BATCHING, **PRODUCER_RETRY, **self._client_options},
        )

    def group_id(self, group: str) -> str:
        """The Kafka consumer group of subscription group `group`."""
        return self.topic_prefix + group

    def consumer(self, group: str | None = None) -> AIOKafkaConsumer:
        """A (not started) consumer with the store's safety settings; a member of `group` if given."""
        fetching = GROUP_FETCH if group else READER_FETCH
        options = {**fetching, **self._client_options, **(self._consumer_options if group else {})}
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id(group) if group else None,
            **CONSUMER_SAFETY,
            **options,
        )

    async def open(self) -> None:
        if self._producer is not None:
            return
        makers = (
            lambda: AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, **self._client_options),
            lambda: self.transactional_producer(self._producer_id),
            self.consumer,
        )
        started: list[Any] = []
        try:
            for make in makers:
                started.append(make())  # made only now: a client never closed warns when collected
                await started[-1].start()
        except BaseException as exc:
            await _stop_all(started)
            if isinstance(exc, KafkaError):
                raise EventStoreError(
                    f"cannot reach the Kafka brokers at {self.bootstrap_servers}: {exc}; check the kafka:// "
                    "address, or start a local broker with `scripts/kafka-local start`"
                    + failure_hint(self._client_options)
                ) from exc
            raise
        self._admin, self._producer, self._offsets = started

    async def close(self) -> None:
        clients = [c for c in (self._producer, self._offsets, self._admin) if c is not None]
        self._admin = self._producer = self._offsets = None
        await _stop_all(clients)

    def _open_clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaProducer, AIOKafkaConsumer]:
        if self._admin is None or self._producer is None or self._offsets is None:
            raise StoreClosedError("the Kafka event store is not open: use `async with store:` or open()")
        return self._admin, self._producer, self._offsets

    # --- streams --------------------------------------------------------------------------------------

    def topic_config(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` plus `min.insync.replicas` when set: the configuration of every topic this store creates."""
        extra = {} if self.min_insync_replicas is None else {"min.insync.replicas": str(self.min_insync_replicas)}
        return {**base, **extra}

    async def ensure_streams(self, specs: Sequence[StreamSpec]) -> None:
        admin, _, _ = self._open_clients()
        wanted = [*specs, StreamSpec(self.dead_letter_stream, 1)]
        await create_topics(
            admin,
            [NewTopic(self.topic(s.name), s.partitions, self.replication_factor, topic_configs=self.topic_config(LOG_CONFIG))
             for s in wanted],
            "topic",
        )
        await self._await_leaders([s.name for s in wanted])
        await self._track_topics([self.topic(s.name) for s in wanted])
        for spec in wanted:
            if self._partitions[spec.name] != spec.partitions:
                log.warning(
                    "stream %s already exists with %d partitions (%d asked): keeping %d",
                    spec.name, self._partitions[spec.name], spec.partitions, self._partitions[spec.name],
                )

    async def _await_leaders(self, streams: Sequence[str]) -> None:
        """Wait until the broker serves every partition of `streams` (a new topic takes a moment)."""
        admin, _, _ = self._open_clients()
        async with asyncio.timeout(TOPIC_READY_TIMEOUT):
            while True:
                described = await admin.describe_topics([self.topic(s) for s in streams])
                if all(_served(topic) for topic in described):
                    break
                await asyncio.sleep(0.05)  # metadata propagates from the controller asynchronously
        by_topic = {topic["topic"]: topic for topic in described}  # the broker may answer in any order
        for stream in streams:
            self._partitions[stream] = len(by_topic[self.topic(stream)]["partitions"])  # existing topics keep theirs

    async def _track_topics(self, topics: Sequence[str]) -> None:
        """Have the offsets client learn `topics` now (one metadata request). Its first look at a topic it
        does not know fails on stale metadata and asks again after aiokafka's retry backoff (100 ms): that was
        the orchestrator's first `_await_visible` of a write to `agents`, the latency benchmark's ~110 ms max."""
        _, _, offsets = self._open_clients()
        client = offsets._client  # aiokafka has no public call for this
        await asyncio.gather(*[client.add_topic(topic) for topic in topics])

    async def partition_count(self, stream: str) -> int:
        """Partitions of `stream` (cached); UnknownStreamError when its topic does not exist."""
        known = self._partitions.get(stream)
        if known is not None:
            return known
        admin, _, _ = self._open_clients()
        [described] = await admin.describe_topics([self.topic(stream)])
        if described["error_code"] == UNKNOWN_TOPIC_OR_PARTITION or not described["partitions"]:
            raise UnknownStreamError(stream)
        count = len(described["partitions"])
        self._partitions[stream] = count
        return count

    async def end_offsets(self, stream: str) -> dict[int, int]:
        """The next offset of every partition of `stream`. While the brokers do not answer (restarted, or
        frozen past the request timeout) it keeps asking, warning once, so a service rides out the outage
        (the orchestrator's subscription watch used to exit on it); cancel the caller to stop waiting."""
        self._open_clients()
        topic = self.topic(stream)
        tps = [TopicPartition(topic, p) for p in range(await self.partition_count(stream))]

        async def ask() -> dict[int, int]:
            _, _, offsets = self._open_clients()
            ends = await offsets.end_offsets(tps)
            return {tp.partition: ends[tp] for tp in tps}

        return await through_outages(ask, f"end offsets of {stream}", self.bootstrap_servers)

    # --- writing --------------------------------------------------------------------------------------

    async def encode(self, events: Sequence[Event]) -> list[OutRecord]:
        """Validate every event (nothing is returned if one fails), then encode it as a Kafka record."""
        for event in events:
            self.registry.check(event.type, event.data)
        records = []
        for event in events:
            partitions = await self.partition_count(event.stream)
            records.append(
                OutRecord(
                    self.topic(event.stream),
                    partition_for(event.subject, partitions),
                    event.subject.encode(),
                    self.registry.payload_bytes(event),
                    encode_headers(event),
                )
            )
        return records

    async def append(self, events: Sequence[Event]) -> list[Position]:
        if not events:
            return []
        records = await self.encode(events)
        written = await self._write_own(records)
        return [Position(meta.partition, meta.offset) for meta in written]

    async def _write_own(self, records: Sequence[OutRecord]) -> list[Any]:
        """Write `records` in one transaction of the store's own producer. A producer that fails does so for
        good (fenced: the broker aborted a transaction left open past the transaction timeout, or another
        producer took its transactional id; broken: aiokafka stops its sender on an unexpected error), so it
        is replaced before the next write; the failed write itself may have committed, so it is not retried
        but raised as AppendOutcomeUnknownError."""
        async with self._write_lock:  # one transaction at a time per producer
            producer = await self._own_producer()
            try:
                return await self.write(producer, records)
            except KafkaError as exc:
                self._producer_failed = True
                raise AppendOutcomeUnknownError(len(records), exc) from exc

    async def _own_producer(self) -> AIOKafkaProducer:
        """The store's producer (under the write lock), first replaced by a fresh one with the same
        transactional id when it failed: starting that fences the old epoch and finishes its last transaction."""
        _, producer, _ = self._open_clients()
        if not (self._producer_failed or _broken(producer)):
            return producer
        log.warning("the event store's Kafka producer failed: replacing it")
        await stop_producer(producer)  # stopping twice is harmless, should starting the fresh one fail
        _read_failed_batches(producer)
        fresh = self.transactional_producer(self._producer_id)
        try:
            await fresh.start()
        except BaseException as exc:
            await fresh.stop()
            if isinstance(exc, KafkaError):
                raise StoreUnavailableError(
                    f"cannot restart the event store's Kafka producer ({exc!r}): nothing was written; try again "
                    f"once the Kafka brokers at {self.bootstrap_servers} answer"
                ) from exc
            raise
        self._producer, self._producer_failed = fresh, False
        return fresh

    async def write(
        self,
        producer: AIOKafkaProducer,
        records: Sequence[OutRecord],
        offsets: Mapping[TopicPartition, int] | None = None,
        group: str | None = None,
    ) -> list[Any]:
        """Write `records` (and, for `group`, the consumer `offsets`) in one transaction of `producer`;
        return once readers can see them. The RecordMetadata of each record comes back in order."""
        sent: list[asyncio.Future[Any]] = []
        try:
            async with producer.transaction():
                if offsets and group is not None:
                    # Offsets first: a fenced producer fails here, before any record is queued (aiokafka
                    # would otherwise leave the queued batches' errors in futures nobody reads).
                    await producer.send_offsets_to_transaction(dict(offsets), self.group_id(group))
                sent = await send_records(producer, records)
        except BaseException as exc:
            for future in sent:  # they fail with the transaction: the error is the one raised here
                future.add_done_callback(mark_read)
            task = asyncio.current_task()
            if task is not None and task.cancelling() and not isinstance(exc, asyncio.CancelledError):
                # Cancelled mid-transaction, and aborting it failed (a fenced producer raises ProducerFenced
                # from the abort): the cancellation must win, or the caller would go on as if only fenced.
                raise asyncio.CancelledError(f"cancelled while writing a transaction ({exc!r})") from exc
            raise
        written = list(await asyncio.gather(*sent))
        await self._await_visible(written)
        return written

    async def _await_visible(self, written: Sequence[Any]) -> None:
        """Wait until read_committed readers see `written`: a commit returns before the broker has
        written its transaction markers, so the last stable offset moves a moment later. Subscriptions wait
        too, though nobody reads their writes: the producer's next transaction would otherwise often find
        this one still completing (CONCURRENT_TRANSACTIONS, retried by aiokafka after 20-100 ms), where one
        look here mostly costs one round trip.

        The transaction is committed (durable) already, so this never gives up: while the brokers are
        unreachable (restarted, frozen) it retries, warning once when it took longer than the
        transaction timeout; cancel the caller to stop waiting."""
        last: dict[TopicPartition, int] = {}
        for meta in written:
            last[meta.topic_partition] = max(meta.offset, last.get(meta.topic_partition, -1))
        if not last:
            return
        loop = asyncio.get_running_loop()
        warn_at: float | None = loop.time() + self.transaction_timeout_ms / 1000
        while True:
            _, _, offsets = self._open_clients()
            try:
                ends = await offsets.end_offsets(list(last))
                if all(ends[tp] > offset for tp, offset in last.items()):
                    return
                waiting_for, delay = "the transaction markers", VISIBLE_POLL
            except KafkaError as exc:  # the brokers are away: the markers get written once they are back
                waiting_for, delay = f"the Kafka brokers at {self.bootstrap_servers} ({exc!r})", VISIBLE_RETRY
            if warn_at is not None and loop.time() > warn_at:
                warn_at = None
                log.warning(
                    "committed records not visible to readers after %d ms: still waiting for %s",
                    self.transaction_timeout_ms, waiting_for,
                )
            await asyncio.sleep(delay)

    # --- reading --------------------------------------------------------------------------------------

    async def read_batches(
        self,
        stream: str,
        *,
        start: Mapping[int, int] | None = None,
        partitions: Sequence[int] | None = None,
        follow: bool = False,
    ) -> AsyncIterator[list[Event]]:
        chosen = check_partitions(stream, await self.partition_count(stream), partitions)
        topic = self.topic(stream)
        tps = [TopicPartition(topic, p) for p in chosen]
        consumer = self.consumer()
        try:
            await consumer.start()
            consumer.assign(tps)
            for tp in tps:
                consumer.seek(tp, (start or {}).get(tp.partition, 0))
            stops = None if follow else await consumer.end_offsets(tps)
            active = [tp for tp in tps if stops is None or await consumer.position(tp) < stops[tp]]
            while active:
                fetched = await consumer.getmany(*active, timeout_ms=500)
                for tp, records in fetched.items():
                    stop = None if stops is None else stops[tp]
                    for first in range(0, len(records), DECODE_SLICE):  # events a reader drops die young
                        chunk = records[first : first + DECODE_SLICE]
                        events = await self.decode_records(stream, tp.partition, chunk, stop)
                        if events:
                            yield events
                if stops is not None:
                    active = [tp for tp in active if await consumer.position(tp) < stops[tp]]
        finally:
            await consumer.stop()

    async def decode_records(
        self, stream: str, partition: int, records: Sequence[Any], stop: int | None = None
    ) -> list[Event]:
        """The events of consumed `records` (offsets below `stop`); undecodable ones are dead-lettered."""
        events, dead = decode_records(self.registry, stream, partition, records, stop)
        if dead:
            await self._dead_letter(dead)
        return events

    # --- dead letters ---------------------------------------------------------------------------------

    async def _dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        fresh = [letter for letter in letters if (letter.stream, letter.position) not in self._dead_seen]
        if not fresh:
            return
        topic = self.topic(self.dead_letter_stream)
        if self.dead_letter_stream not in self._partitions:
            await self.ensure_streams([])
        await self._write_own([to_dead_letter_record(topic, letter) for letter in fresh])
        for letter in fresh:
            self._dead_seen.add((letter.stream, letter.position))
            DEAD_LETTERS.labels(letter.stream).inc()
            log.warning(
                "dead-lettered a %s record at %s: %s", letter.stream, letter.position, letter.reason,
                extra={"stream": letter.stream, "position": letter.position, "reason": letter.reason},
            )

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        self._open_clients()
        try:
            await self.partition_count(self.dead_letter_stream)
        except UnknownStreamError:
            return []
        consumer = self.consumer()
        try:
            await consumer.start()
            tp = TopicPartition(self.topic(self.dead_letter_stream), 0)
            consumer.assign([tp])
            consumer.seek(tp, 0)
            end = (await consumer.end_offsets([tp]))[tp]
            letters = []
            while await consumer.position(tp) < end:
                for record in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                    if record.offset < end:
                        letters.append(
                            from_dead_letter_record(record.key, record.value, record.headers, record.timestamp)
                        )
        finally:
            await consumer.stop()
        return newest_distinct(letters, limit)

    # --- subscriptions --------------------------------------------------------------------------------

    def _subscription(self, spec: SubscriptionSpec) -> Subscription:
        return KafkaSubscription(self, spec)


def _broken(producer: AIOKafkaProducer) -> bool:
    """Whether `producer` can no longer write: fenced or otherwise in a fatal state, or its sender stopped."""
    sender = producer._sender.sender_task  # aiokafka has no public call for either
    return producer._txn_manager.is_fatal_error() or (sender is not None and sender.done())


def _read_failed_batches(producer: AIOKafkaProducer) -> None:
    """Read the errors aiokafka leaves in its failed batches' drain waiters (it fails every queued batch when
    its sender stops), or asyncio logs "Future exception was never retrieved" whenever they are collected."""
    accumulator = producer._message_accumulator  # aiokafka has no public call for this
    for batch in [*(b for queue in accumulator._batches.values() for b in queue), *accumulator._pending_batches]:
        if batch._drain_waiter.done():
            mark_read(batch._drain_waiter)


def _served(topic: Mapping[str, Any]) -> bool:
    return topic["error_code"] == 0 and bool(topic["partitions"]) and all(
        p["error_code"] == 0 and p["leader"] >= 0 for p in topic["partitions"]
    )


async def _stop_all(clients: Sequence[Any]) -> None:
    for client in clients:
        stop = client.close if isinstance(client, AIOKafkaAdminClient) else client.stop
        await stop()


def passing(exc: BaseException) -> bool:
    """Whether a client error passes once the brokers answer again (a retriable one, or a timeout: the
    admin client's wait for a broker raises a plain TimeoutError), as while a broker restarts or is frozen:
    worth trying again rather than failing."""
    if isinstance(exc, KafkaError):
        return exc.retriable or isinstance(exc, KafkaTimeoutError)
    return isinstance(exc, TimeoutError)


async def through_outages(attempt: Callable[[], Awaitable[T]], what: str, bootstrap_servers: str) -> T:
    """`attempt()`'s result, asked again every VISIBLE_RETRY seconds while it fails with an error that
    passes (the brokers do not answer); warns once, naming `what`. Cancel the caller to stop waiting."""
    warned = False
    while True:
        try:
            result = await attempt()
        except (KafkaError, TimeoutError) as exc:
            if not passing(exc):
                raise
            if not warned:
                log.warning("%s: the Kafka brokers at %s do not answer (%r); trying again until they do",
                            what, bootstrap_servers, exc)
                warned = True
        else:
            if warned:
                log.info("%s: the Kafka brokers at %s answer again", what, bootstrap_servers)
            return result
        await asyncio.sleep(VISIBLE_RETRY)


async def create_topics(
    admin: AIOKafkaAdminClient, topics: Sequence[NewTopic], what: str, timeout: float = TOPIC_READY_TIMEOUT
) -> None:
    """Create `topics` (one that exists already is fine). An error that passes (a retriable one, or too few
    unfenced brokers for the replication factor, as while a broker shuts down or restarts; a connection
    that fails, a broker that does not answer in time) is retried for up to `timeout` seconds; any other
    answer, or one that outlasts the timeout, raises EventStoreError naming the `what` (topic, view topic) and the broker's reason (a client error
    that outlasts it is raised as it is)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pending = list(topics)
    while True:
        try:
            response = await admin.create_topics(pending)
        except (KafkaError, TimeoutError) as exc:
            if not passing(exc) or loop.time() >= deadline:
                raise
            reason = repr(exc)
        else:
            failed = {
                name: (code, message[0] if message and message[0] else f"error code {code}")
                for name, code, *message in response.topic_errors
                if code not in (0, TOPIC_ALREADY_EXISTS)
            }
            if not failed:
                return
            name, (_, reason) = next(iter(failed.items()))
            answers_pass = all(code == INVALID_REPLICATION_FACTOR or for_code(code).retriable for code, _ in failed.values())
            if not answers_pass or loop.time() >= deadline:
                raise EventStoreError(f"could not create {what} {name!r}: {reason}")
            pending = [topic for topic in pending if topic.name in failed]
        log.warning("creating %s %r: %s; trying again", what, pending[0].name, reason)
        await asyncio.sleep(TOPIC_RETRY_PAUSE)
