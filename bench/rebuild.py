"""Projection rebuild: rebuild every read model from a log of 1,000,000 events, beside the raw ceiling of
moving the same records (aiokafka consume / sqlite3 SELECT), on Kafka and on the embedded store.

    .venv/bin/python -m bench.rebuild [--events 1000000] [--backends kafka,embedded] [--workers N] [--profile DIR]
                                      [--no-doc]

The log is made from a real rollout: one run over 100 clusters (orchestrator process + simulated
fleet) is recorded, then its `placements` and `agents` events are appended again and again under new
placement and run names (`bench-p000` -> `bench-c000001`...) until the log holds `--events` events;
the `fleet` and `heartbeats` events are kept once. Then, in this order: the raw ceiling (no decoding, one
process), `EventStore.read` of every stream (decoding to typed events, no folding), `projections.rebuild`
into a fresh projection file (decode, fold, commit) in one process, then again in `--workers` processes
(default: one per CPU) sharing the partitions out, and the raw ceiling again (the better one is kept).
The CPU the raw read and the parallel rebuild use (this process, its worker processes and the broker this
run started) is reported per million events, with the best rate that cost allows on this machine's CPUs
however well the work overlaps. `--profile DIR` samples the one-process rebuild with py-spy. Results: a
table, and the rebuild section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console

from bench.cpushare import broker_pid, cpu_seconds
from bench.drive import drive
from bench.support import (
    benchmark_parser, command_line, fresh_store_urls, machine, markdown_table, opened, profiling_this_process,
    run_benchmark, rich_table, stamp, write_section,
)
from bench.world import Shape
from eventstore import Event, EventStore
from fleetevents import registry
from fleetevents.streams import AGENTS, ALL_STREAMS, FLEET, HEARTBEATS, PLACEMENTS
from projections import rebuild

TARGET_RATIO = 0.5
TARGET_EVENTS_PER_SECOND = 50_000.0
"""Issue 7: rebuild >= 0.5x the raw consume and >= 50,000 events/s (Kafka)."""
TEMPLATE = Shape(placements=1, clusters_each=100)
APPEND_BATCH = 5000
STREAMS = [spec.name for spec in ALL_STREAMS]


@dataclass
class Rates:
    backend: str
    events: int
    raw: float
    read: float
    one_process: float
    rebuild: float
    workers: int
    raw_cpu: float
    """CPU seconds per million events of the raw read (this process and the broker)."""
    rebuild_cpu: float
    """CPU seconds per million events of the parallel rebuild (this process, its workers and the broker)."""

    def best_rebuild(self, cpus: int) -> float:
        """Events/s `cpus` fully busy CPUs give at the rebuild's CPU cost (perfect overlap)."""
        return cpus * 1e6 / self.rebuild_cpu


# --- making the log ---------------------------------------------------------------------------------------


async def record_template(workdir: Path, timeout: float) -> dict[str, list[Event]]:
    """Every event of one real rollout over the template fleet, per stream."""
    url = f"sqlite:{workdir / 'template.db'}"
    await drive(url, TEMPLATE, workdir, timeout=timeout)
    async with opened(url) as store:
        return {stream: [e async for e in store.read(stream)] for stream in STREAMS}


TEMPLATE_NAME = TEMPLATE.placement(0).removeprefix("bench")
"""`-p000`: in the template's placement name and in its run's name."""


def copy_of(event: Event, data: BaseModel, subject: str) -> Event:
    """A new event (fresh id, no position) with `event`'s envelope and the given payload and subject."""
    return Event(event.type, subject, data, event.stream, source=event.source, actor=event.actor, time=event.time,
                 correlationid=event.correlationid, causationid=event.causationid)


def renamed(event: Event, body: bytes, tag: str) -> Event:
    """A copy of `event` whose placement and run names carry `tag` instead of the template's."""
    data = registry.decode(event.type, body.replace(TEMPLATE_NAME.encode(), tag.encode()))
    return copy_of(event, data, event.subject.replace(TEMPLATE_NAME, tag))


async def fill(store: EventStore, template: dict[str, list[Event]], target: int) -> int:
    """Append the template's fleet and heartbeats once, then copies of its runs up to `target` events."""
    once = [*template[FLEET], *template[HEARTBEATS]]
    per_copy = [*template[PLACEMENTS], *template[AGENTS]]
    bodies = [registry.encode(e.data) for e in per_copy]
    await store.append([copy_of(e, e.data, e.subject) for e in once])
    total, copy, batch = len(once), 0, []
    while total < target:
        copy += 1
        tag = f"-c{copy:06d}"
        for event, body in zip(per_copy, bodies):
            batch.append(renamed(event, body, tag))
        total += len(per_copy)
        if len(batch) >= APPEND_BATCH or total >= target:
            await store.append(batch)
            batch = []
    return total


