"""What the fleet-scale benchmarks share: the backends' stores, the orchestrator process (optionally under
py-spy), its peak RSS, the machine line and the benchmark's own section of docs/benchmarks.md.

The orchestrator always runs as its own process (`fleetstage orchestrator --store URL`), as it would in
production; the benchmark process holds the simulated fleet and the driver. On Kafka the broker is the
third process (a LocalKafka started for the run unless $KAFKA_BOOTSTRAP_SERVERS is set). Everything runs
on this one machine.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import shutil
import signal
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

from eventstore import Event, EventStore
from eventstore.factory import open_store
from fleetevents import registry
from fleetevents.streams import ALL_STREAMS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
BACKENDS = ("kafka", "embedded")
FLEETSTAGE = Path(sys.executable).with_name("fleetstage")
PY_SPY = Path(sys.executable).with_name("py-spy")


R = TypeVar("R")

def backends_arg(text: str) -> list[str]:
    """`--backends kafka,embedded` (argparse type): the names, checked."""
    chosen = [name for name in text.split(",") if name]
    unknown = sorted(set(chosen) - set(BACKENDS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown backend(s) {unknown}: choose from {', '.join(BACKENDS)}")
    return chosen


@asynccontextmanager
async def kafka_bootstrap(workdir: Path) -> AsyncIterator[str]:
    """$KAFKA_BOOTSTRAP_SERVERS, else a LocalKafka broker of this run (stopped on exit)."""
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    from localkafka import LocalKafka

    async with LocalKafka(workdir / "kafka") as broker:
        yield broker.bootstrap


@asynccontextmanager
async def fresh_store_urls(backend: str, workdir: Path) -> AsyncIterator[Callable[[], str]]:
    """A function giving the URL of a fresh, empty store of `backend` at each call (its own SQLite file,
    or its own topic prefix on the run's broker)."""
    if backend == "embedded":
        yield lambda: f"sqlite:{workdir / f'events-{uuid.uuid4().hex[:8]}.db'}"
        return
    async with kafka_bootstrap(workdir) as bootstrap:
        yield lambda: f"kafka://{bootstrap}?prefix=bench-{uuid.uuid4().hex[:8]}."


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[EventStore]:
    """The store at `url`, open, with every fleetstage stream created."""
    async with open_store(url, registry) as store:
        await store.ensure_streams(ALL_STREAMS)
        yield store


async def read_streams(url: str, streams: Sequence[str]) -> dict[str, list[Event]]:
    """Every event of `streams` in the store at `url`, from the start to their end now."""
    read: dict[str, list[Event]] = {}
    async with opened(url) as store:
        for stream in streams:
            async with contextlib.aclosing(store.read(stream)) as events:  # type: ignore[type-var]
                read[stream] = [event async for event in events]
    return read


@dataclass
class OrchestratorProcess:
    """A running `fleetstage orchestrator`; `peak_rss_mb()` reads the kernel's high-water mark (VmHWM)."""

    process: asyncio.subprocess.Process
    log: Path

    def peak_rss_mb(self) -> float:
        pid = self.target_pid()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmHWM line in /proc/{pid}/status")

    def target_pid(self) -> int:
        """The orchestrator's pid (under py-spy, its only child)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists() and (kids := children.read_text().split()):
            return int(kids[0])
        return self.process.pid

    def check_alive(self) -> None:
        if self.process.returncode is not None:
            raise RuntimeError(f"the orchestrator exited with {self.process.returncode}; its log:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


def py_spy() -> str:
    """The py-spy executable (a dev dependency), or a RuntimeError saying how to install it."""
    found = str(PY_SPY) if PY_SPY.exists() else shutil.which("py-spy")
    if found is None:
        raise RuntimeError("--profile needs py-spy (a dev dependency): .venv/bin/pip install -e '.[dev]'")
    return found


@asynccontextmanager
async def orchestrator_process(
    url: str, workdir: Path, profile: Path | None = None, trace_memory: Path | None = None,
    log_level: str = "warning",
) -> AsyncIterator[OrchestratorProcess]:
    """`fleetstage orchestrator --store url --log-level log_level` as a child process. With
    `trace_memory`, through bench/tracemem.py (allocation sites at peak written to `trace_memory`, warnings
    only); with `profile`, under `py-spy record` writing a speedscope profile there.
    Stopped with SIGINT (py-spy then writes the profile)."""
    command: list[str] = [str(FLEETSTAGE), "orchestrator", "--store", url, "--log-level", log_level]
    if trace_memory is not None:
        command = [sys.executable, "-m", "bench.tracemem", "--store", url, "--tracemalloc", str(trace_memory)]
    if profile is not None:
        command = [py_spy(), "record", "--format", "speedscope", "--rate", "200", "--output", str(profile), "--",
                   *command]
    log = workdir / f"orchestrator-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=out, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    running = OrchestratorProcess(process, log)
    try:
        yield running
    finally:
        await stop(running)


async def stop(running: OrchestratorProcess) -> None:
    if running.process.returncode is not None:
        return
    target = running.target_pid()
    os.kill(target, signal.SIGINT)
    try:
        await asyncio.wait_for(running.process.wait(), 30)
    except TimeoutError:
        running.process.kill()
        await running.process.wait()


def machine() -> str:
    """nproc, CPU model, Python and SQLite versions of this machine."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = f", {total_kb / 1024 / 1024:.0f} GiB RAM"
    return (f"{os.cpu_count()} CPUs ({model}){memory}, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}")


def stamp() -> str:
    """When the figures were taken, and how busy the machine was then (other work shares its 2 cores)."""
    one, five, _ = os.getloadavg()
    return f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC (load average {one:.1f} / {five:.1f} over 1 / 5 min)"


def command_line(module: str, argv: Sequence[str]) -> str:
    return " ".join([".venv/bin/python -m", module, *argv])


def write_section(name: str, body: str) -> Path:
    """Replace (or append) the part of docs/benchmarks.md between `<!-- bench:name -->` and
    `<!-- /bench:name -->`, re-reading the file right before writing (other sections are not ours)."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    section = f"{begin}\n{body.strip()}\n{end}"
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
    return DOC


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return "\n".join([
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(row) + " |" for row in rows),
    ])


def quiet_client_logs() -> None:
    """aiokafka logs every retried produce on a topic whose leader is still settling; the figures are
    what matters here, errors still show."""
    logging.getLogger("aiokafka").setLevel(logging.ERROR)


LEFT_ALIGNED = ("backend",)


def rich_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """The console form of a result table (the same rows as `markdown_table`)."""
    out = Table(title=title)
    for name in headers:
        out.add_column(name, justify="left" if name in LEFT_ALIGNED else "right")
    for row in rows:
        out.add_row(*row)
    return out


@asynccontextmanager
async def profiling_this_process(output: Path | None) -> AsyncIterator[None]:
    """With `output`, py-spy samples this process while the block runs and writes a speedscope file."""
    if output is None:
        yield
        return
    spy = await asyncio.create_subprocess_exec(
        py_spy(), "record", "--pid", str(os.getpid()), "--format", "speedscope",
        "--rate", "200", "--output", str(output), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    await asyncio.sleep(0.5)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        _, err = await spy.communicate()
        if spy.returncode != 0 and not output.exists():
            raise RuntimeError(f"py-spy failed ({spy.returncode}): {err.decode(errors='replace')[-500:]}")


def benchmark_parser(doc: str, *, timeout: float, timeout_help: str, profile_help: str) -> argparse.ArgumentParser:
    """An argument parser with the options every fleet benchmark has: --backends, --timeout, --profile, --no-doc."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--backends", type=backends_arg, default=["kafka", "embedded"], help="kafka,embedded")
    parser.add_argument("--timeout", type=float, default=timeout, help=f"{timeout_help} (default {timeout:g})")
    parser.add_argument("--profile", type=Path, help=profile_help)
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    return parser


def run_benchmark(
    argv: list[str] | None,
    parse_args: Callable[[list[str]], argparse.Namespace],
    measure: Callable[[argparse.Namespace, Console], Awaitable[R]],
    report: Callable[[Console, R, argparse.Namespace, list[str]], None],
) -> None:
    """The `main` of a fleet benchmark: parse, measure (profile directories created), then report."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    quiet_client_logs()
    for directory in (args.profile, getattr(args, "trace_memory", None)):
        if directory:
            directory.mkdir(parents=True, exist_ok=True)
    console = Console(width=160)
    report(console, asyncio.run(measure(args, console)), args, argv)
