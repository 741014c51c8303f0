"""The event store contract (eventstore/store.py), proved the same way on every backend.

Handler failures: a handler that raises stops its subscription without committing the batch; the
error comes out of `wait_caught_up` (or out of the `async with` block). A new subscription of the
same group then starts again after the last committed batch.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from eventstore import Event, EventStore, EventValidationError, StreamSpec, UnknownEventTypeError
from eventstore.errors import RecordTooLargeError, UnknownStreamError
from eventstore.registry import MAX_PAYLOAD_BYTES
from eventstore.store import partition_for
from tests.eventstore.backends import POISON_TYPE, Backend
from tests.eventstore.collect import WAIT, Collector
from tests.eventstore.ledger import (
    ACCOUNTS,
    audit_handler,
    audit_of,
    by_partition,
    deposit,
    deposits,
    read_all,
    streams,
)
from tests.eventstore.payloads import AccountOpened, Audited, Deposited

# --- append and read ----------------------------------------------------------------------------------


async def test_read_returns_appended_events_with_envelope_and_positions(store: EventStore) -> None:
    await streams(store)
    opened = Event("AccountOpened", "acc-1", AccountOpened(account="acc-1", owner="ann"), stream="ledger", actor="ann")
    follow_up = deposit("acc-1", 1).caused_by(opened)

    positions = await store.append([opened, follow_up])

    [first, second] = await read_all(store, "ledger")
    partition = partition_for("acc-1", 3)
    assert positions == [first.position, second.position]
    assert [p.partition for p in positions] == [partition, partition]
    assert positions[1].offset == positions[0].offset + 1
    assert (first.id, first.type, first.subject, first.actor, first.data) == (
        opened.id, "AccountOpened", "acc-1", "ann", AccountOpened(account="acc-1", owner="ann"),
    )
    assert first.time == opened.time
    assert (second.correlationid, second.causationid) == (opened.id, opened.id)
    assert second.data == Deposited(account="acc-1", amount=10, seq=1)


async def test_events_of_one_subject_keep_their_order(store: EventStore) -> None:
    await streams(store)
    batch = deposits(60)
    for start in range(0, 60, 7):
        await store.append(batch[start : start + 7])

    events = await read_all(store, "ledger")

    assert len(events) == 60
    for account in ACCOUNTS:
        seqs = [e.data.seq for e in events if e.subject == account]  # type: ignore[attr-defined]
        assert seqs == sorted(seqs) and len(seqs) == 12
        assert {e.position.partition for e in events if e.subject == account} == {partition_for(account, 3)}  # type: ignore[union-attr]
    for partition, ids in by_partition(events).items():
        offsets = [e.position.offset for e in events if e.position.partition == partition]  # type: ignore[union-attr]
        assert offsets == sorted(offsets) and len(ids) == len(offsets)


async def test_end_offsets_are_where_a_reader_is_caught_up(store: EventStore) -> None:
    await streams(store)
    assert await store.end_offsets("ledger") == {0: 0, 1: 0, 2: 0}
    await store.append(deposits(20))

    ends = await store.end_offsets("ledger")

    for event in await read_all(store, "ledger"):
        assert event.position is not None and event.position.offset < ends[event.position.partition]
    assert await read_all(store, "ledger", start=ends) == []
    later = deposits(4)
    await store.append(later)
    assert sorted(e.id for e in await read_all(store, "ledger", start=ends)) == sorted(e.id for e in later)


async def test_a_batch_with_one_invalid_event_writes_nothing(store: EventStore) -> None:
    await streams(store)
    bad = Event("Deposited", "acc-2", Deposited.model_construct(account="acc-2", amount=-5, seq=0), stream="ledger")
    batch = [deposit("acc-1", 0), Event("Audited", "acc-1", Audited(account="acc-1", of_event="x"), stream="audit"), bad]

    with pytest.raises(EventValidationError) as raised:
        await store.append(batch)

    assert raised.value.field == "amount"
    assert "amount" in str(raised.value)
    assert await store.end_offsets("ledger") == {0: 0, 1: 0, 2: 0}
    assert await store.end_offsets("audit") == {0: 0, 1: 0}


async def test_an_unregistered_event_type_writes_nothing(store: EventStore) -> None:
    await streams(store)
    unknown = Event("Withdrawn", "acc-1", Deposited(account="acc-1", amount=1), stream="ledger")

    with pytest.raises(UnknownEventTypeError, match="Withdrawn"):
        await store.append([deposit("acc-1", 0), unknown])

    assert await read_all(store, "ledger") == []


async def test_the_largest_payload_is_kept_whole_and_a_larger_one_writes_nothing(store: EventStore) -> None:
    await streams(store)
    framing = len(b'{"account":"acc-1","owner":""}')
    largest = Event("AccountOpened", "acc-1", AccountOpened(account="acc-1", owner="x" * (MAX_PAYLOAD_BYTES - framing)),
                    stream="ledger")
    too_large = Event("AccountOpened", "acc-1",
                      AccountOpened(account="acc-1", owner="x" * (MAX_PAYLOAD_BYTES - framing + 1)), stream="ledger")

    with pytest.raises(RecordTooLargeError) as raised:
        await store.append([deposit("acc-1", 0), too_large])
    assert (raised.value.type, raised.value.subject, raised.value.size) == ("AccountOpened", "acc-1",
                                                                            MAX_PAYLOAD_BYTES + 1)
    assert "too large" in str(raised.value) and str(MAX_PAYLOAD_BYTES) in str(raised.value)
    assert await read_all(store, "ledger") == []

    await store.append([largest])
    [read] = await read_all(store, "ledger")
    assert read.data == largest.data


async def test_appending_to_a_stream_never_created_is_refused(store: EventStore) -> None:
    await streams(store)

    with pytest.raises(UnknownStreamError, match="nowhere"):
        await store.append([deposit("acc-1", 0, stream="nowhere")])

    assert await read_all(store, "ledger") == []


async def test_read_from_start_offsets_and_chosen_partitions(store: EventStore) -> None:
    await streams(store)
    await store.append(deposits(30))
    everything = await read_all(store, "ledger")
    partition = partition_for("acc-1", 3)

    tail = await read_all(store, "ledger", start={partition: 2}, partitions=[partition])

    expected = [e.id for e in everything if e.position.partition == partition and e.position.offset >= 2]  # type: ignore[union-attr]
    assert [e.id for e in tail] == expected and expected
    with pytest.raises(ValueError, match="partition 7"):
        await read_all(store, "ledger", partitions=[7])


async def test_replay_from_zero_equals_live_consumption(store: EventStore) -> None:
    await streams(store)
    live = Collector()
    follower = asyncio.create_task(live.follow(store.read("ledger", follow=True)))
    try:
        batch = deposits(45)
        for start in range(0, 45, 9):
            await store.append(batch[start : start + 9])
        await live.until(45)
    finally:
        follower.cancel()

    replayed = await read_all(store, "ledger")

    assert by_partition(replayed) == by_partition(live.events)
    assert sorted(e.id for e in replayed) == sorted(e.id for e in batch)


# --- subscriptions ------------------------------------------------------------------------------------


async def test_group_resumes_after_its_last_commit_and_on_assign_gets_committed_positions(store: EventStore) -> None:
    await streams(store)
    await store.append(deposits(20))
    first, assigned = Collector(), []

    async def on_assign(positions: dict[int, int]) -> None:
        assigned.append(dict(positions))

    async with store.subscribe("auditor", "ledger", audit_handler(first), on_assign=on_assign) as sub:
        await sub.wait_caught_up(WAIT)
        assert sub.lag() == {0: 0, 1: 0, 2: 0}
    committed = await store.end_offsets("ledger")
    assert sorted(first.ids) == sorted(e.id for e in await read_all(store, "ledger"))
    assert assigned == [{0: 0, 1: 0, 2: 0}]

    second, reassigned = Collector(), []

    async def on_reassign(positions: dict[int, int]) -> None:
        reassigned.append(dict(positions))

    async with store.subscribe("auditor", "ledger", audit_handler(second), on_assign=on_reassign) as sub:
        later = deposits(10)
        await store.append(later)
        await second.until(10)
        await sub.wait_caught_up(WAIT)

    assert sorted(second.ids) == sorted(e.id for e in later)
    assert reassigned == [committed]
    audits = await read_all(store, "audit")
    assert sorted(a.causationid for a in audits) == sorted(first.ids + second.ids)  # type: ignore[type-var]


async def test_batches_answered_with_nothing_are_committed_as_well(store: EventStore) -> None:
    await streams(store)
    inputs = deposits(9)
    await store.append(inputs)
    ignored = Collector()

    async def ignore(partition: int, batch: Sequence[Event]) -> list[Event]:
        await ignored.add(batch)
        return []

    async with store.subscribe("auditor", "ledger", ignore) as sub:
        await sub.wait_caught_up(WAIT)
        assert sub.lag() == {0: 0, 1: 0, 2: 0}
    resumed = Collector()
    async with store.subscribe("auditor", "ledger", audit_handler(resumed)) as sub:
        later = deposits(3)
        await store.append(later)
        await sub.wait_caught_up(WAIT)

    assert sorted(ignored.ids) == sorted(e.id for e in inputs)
    assert sorted(resumed.ids) == sorted(e.id for e in later)
    assert sorted(a.causationid for a in await read_all(store, "audit")) == sorted(resumed.ids)  # type: ignore[type-var]


class Boom(RuntimeError):
    """The simulated crash."""


async def test_at_least_once_redelivers_a_batch_whose_commit_never_happened(store: EventStore) -> None:
    await store.ensure_streams([StreamSpec("ledger", 1), StreamSpec("audit", 2)])
    inputs = deposits(12)
    await store.append(inputs)
    crashed_on: list[Event] = []

    async def append_then_crash(partition: int, batch: Sequence[Event]) -> list[Event]:
        await store.append([audit_of(event) for event in batch])  # the work got done ...
        crashed_on.extend(batch)
        raise Boom("crash before the commit")  # ... but the position was never committed

    with pytest.raises(Boom):
        async with store.subscribe("auditor", "ledger", append_then_crash, exactly_once=False) as sub:
            await sub.wait_caught_up(WAIT)

    redelivered = Collector()
    async with store.subscribe("auditor", "ledger", audit_handler(redelivered), exactly_once=False) as sub:
        await sub.wait_caught_up(WAIT)

    assert [e.id for e in redelivered.events] == [e.id for e in inputs]
    audited = [a.causationid for a in await read_all(store, "audit")]
    assert sorted(audited) == sorted([e.id for e in inputs] + [e.id for e in crashed_on])
    assert crashed_on


async def test_exactly_once_never_duplicates_after_a_failure_mid_batch(store: EventStore) -> None:
    await store.ensure_streams([StreamSpec("ledger", 1), StreamSpec("audit", 2)])
    inputs = deposits(12)
    await store.append(inputs)
    failures = iter([True])

    async def fail_once_midway(partition: int, batch: Sequence[Event]) -> list[Event]:
        outputs = []
        for index, event in enumerate(batch):
            if index == len(batch) // 2 and next(failures, False):
                raise Boom("crash halfway through the batch")
            outputs.append(audit_of(event))
        return outputs

    with pytest.raises(Boom):
        async with store.subscribe("auditor", "ledger", fail_once_midway) as sub:
            await sub.wait_caught_up(WAIT)
    async with store.subscribe("auditor", "ledger", fail_once_midway) as sub:
        await sub.wait_caught_up(WAIT)

    audited = [a.causationid for a in await read_all(store, "audit")]
    assert sorted(audited) == sorted(e.id for e in inputs)  # type: ignore[type-var]


async def test_exactly_once_never_duplicates_when_cancelled_mid_batch(store: EventStore) -> None:
    await store.ensure_streams([StreamSpec("ledger", 1), StreamSpec("audit", 2)])
    inputs = deposits(8)
    await store.append(inputs)
    started, never = asyncio.Event(), asyncio.Event()

    async def hang(partition: int, batch: Sequence[Event]) -> list[Event]:
        started.set()
        await never.wait()
        return [audit_of(event) for event in batch]

    async with store.subscribe("auditor", "ledger", hang):
        async with asyncio.timeout(WAIT):
            await started.wait()
    seen = Collector()
    async with store.subscribe("auditor", "ledger", audit_handler(seen)) as sub:
        await sub.wait_caught_up(WAIT)

    assert seen.ids == [e.id for e in inputs]
    audited = [a.causationid for a in await read_all(store, "audit")]
    assert sorted(audited) == sorted(e.id for e in inputs)  # type: ignore[type-var]


async def test_poison_records_are_dead_lettered_and_consumption_goes_on(backend: Backend) -> None:
    store = backend.store
    await streams(store)
    before, after = deposit("acc-1", 1), deposit("acc-1", 2)
    await store.append([before])
    await backend.poison("ledger", "acc-1")
    await store.append([after])
    seen = Collector()

    async with store.subscribe("auditor", "ledger", audit_handler(seen)) as sub:
        await sub.wait_caught_up(WAIT)

    assert seen.ids == [before.id, after.id]
    assert [e.id for e in await read_all(store, "ledger")] == [before.id, after.id]
    [letter] = await store.dead_letters()
    partition = partition_for("acc-1", 3)
    assert letter.stream == "ledger"
    assert letter.position is not None and letter.position.partition == partition
    assert POISON_TYPE in letter.reason
    assert letter.value is not None and letter.value.startswith(b'{"account"')
