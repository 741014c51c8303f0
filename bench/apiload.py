"""API load benchmark (issue 8): N concurrent update runs while the hub API serves an open-loop load
of get/list/watch requests on loopback; no request may fail.

Three processes: the hub (`fleetstage hub --no-auth`, orchestrator + read models + API on one SQLite
store, scaled clock), the simulated members (`fleetstage agent --labels-from`, one per cluster) and
this one, which sets the fleet up through the API (strategy with a TimedWait after each stage,
`--runs` placements of `--clusters-each` clusters; bench/world.py's shapes), creates the runs, then at
once starts the load (bench/loadgen.py: `--rate` requests/s for `--seconds`, plus `--watches` watch
streams) and waits for every run to succeed. Prints a table, rewrites its section of docs/benchmarks.md
and exits 1 on any request error or any run that did not succeed.

`make bench-apiload` (BENCH_ARGS="--runs 5 --rate 20 --seconds 5" to shrink; `--profile FILE` for a
py-spy profile of the hub during the load, `--no-doc` to leave docs/benchmarks.md alone).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import yaml
from rich.console import Console

from bench import world
from bench.loadgen import LoadResult, Request, Tally, open_loop
from bench.support import (FLEETSTAGE, ROOT, command_line, machine, markdown_table, py_spy, rich_table, stamp,
                           write_section)

SECTION = "apiload"
FLEET_API = f"/apis/{world.API_VERSION}"
RUNS = f"{FLEET_API}/clusterstagedupdateruns"
PLACEMENTS = f"{FLEET_API}/clusterresourceplacements"
MEMBERS = "/apis/cluster.kubernetes-fleet.io/v1beta1/memberclusters"
STARTUP_TIMEOUT = 60.0
POLL_SECONDS = 0.5


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.apiload", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="concurrent update runs (one placement each)")
    parser.add_argument("--clusters-each", type=int, default=3, help="member clusters per placement")
    parser.add_argument("--stages", type=int, default=2, help="stages of the strategy")
    parser.add_argument("--wait", default="10m", help="TimedWait after each stage (hub time)")
    parser.add_argument("--time-scale", type=float, default=60.0, help="hub clock speed-up (60: 1m takes 1s)")
    parser.add_argument("--rate", type=float, default=200.0, help="get/list requests per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load lasts")
    parser.add_argument("--watches", type=int, default=4, help="watch streams held open during the load")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections of the get/list load")
    parser.add_argument("--run-timeout", type=float, default=300.0, help="seconds allowed for every run to succeed")
    parser.add_argument("--profile", type=Path, help="speedscope file for a py-spy profile of the hub during the load")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    for name in ("runs", "clusters_each", "stages", "rate", "seconds", "connections"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be > 0")
    if args.clusters_each < args.stages:
        parser.error("--clusters-each must be >= --stages (every stage needs a cluster of every placement)")
    return args


@dataclass
class Outcome:
    """What one benchmark run measured."""

    load: LoadResult
    runs: int
    succeeded: int
    run_seconds: float | None
    """From the first run's creation to the last one seen succeeded (None: not all succeeded)."""
    load_covered_runs: bool
    cores: dict[str, float]
    """CPU used during the load, in cores, by each process and by the whole machine (CpuMeter)."""

    @property
    def passed(self) -> bool:
        return self.load.errors == 0 and self.succeeded == self.runs


def strategy(shape: world.Shape, wait: str) -> dict[str, Any]:
    """bench/world.py's strategy with a TimedWait after every stage, so the runs overlap for a while."""
    manifest = world.strategy(shape)
    for stage in manifest["spec"]["stages"]:
        stage["afterStageTasks"] = [{"type": "TimedWait", "waitTime": wait}]
    return manifest


