"""A Kafka consumer-group subscription: batches per partition to a handler, exactly once or at least once.

Exactly once (aiokafka has no KIP-447): one transactional producer per owned input partition, with the
stable id `{prefix}{group}-{stream}-{partition}`, created when the partition is assigned and closed when
it goes. The handler's events and the group's new offset are written in one transaction; a zombie that
lost the partition is fenced by the new owner's producer (ProducerFenced) and drops the partition. So
does a member whose producer the broker fenced by aborting a transaction left open past the transaction
timeout (a paused broker), whose producer broke, or whose batch failed on any Kafka error (the handler's
reads too): it also rejoins the group, since no rebalance would come otherwise, and the rebalance gives
the partition back fresh from the committed offset.
A batch the handler answers with nothing (the member's own outputs read back, transaction markers) is
committed with a plain group commit, which the group fences by generation: a transaction of offsets alone
would make the partition's next transaction wait for it to complete (the broker answers
CONCURRENT_TRANSACTIONS and aiokafka retries after `retry_backoff_ms`, see `PRODUCER_RETRY`). That commit
is not waited for: the loop fetches on while it is in flight (the orchestrator reads its own outputs back
just before the agent's answer it waits for), and the partition's next commit of either kind, or the
next rebalance, first waits for it, so a partition's committed offset only moves forward; should it fail,
the partition is lost as for any failed batch.
At least once: the events are appended, then the offset committed.

Rebalances are eager (every member revokes everything, then gets its new share): the listener only
waits for the batch in flight and records the new assignment; the consume loop then reconciles it,
calling `on_revoke` for partitions that went and `on_assign` (with the committed offsets) for new ones
before handling any of their records. A partition kept across a rebalance keeps its producer, unless
the member missed a generation (it was frozen or cut off, so the group may have given the partition to
another member meanwhile, whose producer fenced ours): then every partition is dropped and taken again
with a fresh producer and the committed offset. A kept partition is sought back to the offset committed
here, since records fetched while the rebalance was under way were dropped unhandled. Offsets committed are consumer positions, so they move
past transaction markers and "caught up" compares them with end offsets.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError

from eventstore.errors import StoreUnavailableError
from eventstore.groupsubscription import GroupSubscription
from eventstore.records import Event
from eventstore.store import SubscriptionSpec

if TYPE_CHECKING:
    from eventstore.kafka import KafkaEventStore

log = logging.getLogger(__name__)

POLL_MS = 200
"""Longest wait for records before looking at idle partitions (markers) again."""


class _Listener(ConsumerRebalanceListener):
    def __init__(self, subscription: "KafkaSubscription") -> None:
        self._subscription = subscription

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._subscription.rebalancing()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._subscription.assigned({tp.partition for tp in assigned}, self._subscription.generation())


class KafkaSubscription(GroupSubscription["KafkaEventStore"]):
    """One member of consumer group `spec.group` on `spec.stream` (see the module docstring)."""

    def __init__(self, store: "KafkaEventStore", spec: SubscriptionSpec) -> None:
        super().__init__(store, spec)
        self._topic = store.topic(spec.stream)
        self._consumer: AIOKafkaConsumer | None = None
        self._producers: dict[int, AIOKafkaProducer | None] = {}
        """Owned partitions (their producer when exactly once)."""
        self._committed: dict[int, int] = {}
        self._commits: dict[int, tuple[int, asyncio.Task[None]]] = {}
        """Plain group commits not waited for yet: partition -> (offset, commit task)."""
        self._pending: set[int] | None = None
        """The assignment of the last rebalance, not reconciled yet."""
        self._generation: int | None = None
        """The group generation of the last assignment."""
        self._missed_generation = False
        """Whether a generation went by without this member since the last reconciliation."""
        self._uncommitted: set[int] = set()
        """Partitions whose plain commit failed when the last rebalance began: taken again, not kept."""
        self._rebalancing = False
        self._joined = False
        self._batch = asyncio.Lock()

    # --- Subscription ---------------------------------------------------------------------------------

    def lag(self) -> dict[int, int]:
        if self._consumer is None:
            return {}
        lags = {}
        for p, committed in self._committed.items():
            end = self._consumer.last_stable_offset(TopicPartition(self._topic, p))
            lags[p] = max(0, (committed if end is None else end) - committed)
        return lags

    def _caught_up(self, targets: dict[int, int]) -> bool:
        return (
            self._joined
            and self._pending is None
            and not self._rebalancing
            and all(self._committed.get(p, 0) >= targets.get(p, 0) for p in self._producers)
        )

    # --- rebalance listener -----------------------------------------------------------------------

    async def rebalancing(self) -> None:
        """Eager rebalance started: wait for the batch in flight, then hold batches until the new assignment."""
        async with self._batch:
            self._rebalancing = True
            self._joined = False
            self._uncommitted |= await self._settle_commits(sorted(self._commits))

    def generation(self) -> int:
        """The group generation this member is in now (aiokafka keeps it in its coordinator only)."""
        assert self._consumer is not None
        generation: int = self._consumer._coordinator.generation
        return generation

    def assigned(self, partitions: set[int], generation: int) -> None:
        if self._generation is not None and generation != self._generation + 1:
            self._missed_generation = True
        self._generation = generation
        self._pending = partitions
        self._rebalancing = False
        self._progress.fire()

    # --- the consume loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        consumer = self._store.consumer(self._group)
        consumer.subscribe([self._topic], listener=_Listener(self))
        self._consumer = consumer
        try:
            await self._store.partition_count(self._stream)  # UnknownStreamError rather than waiting forever
            await consumer.start()
            while True:
                token = self._progress.token()
                if self._pending is not None and not self._rebalancing:
                    await self._reconcile(consumer)
                if not self._rebalancing and self._pending is None:
                    # Not under the lock: a member the group dropped waits in getmany for its next
                    # assignment, and the rebalance giving it waits for the lock (revoke listener).
                    fetched = await consumer.getmany(timeout_ms=POLL_MS, max_records=self._max_batch)
                    async with self._batch:  # a rebalance waits for the handling
                        if not self._rebalancing and self._pending is None:
                            await self._handle_all(consumer, fetched)
                            continue
                        # fetched while a rebalance was under way (under either assignment): dropped;
                        # reconciling the new one seeks every partition back to its committed offset
                await self._progress.wait(token, POLL_MS / 1000)  # a rebalance is under way
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("subscription %s on %s stopped: %r", self._group, self._stream, exc)
            self._error = exc
        finally:
            self._closing = True  # never interrupted from now on: the consumer must leave the group
            self._progress.fire()
            await self._shutdown(consumer)

    async def _reconcile(self, consumer: AIOKafkaConsumer) -> None:
        assert self._pending is not None
        target, self._pending = self._pending, None
        kept = set() if self._missed_generation else target - self._uncommitted
        self._uncommitted = set()
        if self._missed_generation and self._producers:
            log.info(
                "group %s on %s: this member missed a generation (now %s), so its partitions may have had "
                "another owner meanwhile: taking them all again", self._group, self._stream, self._generation,
            )
        self._missed_generation = False
        gone = sorted(set(self._producers) - kept)
        if gone:
            await self._drop(gone)
        for p in sorted(kept & set(self._producers)):
            # A batch fetched while this assignment was pending was dropped unhandled, but the consumer's
            # position moved past it: go back to the last offset committed here (the plain commits were
            # settled when the rebalance began), or those records would be skipped for good.
            consumer.seek(TopicPartition(self._topic, p), self._committed[p])
        fresh: dict[int, int] = {}
        for p in sorted(target - set(self._producers)):
            # The producer first: starting it fences the previous owner and completes its last
            # transaction, so the committed offset read next is final.
            producer = await self._start_producer(p)
            try:
                position = await _committed_position(consumer, TopicPartition(self._topic, p))
            except BaseException as exc:  # taken away again (the next reconciliation sees it), or shut down
                if producer is not None:
                    await stop_producer(producer)
                if isinstance(exc, IllegalStateError):
                    continue
                raise
            self._producers[p] = producer
            self._committed[p] = fresh[p] = position
        if fresh and self._on_assign is not None:
            await self._on_assign(fresh)
        self._joined = self._pending is None and not self._rebalancing
        self._progress.fire()

    async def _start_producer(self, partition: int) -> AIOKafkaProducer | None:
        if not self._exactly_once:
            return None
        producer = self._store.transactional_producer(f"{self._group}-{self._stream}-{partition}")
        try:
            await producer.start()
            # Starting does not wait for the broker to register this producer; beginning a transaction
            # does. Registering fences any earlier owner of this id and finishes its last transaction.
            await producer.begin_transaction()
            await producer.abort_transaction()  # empty: nothing is sent
        except BaseException:
            await stop_producer(producer)
            raise
        return producer

    async def _handle_all(self, consumer: AIOKafkaConsumer, fetched: dict[TopicPartition, list[Any]]) -> None:
        """Handle the batches of the owned partitions concurrently (each has its own producer, so their
        transactions overlap; the handler is never called twice at once for one partition). All of them
        finish, committed or not, before the first error, if any, is raised."""
        batches = []
        for p in sorted(self._producers):
            tp = TopicPartition(self._topic, p)
            records = fetched.get(tp, [])
            position = await consumer.position(tp)
            if records or position > self._committing(p):  # records, or only transaction markers passed
                batches.append(self._handle(tp, records, position))
        outcomes = await asyncio.gather(*batches, return_exceptions=True)
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        for failure in failures[1:]:
            log.error("group %s on %s: another partition's batch failed too: %r", self._group, self._stream, failure)
        if failures:
            raise failures[0]

    async def _handle(self, tp: TopicPartition, records: Sequence[Any], next_offset: int) -> None:
        assert self._consumer is not None
        p = tp.partition
        producer = self._producers[p]
        try:  # a Kafka error anywhere (the handler's own reads too) leaves the batch uncommitted
            events = await self._store.decode_records(self._stream, p, records)
            outputs: Sequence[Event] = (await self._handler(p, events) or ()) if events else ()
            encoded = await self._store.encode(outputs)
            await self._wait_commit(p)  # the partition's offsets are committed in order
            if producer is not None and encoded:
                await self._store.write(producer, encoded, {tp: next_offset}, self._group)
            elif outputs:  # at least once
                await self._store.append(outputs)
                await self._consumer.commit({tp: next_offset})
            else:  # nothing to write with it (see the module docstring): a plain group commit, not waited for
                commit = asyncio.create_task(self._commit(tp, next_offset))
                commit.add_done_callback(mark_read)  # its error is raised where it is awaited, if it is
                self._commits[p] = (next_offset, commit)
                return
        except (KafkaError, StoreUnavailableError) as exc:  # the latter from the store's own append
            await self._lose(tp, exc)
            return
        self._advanced(p, next_offset)

    def _advanced(self, partition: int, offset: int) -> None:
        self._committed[partition] = offset
        self._progress.fire()

    async def _commit(self, tp: TopicPartition, offset: int) -> None:
        assert self._consumer is not None
        await self._consumer.commit({tp: offset})
        if tp.partition in self._committed:  # not dropped meanwhile
            self._advanced(tp.partition, offset)

    def _committing(self, partition: int) -> int:
        """The offset `partition` is committed at, or being committed to; -1 when that commit failed (the
        next look at the partition raises its error)."""
        offset, task = self._commits.get(partition, (self._committed[partition], None))
        if task is not None and task.done() and (task.cancelled() or task.exception() is not None):
            return -1
        return offset

    async def _wait_commit(self, partition: int) -> None:
        """Wait for the plain commit of `partition` in flight, if any; its error is raised here."""
        offset_task = self._commits.pop(partition, None)
        if offset_task is not None:
            await offset_task[1]

    async def _settle_commits(self, partitions: Sequence[int]) -> set[int]:
        """Wait for the plain commits of `partitions` in flight (a rebalance or a drop): one that fails
        leaves the offset where it was, so the partition's next owner handles that batch again (this member
        too: it takes the partition again, fresh, rather than keep it). The partitions that failed."""
        failed = set()
        for p in partitions:
            try:
                await self._wait_commit(p)
            except KafkaError as exc:
                failed.add(p)
                log.warning("group %s on %s: committing partition %s failed (%r); its next owner handles that "
                            "batch again", self._group, self._stream, p, exc)
        return failed

    async def _lose(self, tp: TopicPartition, exc: KafkaError | StoreUnavailableError) -> None:
        """The batch of `tp` was not committed: the partition's producer was fenced (by a new owner, or by
        the broker aborting a transaction left open past the transaction timeout, e.g. across a broker
        pause) or broke (aiokafka stops a producer for good on an unexpected error), the group moved on,
        or a request of the handler's timed out (a broker frozen past the request timeout).
        Drop the partition and rejoin the group: the rebalance gives it back, to this member or to its new
        owner, with a fresh producer from the committed offset. Without the rejoin, a member fenced by the
        broker alone would keep the partition in its assignment and never handle it again."""
        assert self._consumer is not None
        log.warning(
            "group %s lost partition %s of %s (fenced, its producer failed or the brokers did not answer): %r; "
            "rejoining the group to take it again from the committed offset", self._group, tp.partition,
            self._stream, exc,
        )
        self._joined = False  # not caught up until the rebalance is reconciled
        await self._drop([tp.partition])
        self._consumer.pause(tp)  # until the rebalance: the new assignment starts unpaused
        self._consumer._coordinator.request_rejoin()  # aiokafka has no public call for this

    async def _drop(self, partitions: Sequence[int]) -> None:
        """Stop handling `partitions` (revoked or fenced) and tell the handler to forget them."""
        await self._settle_commits([p for p in partitions if p in self._commits])
        for p in partitions:
            producer = self._producers.pop(p, None)
            self._committed.pop(p, None)
            if producer is not None:
                await stop_producer(producer)
        if self._on_revoke is not None:
            await self._on_revoke(list(partitions))

    async def _shutdown(self, consumer: AIOKafkaConsumer) -> None:
        try:
            if self._producers:
                await self._drop(sorted(self._producers))
        finally:
            await consumer.stop()
            self._consumer = None


async def _committed_position(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int:
    """Seek `tp` to the group's committed offset as the broker has it now (the earliest when none: the
    consumer's position may have moved past records fetched and dropped in a rebalance)."""
    committed = await consumer.committed(tp)
    if committed is None:
        await consumer.seek_to_beginning(tp)
    elif committed != await consumer.position(tp):
        consumer.seek(tp, committed)
    return await consumer.position(tp)


def mark_read(future: asyncio.Future[Any]) -> None:
    """Keep asyncio from logging the error of a future nobody awaits (a commit whose partition was dropped
    while shutting down, a record sent in a failed transaction): `exception()` marks it as read."""
    if not future.cancelled():
        future.exception()


async def stop_producer(producer: AIOKafkaProducer) -> None:
    await producer.stop()
    # A fenced producer keeps its fatal error in a future aiokafka never awaits again; read it, or
    # asyncio logs "Future exception was never retrieved" when it is collected.
    waiter = producer._txn_manager.wait_for_transaction_end()  # None: no transaction ever began
    if waiter is not None and waiter.done() and not waiter.cancelled():
        waiter.exception()
