"""Rebuilding the read models: the whole log folded into a fresh projection file, in this process or
shared out among worker processes.

In one process, three stages overlap: a task reads (and decodes) the next batches, a thread folds this
one, the store's thread commits the previous one. With `store_url` (where other processes can open the
same event store) and more than one worker, the log's partitions are shared out among worker processes
instead, balanced by their record counts, each worker reading and folding only its own partitions. That
gives the same read models because every document changes from the events of one partition only and no
fold reads a document of another partition (the live runner, which interleaves partitions as they come,
relies on it too; the rebuild-equals-live tests check both paths). Every worker commits its batches into
the new file itself (SQLite takes their transactions one at a time; their documents, audit entries and
positions never collide), so nothing is merged at the end; a document two workers wrote is reported
then. The audit's indexes are made last.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing
from pathlib import Path

import fleetevents
from eventstore import Event, EventStore
from eventstore.factory import open_store
from fleetevents import streams
from projections.documents import Key
from projections.fold import DocumentSet
from projections.gcpause import no_collections, no_full_collections
from projections.runner import STREAMS, Projector
from projections.store import Positions, ProjectionStore
from projections.workerpool import Progress, run_in_processes

log = logging.getLogger(__name__)

Share = dict[str, list[int]]
"""{stream: [partition, ...]}: the part of the log one worker folds."""


async def rebuild(
    event_store: EventStore,
    new_db_path: str | Path,
    *,
    batch_size: int = 20000,
    store_url: str | None = None,
    workers: int | None = None,
) -> dict[str, dict[int, int]]:
    """Replay the whole log into a new projection file (which must not exist yet); returns its positions.

    Stops at the end of each partition as seen when it is read; a runner started on the file goes on
    from there. `store_url` is the event store's URL (as `eventstore.factory.open_store` takes it): with
    it, `workers` processes (default: one per CPU) share the partitions out; without it, or with
    `workers=1`, the log is folded in this process.
    """
    path = Path(new_db_path)
    if path.exists():
        raise FileExistsError(f"{path} already exists: rebuild writes a fresh file; remove it or choose another path")
    await event_store.ensure_streams(streams.ALL_STREAMS)
    count = _worker_count(store_url, workers)
    sizes = await _partition_sizes(event_store) if count > 1 else {}
    shares = share_out(sizes, count)
    if store_url is not None and len(shares) > 1:
        positions = await _rebuild_in_processes(store_url, path, shares, batch_size, sum(sizes.values()))
    else:
        with no_full_collections():
            async with ProjectionStore(path, defer_indexes=True) as store:
                positions = await _replay_into(event_store, Projector(store, DocumentSet(), {}), batch_size)
                await store.create_indexes()
    out: dict[str, dict[int, int]] = {}
    for (stream, partition), offset in sorted(positions.items()):
        out.setdefault(stream, {})[partition] = offset
    return out


def _worker_count(store_url: str | None, workers: int | None) -> int:
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if store_url is None or store_url.lower().startswith("memory:"):
        if workers is not None and workers > 1:
            raise ValueError(
                f"a rebuild in {workers} worker processes needs the URL of a store they can open (sqlite or "
                f"kafka), got {store_url!r}: pass store_url, or workers=1"
            )
        return 1
    return workers if workers is not None else os.cpu_count() or 1


async def _partition_sizes(event_store: EventStore) -> dict[tuple[str, int], int]:
    """(stream, partition) -> its end offset (its record count: the work of folding it)."""
    return {
        (stream, partition): end
        for stream in STREAMS
        for partition, end in (await event_store.end_offsets(stream)).items()
        if end > 0
    }


def share_out(sizes: Mapping[tuple[str, int], int], workers: int) -> list[Share]:
    """The partitions split into up to `workers` shares of about the same size (largest first, each to
    the share with the least so far); empty shares are left out."""
    heap = [(0, index) for index in range(workers)]
    shares: list[Share] = [{} for _ in range(workers)]
    for (stream, partition), size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        load, index = heapq.heappop(heap)
        shares[index].setdefault(stream, []).append(partition)
        heapq.heappush(heap, (load + size, index))
    return [share for share in shares if share]


async def _rebuild_in_processes(
    store_url: str, path: Path, shares: Sequence[Share], batch_size: int, total: int
) -> Positions:
    async with ProjectionStore(path, defer_indexes=True) as store:  # the tables, made before the workers open it
        started = time.monotonic()
        results = await run_in_processes(
            fold_share, [(store_url, str(path), share, batch_size) for share in shares], total=total, label="rebuild"
        )
        folded = time.monotonic()
        check_disjoint(path, [written for _, written in results])
        await store.create_indexes()
    log.info("rebuild: %s events folded by %d processes in %.1f s, audit indexed in %.1f s",
             f"{total:,}", len(shares), folded - started, time.monotonic() - folded)
    return {where: offset for positions, _ in results for where, offset in positions.items()}


def check_disjoint(path: Path, written: Sequence[set[Key]]) -> None:
    """Raise ValueError when two workers wrote the same document (`written[i]`: the keys worker i wrote):
    a read model folded one document from several partitions, so the file is not what one process makes."""
    writer: dict[Key, int] = {}
    for index, keys in enumerate(written):
        for key in keys:
            first = writer.setdefault(key, index)
            if first != index:
                raise ValueError(
                    f"rebuilding {path}: workers {first} and {index} both wrote the document {key}, so a read model "
                    "folded one document from several partitions; rebuild with one worker"
                )


def fold_share(
    progress: Progress, store_url: str, path: str, share: Share, batch_size: int
) -> tuple[Positions, set[Key]]:
    """A worker process's job: fold the partitions of `share` into the projection file `path` (made
    already); its positions and the keys of the documents it wrote."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_fold_share(progress, store_url, Path(path), share, batch_size))