@asynccontextmanager
async def child(command: Sequence[str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`command` as a child process logging to `log`; SIGINT (then SIGKILL after 30 s) on exit."""
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(*command, stdout=out, stderr=asyncio.subprocess.STDOUT,
                                                       cwd=ROOT)
    try:
        yield process
    finally:
        if process.returncode is None:
            os.kill(process.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


Processes = dict[str, tuple[asyncio.subprocess.Process, Path]]
"""The child processes by name, with their logs."""


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _check_alive(processes: Processes) -> None:
    for name, (process, log) in processes.items():
        if process.returncode is not None:
            raise RuntimeError(f"the {name} exited with {process.returncode}; its log:\n{_tail(log)}")


async def _until(what: str, probe: Callable[[], Awaitable[bool]], timeout: float, processes: Processes) -> None:
    """Poll `probe` until it returns True (raising if a child died); TimeoutError names `what`."""
    deadline = time.monotonic() + timeout
    while not await probe():
        _check_alive(processes)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not seen within {timeout:.0f}s")
        await asyncio.sleep(POLL_SECONDS)


async def _items(client: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    response = await client.get(path)
    response.raise_for_status()
    return response.json()["items"]


def _succeeded(doc: dict[str, Any]) -> bool:
    conditions = (doc.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Succeeded" and c.get("status") == "True" for c in conditions)


def _failed(doc: dict[str, Any]) -> bool:
    conditions = (doc.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Succeeded" and c.get("status") == "False" for c in conditions)


async def _create(client: httpx.AsyncClient, path: str, manifest: dict[str, Any]) -> None:
    response = await client.post(path, json=manifest)
    if not response.is_success:
        raise RuntimeError(f"creating {manifest['kind']} {manifest['metadata']['name']} failed: "
                           f"HTTP {response.status_code}: {response.text[:300]}")


REQUEST_KINDS = ("get run", "list members by group", "get placement", "list members by stage", "get member",
                 "list runs")


def request_mix(shape: world.Shape) -> Callable[[int], Request]:
    """Request k of the load: GETs of single runs, placements and members, LISTs by label selector."""
    members = [name for name, _ in world.fleet_members(shape)]

    def next_request(k: int) -> Request:
        kind, n = REQUEST_KINDS[k % len(REQUEST_KINDS)], k // len(REQUEST_KINDS)
        placement = n % shape.placements
        paths = {
            "get run": f"{RUNS}/{shape.run(placement)}",
            "get placement": f"{PLACEMENTS}/{shape.placement(placement)}",
            "get member": f"{MEMBERS}/{members[n % len(members)]}",
            "list members by group": f"{MEMBERS}?labelSelector=group%3D{shape.group(placement)}",
            "list members by stage": f"{MEMBERS}?labelSelector=stage%3Ds{n % shape.stages:02d}",
            "list runs": RUNS,
        }
        return kind, paths[kind]

    return next_request


def watch_paths(shape: world.Shape, count: int) -> list[str]:
    """`count` watch streams, cycling over runs, placements and members of one group."""
    choices = [f"{RUNS}?watch=true", f"{PLACEMENTS}?watch=true",
               f"{MEMBERS}?watch=true&labelSelector=group%3D{shape.group(0)}"]
    return [choices[i % len(choices)] for i in range(count)]


def _commands(args: argparse.Namespace, shape: world.Shape, workdir: Path, port: int) -> tuple[list[str], list[str]]:
    """The hub's and the simulated members' command lines (one SQLite store, one scaled clock)."""
    store = f"sqlite:{workdir / 'fleet.db'}"
    members_file = workdir / "members.yaml"
    members_file.write_text(yaml.safe_dump(dict(world.fleet_members(shape))))
    epoch = datetime.now(timezone.utc).isoformat()
    timing = ["--time-scale", str(args.time_scale), "--time-epoch", epoch, "--log-level", "warning"]
    hub = [str(FLEETSTAGE), "hub", "--no-auth", "--store", store, "--data-dir", str(workdir / "hub"),
           "--host", "127.0.0.1", "--port", str(port), *timing]
    agent = [str(FLEETSTAGE), "agent", "--store", store, "--labels-from", str(members_file),
             "--target", f"dir:{workdir / 'members'}", "--heartbeat", "10s", *timing]
    return hub, agent


async def _set_up(client: httpx.AsyncClient, shape: world.Shape, wait: str, processes: Processes) -> None:
    """Wait for the API and every member, then create the namespace, the strategy and the placements."""
    async def healthy() -> bool:
        try:
            return (await client.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    async def joined() -> bool:
        return len(await _items(client, MEMBERS)) == shape.members

    await _until("the hub's /healthz", healthy, STARTUP_TIMEOUT, processes)
    await _until(f"{shape.members} member clusters", joined, STARTUP_TIMEOUT, processes)
    await _create(client, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": world.NAMESPACE}})
    await _create(client, f"{FLEET_API}/clusterstagedupdatestrategies", strategy(shape, wait))
    for n in range(shape.placements):
        await _create(client, PLACEMENTS, world.placement(shape, n))


async def _finished_runs(client: httpx.AsyncClient, shape: world.Shape, timeout: float,
                         processes: Processes) -> list[dict[str, Any]]:
    """The runs once every one has succeeded or failed, or as they are after `timeout` seconds."""
    runs: list[dict[str, Any]] = []

    async def finished() -> bool:
        nonlocal runs
        runs = await _items(client, RUNS)
        return len(runs) == shape.placements and all(_succeeded(d) or _failed(d) for d in runs)

    try:
        await _until(f"{shape.placements} runs finished", finished, timeout, processes)
    except TimeoutError:
        pass  # reported: fewer runs succeeded than were created
    return runs


async def measure(args: argparse.Namespace, workdir: Path) -> Outcome:
    """Start the hub and the members, set the fleet up, create the runs and load the API while they run."""
    shape = world.Shape(args.runs, args.clusters_each, args.stages)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    hub_cmd, agent_cmd = _commands(args, shape, workdir, port)
    async with child(hub_cmd, workdir / "hub.log") as hub, child(agent_cmd, workdir / "agent.log") as agent, \
            httpx.AsyncClient(base_url=base, timeout=30) as client:
        processes = {"hub": (hub, workdir / "hub.log"), "agent": (agent, workdir / "agent.log")}
        await _set_up(client, shape, args.wait, processes)
        runs_start = time.monotonic()
        await asyncio.gather(*(_create(client, RUNS, world.run_manifest(shape, n)) for n in range(shape.placements)))
        meter = CpuMeter({"hub": hub.pid, "members": agent.pid, "load generator": os.getpid()})
        load_start = time.monotonic()
        async with profiling(hub.pid, args.profile):
            load = asyncio.create_task(open_loop(base, args.rate, args.seconds, request_mix(shape),
                                                 watch_paths(shape, args.watches), args.connections))
            runs = await _finished_runs(client, shape, args.run_timeout, processes)
            runs_end = time.monotonic()
            result = await load
        cores = meter.cores()
    succeeded = sum(1 for d in runs if _succeeded(d))
    return Outcome(result, shape.placements, succeeded,
                   runs_end - runs_start if succeeded == shape.placements else None,
                   runs_end <= load_start + result.seconds, cores)


@asynccontextmanager
async def profiling(pid: int, output: Path | None) -> AsyncIterator[None]:
    """With `output`, py-spy samples process `pid` while the block runs and writes a speedscope file there."""
    if output is None:
        yield
        return
    spy = await asyncio.create_subprocess_exec(
        py_spy(), "record", "--pid", str(pid), "--format", "speedscope", "--rate", "100", "--output", str(output),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        _, err = await spy.communicate()
        if not output.exists():
            raise RuntimeError(f"py-spy failed ({spy.returncode}): {err.decode(errors='replace')[-500:]}")


class CpuMeter:
    """CPU used since creation, in cores (1.0 = one core busy), by each named process and by the whole
    machine (/proc/stat: what other work on the machine took shows as the difference)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start = time.monotonic()
        self.used = {name: _process_cpu(pid) for name, pid in pids.items()}
        self.machine = _machine_busy()

    def cores(self) -> dict[str, float]:
        wall = time.monotonic() - self.start
        used = {name: (_process_cpu(pid) - self.used[name]) / wall for name, pid in self.pids.items()}
        return {**used, "whole machine": (_machine_busy() - self.machine) / wall}


def _ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _ticks()


def _machine_busy() -> float:
    """CPU seconds the whole machine spent not idle (the `cpu` line of /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / _ticks()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


HEADERS = ("request", "count", "errors", "p50 ms", "p99 ms", "max ms", "service p50 ms", "service p99 ms")


def _row(name: str, tally: Tally) -> list[str]:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.1f}"

    return [name, f"{len(tally.latencies) + tally.errors:,}", str(tally.errors), ms(tally.percentile(0.5)),
            ms(tally.percentile(0.99)), ms(max(tally.latencies, default=0.0)),
            *((ms(tally.percentile(0.5, service=True)), ms(tally.percentile(0.99, service=True)))
              if tally.service else ("", ""))]


def rows(outcome: Outcome) -> list[list[str]]:
    load = outcome.load
    overall = Tally([x for t in load.tallies.values() for x in t.latencies], load.errors - load.watches.errors,
                    [x for t in load.tallies.values() for x in t.service])
    return [*(_row(kind, t) for kind, t in sorted(load.tallies.items())), _row("all get/list", overall),
            _row(f"watch streams ({load.watches.events:,} events)", load.watches)]


def summary(args: argparse.Namespace, outcome: Outcome) -> str:
    load = outcome.load
    runs = (f"{outcome.succeeded}/{outcome.runs} runs succeeded"
            + (f", all within {outcome.run_seconds:.1f} s of their creation" if outcome.run_seconds is not None else ""))
    cpu = ", ".join(f"{name} {used:.2f}" for name, used in outcome.cores.items())
    covered = ("the load, started right after the runs were created, lasted until every run had finished"
               if outcome.load_covered_runs else "the runs outlasted the load")
    return (f"{runs} ({covered}). "
            f"{load.scheduled:,} get/list requests scheduled at {args.rate:g}/s over {args.seconds:g} s "
            f"over {args.connections} connections (achieved {load.scheduled / load.seconds:.0f}/s including the "
            f"stragglers), worst client dispatch "
            f"lag {load.max_dispatch_lag * 1000:.1f} ms; {args.watches} watch streams; "
            f"errors: {load.errors}. CPU during the load, in cores: {cpu}. "
            f"Verdict: {'PASS' if outcome.passed else 'FAIL'}.")


def document(args: argparse.Namespace, argv: Sequence[str], outcome: Outcome) -> str:
    return "\n\n".join([
        "## API under load (issue 8): concurrent runs while the API serves get/list/watch",
        f"`{command_line('bench.apiload', argv)}` (`make bench-apiload`), {stamp()}, {machine()}.",
        f"Three processes on this machine: the hub (`fleetstage hub --no-auth`, orchestrator, read models and "
        f"API in one process, SQLite store, clock x{args.time_scale:g}), {args.runs * args.clusters_each} "
        f"simulated members (`fleetstage agent --labels-from`) and the load generator (loopback; get/list over "
        f"bench/loadgen.py's minimal keep-alive HTTP/1.1 client, watches over httpx). "
        f"{args.runs} placements of {args.clusters_each} clusters each, one run each, strategy of "
        f"{args.stages} stages with a TimedWait of {args.wait} (hub time) after each. The load is open-loop: "
        f"request k leaves at k/{args.rate:g} s whatever the answers; latency counts from that scheduled "
        f"time to the end of the body, so a backlog (the server, or the client, short of CPU) shows in full; "
        f"`service` counts from the moment the request was sent (what one request costs, without the backlog). "
        f"Watch streams: time to the response headers, events counted. The CPU figures say who got the cores: "
        f"when `whole machine` is near 2.00 while the hub has much less, other work on this shared machine "
        f"set the pace (one run can differ from the next by several times).",
        markdown_table(HEADERS, rows(outcome)),
        summary(args, outcome),
    ])


def main(argv: Sequence[str] | None = None) -> Outcome:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    console = Console()
    console.width = max(console.width, 130)  # the table's columns, also in a log file
    with tempfile.TemporaryDirectory(prefix="fleetstage-apiload-") as workdir:
        outcome = asyncio.run(measure(args, Path(workdir)))
        console.print(rich_table("API under load", HEADERS, rows(outcome)))
        console.print(summary(args, outcome))
        for message in outcome.load.error_messages():
            console.print(f"[red]{message}[/red]")
        if not outcome.passed:
            for name in ("hub", "agent"):
                console.print(f"--- the end of the {name}'s log:", markup=False)
                console.print(_tail(Path(workdir) / f"{name}.log"), markup=False)
    if not args.no_doc:
        write_section(SECTION, document(args, argv, outcome))
    return outcome


if __name__ == "__main__":
    sys.exit(0 if main().passed else 1)
