"""Many runs: 100 placements of 100 clusters each (10,000 simulated members), all 100 runs started at once
(10 stages, maxConcurrency 100%), on Kafka and on the embedded store; on Kafka, optionally split among
several orchestrator processes in one consumer group.

    .venv/bin/python -m bench.manyruns [--placements 100] [--clusters-each 100] [--stages 10]
                                       [--backends kafka,embedded] [--orchestrators 1]
                                       [--profile DIR] [--trace-memory DIR] [--timeout 900] [--no-doc]

Reports the wall time from the first `run.created` to the last `run.succeeded`, cluster updates per
second over all runs, and the orchestrator process's peak RSS (the kernel's VmHWM, which includes its
start and the scheduling of every placement; the largest one when there are several).

`--orchestrators 1,2` measures Kafka once per count, in that order (`1,2,1,2` alternates, to see the
noise of a busy machine), all on one broker warmed first by an unmeasured case of the same shape with
the most orchestrators asked (so the first case does not pay the broker's JIT compilation), each case on
its own fresh topics; and the embedded store for the counts of 1 only (it gives a consumer group's
whole stream to one member: a second orchestrator would only stand by). With N > 1, N `fleetstage
orchestrator` processes join one consumer group and the runs are started once the group has settled,
every orchestrator serving some partitions of `placements` (read from their logs). Every case then
checks the log: each command and domain event exactly once (bench.exactlyonce; the benchmark fails
otherwise). A second table shows the split (partitions and runs per orchestrator), the CPU seconds each
process used while the runs went (and how long it waited for a core), and the two halves of a cluster
update's cycle (bench.halfcycles). Each case also shows the 1-minute load average when it started.
Results: the tables, and the manyruns section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench.cpushare import BROKER, THIS_PROCESS
from bench.drive import Outcome, drive
from bench.exactlyonce import Verdict, check
from bench.halfcycles import Halves, halves
from bench.orchestrators import describe
from bench.support import (
    benchmark_parser, command_line, fresh_store_urls, machine, markdown_table, read_streams, run_benchmark,
    rich_table, stamp, write_section,
)
from bench.world import Shape
from fleetevents.runs import RunCreated
from fleetevents.streams import AGENTS, ALL_STREAMS, PLACEMENTS
from orchestrator.gcsettings import tune_collector

TARGET_PEAK_RSS_MB = 300.0
"""Issue 7: orchestrator peak RSS <= 300 MB in this benchmark."""
PLACEMENT_PARTITIONS = next(spec.partitions for spec in ALL_STREAMS if spec.name == PLACEMENTS)


@dataclass
class Case:
    backend: str
    orchestrators: int
    outcome: Outcome
    verdict: Verdict
    halves: Halves
    load: float
    """The machine's 1-minute load average when the case started (other work shares the cores)."""

    def runs_decided(self) -> list[int]:
        """How many runs each orchestrator created (by the partition of each `run.created`)."""
        created = [e.position.partition for e in self.outcome.run_events
                   if isinstance(e.data, RunCreated) and e.position is not None]
        return [sum(1 for p in created if p in owned) for owned in self.outcome.partitions]


async def measure(args: argparse.Namespace, console: Console) -> list[Case]:
    shape = Shape(placements=args.placements, clusters_each=args.clusters_each, stages=args.stages)
    cases = []
    with tempfile.TemporaryDirectory(prefix="bench-manyruns-") as tmp:
        workdir = Path(tmp)
        for backend in args.backends:
            counts = args.orchestrators if backend == "kafka" else [n for n in args.orchestrators if n == 1]
            if not counts:
                console.print(f"{backend}: skipped (one orchestrator only on this store, none asked)")
                continue
            async with fresh_store_urls(backend, workdir) as new_url:
                if backend == "kafka":
                    await warm_up(args, console, shape, workdir, max(counts), new_url())
                for count in counts:
                    cases.append(await measure_case(args, console, shape, workdir, backend, count, new_url()))
    return cases