# --- reading it ------------------------------------------------------------------------------------------


async def raw_kafka(bootstrap: str, prefix: str) -> int:
    """Records consumed (read_committed, values not decoded, the store's reader fetch settings) from every
    topic, beginning to end."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from eventstore.kafka import CONSUMER_SAFETY, READER_FETCH

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **CONSUMER_SAFETY, **READER_FETCH)
    await consumer.start()
    try:
        tps = [TopicPartition(prefix + spec.name, p) for spec in ALL_STREAMS for p in range(spec.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        seen = 0
        active = [tp for tp in tps if ends[tp] > 0]
        while active:
            for records in (await consumer.getmany(*active, timeout_ms=500, max_records=10_000)).values():
                seen += sum(1 for r in records if r.value is not None)
            active = [tp for tp in active if await consumer.position(tp) < ends[tp]]
        return seen
    finally:
        await consumer.stop()


def raw_sqlite(path: str) -> int:
    """Rows SELECTed (every column, bodies not decoded) from the events table, in log order."""
    with closing(sqlite3.connect(path)) as db:
        seen = 0
        for _row in db.execute('SELECT * FROM events ORDER BY stream, "partition", "offset"'):
            seen += 1
        return seen


async def raw(url: str) -> int:
    if url.startswith("sqlite:"):
        return await asyncio.to_thread(raw_sqlite, url.removeprefix("sqlite:"))
    bootstrap, _, prefix = url.removeprefix("kafka://").partition("?prefix=")
    return await raw_kafka(bootstrap, prefix)


async def read_all(store: EventStore) -> int:
    seen = 0
    for stream in STREAMS:
        async for _event in store.read(stream):
            seen += 1
    return seen


class PhaseCpu:
    """CPU seconds used since it was made by this process, the processes it started and waited for (the
    rebuild's workers), and the local broker when this run started one (not waited for: counted apart)."""

    def __init__(self) -> None:
        self._broker = broker_pid()
        self._start = self._now()

    def _now(self) -> float:
        # getrusage, not os.times: microseconds, where os.times counts in clock ticks (a small phase reads 0)
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        broker = cpu_seconds(self._broker) if self._broker is not None else 0.0
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + broker

    def per_million(self, events: int) -> float:
        return (self._now() - self._start) * 1e6 / events


async def timed(what: str, work: Awaitable[int], expected: int) -> tuple[float, float]:
    """Events/s of `work` (which returns how many events it saw: it must be all of them), and its CPU
    seconds per million events (`PhaseCpu`)."""
    cpu = PhaseCpu()
    started = time.perf_counter()
    seen = await work
    elapsed = time.perf_counter() - started
    if seen != expected:
        raise RuntimeError(f"{what} saw {seen} events, the log holds {expected}")
    return expected / elapsed, cpu.per_million(expected)


async def measure_one(backend: str, url: str, template: dict[str, list[Event]], args: argparse.Namespace,
                      workdir: Path, console: Console) -> Rates:
    async with opened(url) as store:
        console.print(f"{backend}: appending a log of {args.events:,} events ...")
        total = await fill(store, template, args.events)
        await settled()
        raw_first = await timed("raw read", raw(url), total)
        read, _ = await timed("EventStore.read", read_all(store), total)
        profile = args.profile / f"rebuild-{backend}.json" if args.profile else None
        async with profiling_this_process(profile):
            one_process, _ = await timed(
                "rebuild", rebuild_all(store, workdir / f"projections-{backend}-1.db", url, 1, backend, total), total
            )
        await settled()
        rebuilt, rebuild_cpu = await timed(
            "rebuild", rebuild_all(store, workdir / f"projections-{backend}.db", url, args.workers, backend, total),
            total,
        )
        raw_again = await timed("raw read", raw(url), total)
    (raw_rate, raw_cpu) = max(raw_first, raw_again)
    return Rates(backend, total, raw_rate, read, one_process, rebuilt, args.workers, raw_cpu, rebuild_cpu)


async def settled() -> None:
    """Write back what the phases so far left in the page cache (above all the broker's log just appended;
    a rebuild syncs its own file), so the next phase pays for its own writes only: the kernel otherwise
    flushes them, gigabytes at a time, on the cores the next phase is measured on."""
    await asyncio.to_thread(os.sync)


async def rebuild_all(store: EventStore, path: Path, url: str, workers: int, backend: str, total: int) -> int:
    """A rebuild of the whole log into `path` in `workers` processes; the events it folded (all of them:
    Kafka's offsets count transaction markers too, so there they are taken as read)."""
    positions = await rebuild(store, path, store_url=url, workers=workers)
    path.unlink()  # checked by its positions only: one rebuilt file on disk at a time
    folded = sum(sum(offsets.values()) for offsets in positions.values())
    if backend == "embedded" and folded != total:
        raise RuntimeError(f"the rebuild stopped at {folded} of {total} events")
    return total


async def measure(args: argparse.Namespace, console: Console) -> list[Rates]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        workdir = Path(tmp)
        console.print(f"recording one real run over {TEMPLATE.clusters_each} clusters as the template ...")
        template = await record_template(workdir, args.timeout)
        for backend in args.backends:
            async with fresh_store_urls(backend, workdir) as new_url:
                result = await measure_one(backend, new_url(), template, args, workdir, console)
                console.print(f"  rebuild {result.rebuild:,.0f} events/s, raw {result.raw:,.0f} events/s")
                results.append(result)
    return results


CPUS = os.cpu_count() or 1
HEADERS = ("backend", "events", "raw ceiling (events/s)", "EventStore.read (events/s)",
           "rebuild, 1 process (events/s)", "rebuild (events/s)", "processes", "rebuild / raw",
           "targets: >= 0.5x and >= 50,000/s", "CPU s per 1M events: raw / rebuild",
           f"best rebuild on {CPUS} CPUs at that cost (/ raw)")


def rows(results: Sequence[Rates]) -> list[tuple[str, ...]]:
    out = []
    for r in results:
        met = r.rebuild / r.raw >= TARGET_RATIO and r.rebuild >= TARGET_EVENTS_PER_SECOND
        out.append((r.backend, f"{r.events:,}", f"{r.raw:,.0f}", f"{r.read:,.0f}", f"{r.one_process:,.0f}",
                    f"{r.rebuild:,.0f}", str(r.workers), f"{r.rebuild / r.raw:.3f}x", "met" if met else "MISSED",
                    f"{r.raw_cpu:.1f} / {r.rebuild_cpu:.1f}",
                    f"{r.best_rebuild(CPUS):,.0f}/s ({r.best_rebuild(CPUS) / r.raw:.3f}x)"))
    return out


def markdown(results: Sequence[Rates], argv: list[str]) -> str:
    return "\n".join([
        "## Projection rebuild",
        "",
        f"`{command_line('bench.rebuild', argv)}` (or `make bench-rebuild`), {stamp()}, {machine()}.",
        "The log: one real run over 100 clusters, its `placements` and `agents` events appended again under new",
        "placement and run names until the log holds the number of events asked (`fleet` and `heartbeats` once).",
        "Raw ceiling: aiokafka consume of every topic (read_committed, no decoding) / sqlite3 `SELECT *` of the",
        "events table; the better of a run before and one after the others (one process). `EventStore.read`:",
        "every stream decoded to typed events, nothing folded. Rebuild: `projections.rebuild` into a fresh",
        "projection file (decode, fold every read model, commit documents, audit entries and positions), in one",
        "process, then in `processes` worker processes sharing the log's partitions out (all committing into",
        "the one file, then the audit indexed); the targets are checked on the latter. Reader and raw consumer",
        "use the same fetch settings. CPU: user + system seconds of this process, the worker processes and the",
        "broker this run started (not an external one), per million events; the last column is the rate all",
        "the machine's CPUs would give at the parallel rebuild's CPU cost, with no idle moment.",
        "",
        markdown_table(HEADERS, rows(results)),
    ])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = benchmark_parser(__doc__, timeout=300.0, timeout_help="seconds for the template run",
                              profile_help="directory for a py-spy profile of each one-process rebuild")
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the log (default 1000000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes of the parallel rebuild (default: one per CPU)")
    args = parser.parse_args(argv)
    if args.events < 1000:
        parser.error(f"--events must be at least 1000, got {args.events}")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    return args


def report(console: Console, results: list[Rates], args: argparse.Namespace, argv: list[str]) -> None:
    console.print(rich_table("projection rebuild vs raw read", HEADERS, rows(results)))
    if not args.no_doc:
        console.print(f"wrote the rebuild section of {write_section('rebuild', markdown(results, argv))}")

def main(argv: list[str] | None = None) -> None:
    run_benchmark(argv, parse_args, measure, report)

if __name__ == "__main__":
    main()
