"""Many runs: 100 placements of 100 clusters each (10,000 simulated members), all 100 runs started at once
(10 stages, maxConcurrency 100%), on Kafka and on the embedded store.

    .venv/bin/python -m bench.manyruns [--placements 100] [--clusters-each 100] [--stages 10]
                                       [--backends kafka,embedded]
                                       [--profile DIR] [--trace-memory DIR] [--timeout 900] [--no-doc]

Reports the wall time from the first `run.created` to the last `run.succeeded`, cluster updates per
second over all runs, and the orchestrator process's peak RSS (the kernel's VmHWM, which includes its
start and the scheduling of every placement). Results: a table, and the manyruns section of
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench.drive import Outcome, drive
from bench.support import (
    benchmark_parser, command_line, fresh_store_urls, machine, markdown_table, run_benchmark, rich_table, stamp,
    write_section,
)
from bench.world import Shape

TARGET_PEAK_RSS_MB = 300.0
"""Issue 7: orchestrator peak RSS <= 300 MB in this benchmark."""


@dataclass
class Case:
    backend: str
    outcome: Outcome


async def measure(args: argparse.Namespace, console: Console) -> list[Case]:
    shape = Shape(placements=args.placements, clusters_each=args.clusters_each, stages=args.stages)
    cases = []
    with tempfile.TemporaryDirectory(prefix="bench-manyruns-") as tmp:
        workdir = Path(tmp)
        for backend in args.backends:
            async with fresh_store_urls(backend, workdir) as new_url:
                console.print(f"{backend}: {shape.placements} runs of {shape.clusters_each} clusters at once ...")
                profile = args.profile / f"manyruns-{backend}.json" if args.profile else None
                memory = args.trace_memory / f"manyruns-{backend}.txt" if args.trace_memory else None
                outcome = await drive(new_url(), shape, workdir, timeout=args.timeout, profile=profile,
                                      trace_memory=memory)
                console.print(f"  {outcome.span:.1f} s, peak RSS {outcome.peak_rss_mb:.0f} MB")
                cases.append(Case(backend, outcome))
    return cases


HEADERS = ("backend", "runs x clusters", "first created -> last succeeded (s)", "cluster updates/s",
           "orchestrator peak RSS (MB)", "RSS vs target 300 MB")


def rows(cases: list[Case]) -> list[tuple[str, ...]]:
    out = []
    for c in cases:
        shape, rss = c.outcome.shape, c.outcome.peak_rss_mb
        out.append((
            c.backend, f"{shape.placements} x {shape.clusters_each}", f"{c.outcome.span:.1f}",
            f"{c.outcome.updates_per_second:,.0f}", f"{rss:.0f}",
            f"{rss / TARGET_PEAK_RSS_MB:.2f}x ({'met' if rss <= TARGET_PEAK_RSS_MB else 'MISSED'})",
        ))
    return out


def markdown(cases: list[Case], argv: list[str]) -> str:
    return "\n".join([
        "## Many runs at once",
        "",
        f"`{command_line('bench.manyruns', argv)}` (or `make bench-manyruns`), {stamp()}, {machine()}.",
        "Each placement picks its own 100 members (`group` label); every run has 10 stages at `maxConcurrency:",
        "100%`; the 100 ApplyRun commands are appended in one batch. Same processes as the rollout benchmark.",
        "Peak RSS is the orchestrator process's VmHWM read just before it is stopped.",
        "",
        markdown_table(HEADERS, rows(cases)),
    ])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = benchmark_parser(__doc__, timeout=900.0, timeout_help="seconds to wait for each phase",
                              profile_help="directory for py-spy profiles of the orchestrator")
    parser.add_argument("--placements", type=int, default=100, help="placements, one run each (default 100)")
    parser.add_argument("--clusters-each", type=int, default=100, help="clusters per placement (default 100)")
    parser.add_argument("--stages", type=int, default=10, help="stages of the strategy (default 10)")
    parser.add_argument("--trace-memory", type=Path,
                        help="directory: the orchestrator writes its top allocation sites at peak there (tracemalloc, "
                             "slow: the figures of such a run are not representative)")
    args = parser.parse_args(argv)
    if args.placements < 1 or args.clusters_each < args.stages:
        parser.error("--placements must be >= 1 and --clusters-each at least --stages (every stage needs a cluster)")
    return args


def report(console: Console, cases: list[Case], args: argparse.Namespace, argv: list[str]) -> None:
    console.print(rich_table("many runs at once", HEADERS, rows(cases)))
    if not args.no_doc:
        console.print(f"wrote the manyruns section of {write_section('manyruns', markdown(cases, argv))}")

def main(argv: list[str] | None = None) -> None:
    run_benchmark(argv, parse_args, measure, report)

if __name__ == "__main__":
    main()