async def warm_up(args: argparse.Namespace, console: Console, shape: Shape, workdir: Path, count: int,
                  url: str) -> None:
    """One unmeasured case on the broker (its own topics), so every measured case finds it warm: its JIT
    has compiled the hot paths and its internal topics and coordinators are loaded."""
    console.print(f"kafka, warm-up (not measured): {count} orchestrator(s), the same runs ...")
    await drive(url, shape, workdir, timeout=args.timeout, orchestrators=count)


async def measure_case(args: argparse.Namespace, console: Console, shape: Shape, workdir: Path, backend: str,
                       count: int, url: str) -> Case:
    """One backend, `count` orchestrators: drive the runs, then read the log, check it (RuntimeError if
    not exactly once) and time the halves of the cluster updates."""
    name = f"manyruns-{backend}" + (f"-{count}orchestrators" if count > 1 else "")
    console.print(f"{backend}, {count} orchestrator(s): {shape.placements} runs of {shape.clusters_each} clusters "
                  "at once ...")
    load = os.getloadavg()[0]
    outcome = await drive(url, shape, workdir, timeout=args.timeout, orchestrators=count,
                          profile=args.profile / f"{name}.json" if args.profile else None,
                          trace_memory=args.trace_memory / f"{name}.txt" if args.trace_memory else None)
    log = await read_streams(url, (PLACEMENTS, AGENTS))
    verdict = check(shape, log[PLACEMENTS], log[AGENTS])
    case = Case(backend, count, outcome, verdict, halves(log[PLACEMENTS], log[AGENTS]), load)
    console.print(f"  {outcome.span:.1f} s, peak RSS {outcome.peak_rss_mb:.0f} MB, runs per orchestrator "
                  f"{' / '.join(map(str, case.runs_decided()))}, exactly once: {verdict.summary()}")
    if not verdict.ok:
        raise RuntimeError(f"{backend} with {count} orchestrator(s): the log is not exactly once:\n"
                           f"{verdict.problems()}")
    return case


HEADERS = ("backend", "orchestrators", "load at start (1 min)", "runs x clusters",
           "first created -> last succeeded (s)", "vs 1 orchestrator", "cluster updates/s",
           "orchestrator peak RSS (MB)", "RSS vs target 300 MB", "exactly once")
SPLIT_HEADERS = ("backend", "orchestrators", "placements partitions each", "runs each", "rebalanced during runs",
                 "CPU s (waiting for a core s): orchestrators", f"{THIS_PROCESS}", f"{BROKER}", "busy cores",
                 "request -> report, report -> accepted (p50 / p90)")


def speedup(case: Case, cases: list[Case]) -> str:
    """The span of the first single-orchestrator case of the same backend over this one's."""
    single = next((c for c in cases if c.backend == case.backend and c.orchestrators == 1), None)
    return "-" if single is None else f"{single.outcome.span / case.outcome.span:.2f}x"


def rows(cases: list[Case]) -> list[tuple[str, ...]]:
    out = []
    for c in cases:
        shape, rss = c.outcome.shape, c.outcome.peak_rss_mb
        out.append((
            c.backend, str(c.orchestrators), f"{c.load:.1f}", f"{shape.placements} x {shape.clusters_each}",
            f"{c.outcome.span:.1f}", speedup(c, cases), f"{c.outcome.updates_per_second:,.0f}", f"{rss:.0f}",
            f"{rss / TARGET_PEAK_RSS_MB:.2f}x ({'met' if rss <= TARGET_PEAK_RSS_MB else 'MISSED'})",
            c.verdict.summary(),
        ))
    return out


def split_rows(cases: list[Case]) -> list[tuple[str, ...]]:
    out = []
    for c in cases:
        cpu, queued = c.outcome.cpu, c.outcome.queued

        def used(name: str) -> str:
            return f"{cpu[name]:.1f} ({queued[name]:.1f})" if name in cpu else "-"

        orchestrators = [name for name in cpu if name.startswith("orchestrator")]
        out.append((
            c.backend, str(c.orchestrators), describe(c.outcome.partitions),
            " / ".join(map(str, c.runs_decided())), "yes" if c.outcome.reassigned else "no",
            " / ".join(map(used, orchestrators)), used(THIS_PROCESS), used(BROKER),
            f"{sum(cpu.values()) / c.outcome.window:.2f} of {c.outcome.window:.1f} s", c.halves.describe(),
        ))
    return out