async def _fold_share(
    progress: Progress, store_url: str, path: Path, share: Share, batch_size: int
) -> tuple[Positions, set[Key]]:
    written: set[Key] = set()
    async with open_store(store_url, fleetevents.registry) as event_store:
        with no_collections():
            async with ProjectionStore(path, defer_indexes=True) as store:
                projector = Projector(store, DocumentSet(), {})
                positions = await _replay_into(event_store, projector, batch_size, share, progress.add, written)
    return positions, written


async def _replay_into(
    event_store: EventStore,
    projector: Projector,
    batch_size: int,
    share: Share | None = None,
    folded: Callable[[int], None] | None = None,
    written: set[Key] | None = None,
) -> Positions:
    """Fold every stream (the partitions of `share` when given) into `projector` in batches, committing
    each while the next one folds; `folded(n)` is told of each batch of n events once it is committed,
    and the keys of the documents each batch changes are added to `written`.

    Three stages overlap: a task reads (and decodes) the next batches, a worker thread folds this one
    (the event loop keeps fetching meanwhile), and the store's thread commits the previous one."""
    writing: asyncio.Future[None] | None = None  # the previous batch's commit, under way while this one folds
    try:
        async with aclosing(_read_ahead(event_store, batch_size, share)) as batches:
            async for events in batches:
                batch = await asyncio.to_thread(projector.apply_ahead, events)
                if writing is not None:
                    await writing
                    writing = None
                if batch is not None:
                    writing = asyncio.ensure_future(projector.store.commit(batch))
                    if written is not None:
                        written.update(batch.changes)
                if folded is not None:
                    folded(len(events))
    finally:
        if writing is not None:
            await writing
    return projector.positions


READ_AHEAD_BATCHES = 2
"""Batches `_read_ahead` may hold beyond the one being folded."""


async def _read_ahead(event_store: EventStore, batch_size: int, share: Share | None) -> AsyncIterator[list[Event]]:
    """Every event of every stream (of the partitions of `share` when given; to the end seen when read) in
    batches of up to `batch_size` events of one stream, read by a task up to READ_AHEAD_BATCHES ahead of
    the caller; its error is raised here."""
    ready: asyncio.Queue[list[Event] | None] = asyncio.Queue()  # None: the reader stopped
    room = asyncio.Semaphore(READ_AHEAD_BATCHES)

    async def read() -> None:
        try:
            for stream in STREAMS:
                if share is not None and stream not in share:
                    continue
                events: list[Event] = []
                partitions = None if share is None else share[stream]
                async with aclosing(event_store.read_batches(stream, partitions=partitions)) as chunks:
                    async for chunk in chunks:  # a list per decoded slice: no step per event
                        events += chunk
                        while len(events) >= batch_size:
                            await room.acquire()
                            ready.put_nowait(events[:batch_size])
                            del events[:batch_size]
                if events:
                    await room.acquire()
                    ready.put_nowait(events)
        finally:
            ready.put_nowait(None)

    reader = asyncio.create_task(read(), name="projections-rebuild-read")
    try:
        while (events := await ready.get()) is not None:
            room.release()
            yield events
        await reader  # raises what stopped it
    finally:
        if not reader.done():
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