def markdown(cases: list[Case], argv: list[str]) -> str:
    return "\n".join([
        "## Many runs at once",
        "",
        f"`{command_line('bench.manyruns', argv)}` (or `make bench-manyruns`), {stamp()}, {machine()}.",
        "Each placement picks its own 100 members (`group` label); every run has 10 stages at `maxConcurrency:",
        "100%`; the 100 ApplyRun commands are appended in one batch. Same processes as the rollout benchmark.",
        "Peak RSS is the orchestrator process's VmHWM read just before it is stopped (the largest of several).",
        "Exactly once: every `cluster.updaterequested`, `cluster.updatesucceeded`, `stage.started/succeeded`,",
        "`run.created/succeeded` of the runs is in the log once (bench/exactlyonce.py). On Kafka the cases run",
        "in the order given, on one broker warmed by an unmeasured case first, each on its own fresh topics.",
        "",
        markdown_table(HEADERS, rows(cases)),
        "",
        "The split among orchestrators (one consumer group on the `placements` topic) and the CPU seconds each",
        "process used from appending the runs to seeing the last success, with the seconds its threads waited",
        "for a core in brackets (busy cores: the CPU seconds over that wall time; the machine has 2), and the",
        "two halves of a cluster update's cycle (bench/halfcycles.py). See docs/scaling.md.",
        "",
        markdown_table(SPLIT_HEADERS, split_rows(cases)),
    ])


def orchestrator_counts(text: str) -> list[int]:
    """`--orchestrators 1,2` (argparse type): the counts, each from 1 to the placements partitions."""
    try:
        counts = [int(part) for part in text.split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"give whole numbers separated by commas, e.g. 1,2 (got {text!r})") from None
    if not counts or not all(1 <= n <= PLACEMENT_PARTITIONS for n in counts):
        raise argparse.ArgumentTypeError(
            f"each count must be from 1 to {PLACEMENT_PARTITIONS} (the partitions of the placements stream: "
            f"an orchestrator beyond that would serve none), got {text!r}")
    return counts


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = benchmark_parser(__doc__, timeout=900.0, timeout_help="seconds to wait for each phase",
                              profile_help="directory for py-spy profiles of the orchestrator(s)")
    parser.add_argument("--placements", type=int, default=100, help="placements, one run each (default 100)")
    parser.add_argument("--clusters-each", type=int, default=100, help="clusters per placement (default 100)")
    parser.add_argument("--stages", type=int, default=10, help="stages of the strategy (default 10)")
    parser.add_argument("--orchestrators", type=orchestrator_counts, default=[1],
                        help="orchestrator processes in one consumer group, one case per count: 1,2 compares "
                             "one and two (default 1; counts above 1 run on Kafka only)")
    parser.add_argument("--trace-memory", type=Path,
                        help="directory: the orchestrator writes its top allocation sites at peak there (tracemalloc, "
                             "slow: the figures of such a run are not representative; one orchestrator only)")
    args = parser.parse_args(argv)
    if args.placements < 1 or args.clusters_each < args.stages:
        parser.error("--placements must be >= 1 and --clusters-each at least --stages (every stage needs a cluster)")
    if max(args.orchestrators) > 1 and args.trace_memory:
        parser.error("--trace-memory traces a single orchestrator: use it with --orchestrators 1")
    return args


def report(console: Console, cases: list[Case], args: argparse.Namespace, argv: list[str]) -> None:
    console.print(rich_table("many runs at once", HEADERS, rows(cases)))
    console.print(rich_table("split among orchestrators, CPU while the runs went", SPLIT_HEADERS, split_rows(cases)))
    if not args.no_doc:
        console.print(f"wrote the manyruns section of {write_section('manyruns', markdown(cases, argv))}")

def main(argv: list[str] | None = None) -> None:
    tune_collector()  # this process hosts the simulated fleet: collect as `fleetstage agent` does
    run_benchmark(argv, parse_args, measure, report)

if __name__ == "__main__":
    main()
