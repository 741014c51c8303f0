"""Rollout throughput: one run over N member clusters in S stages (default 10), maxConcurrency 100%, simulated agents
that succeed at once, on Kafka and on the embedded store.

    .venv/bin/python -m bench.rollout [--clusters 100,1000] [--stages 10] [--backends kafka,embedded]
                                      [--profile DIR] [--timeout 900] [--no-doc]

Per backend and N: wall time from `run.created` to `run.succeeded` (the orchestrator's event times) and
cluster updates per second (N / that time). The orchestrator is its own process (`fleetstage
orchestrator`); the simulated fleet and the driver share the benchmark process; on Kafka the broker is
the third. `--profile DIR` runs the orchestrator under py-spy and writes one speedscope file per case
(summarise with `python -m bench.hotspots FILE`). Results: a table, and the rollout section of
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
from orchestrator.gcsettings import tune_collector

TARGET_UPDATES_PER_SECOND = 2000.0
"""Issue 7: >= 2,000 cluster updates/s at N=10,000 on Kafka."""


@dataclass
class Case:
    backend: str
    clusters: int
    outcome: Outcome


def sizes_arg(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--clusters takes whole numbers separated by commas, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--clusters needs numbers >= 1, got {text!r}")
    return sizes


async def measure(args: argparse.Namespace, console: Console) -> list[Case]:
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
        workdir = Path(tmp)
        for backend in args.backends:
            async with fresh_store_urls(backend, workdir) as new_url:
                for clusters in args.clusters:
                    cases.append(await measure_case(args, console, workdir, new_url(), backend, clusters))
    return cases


async def measure_case(args: argparse.Namespace, console: Console, workdir: Path, url: str, backend: str,
                       clusters: int) -> Case:
    console.print(f"{backend}: one run over {clusters} clusters in {args.stages} stages ...")
    profile = args.profile / f"rollout-{backend}-{clusters}.json" if args.profile else None
    shape = Shape(placements=1, clusters_each=clusters, stages=args.stages)
    outcome = await drive(url, shape, workdir, timeout=args.timeout, profile=profile)
    console.print(f"  {outcome.span:.2f} s, {outcome.updates_per_second:,.0f} updates/s")
    return Case(backend, clusters, outcome)


HEADERS = ("backend", "clusters", "run created -> succeeded (s)", "cluster updates/s", "vs target 2,000/s",
           "orchestrator peak RSS (MB)")


def rows(cases: list[Case]) -> list[tuple[str, ...]]:
    return [
        (c.backend, f"{c.clusters:,}", f"{c.outcome.span:.2f}", f"{c.outcome.updates_per_second:,.0f}",
         f"{c.outcome.updates_per_second / TARGET_UPDATES_PER_SECOND:.3f}x", f"{c.outcome.peak_rss_mb:.0f}")
        for c in cases
    ]


def markdown(cases: list[Case], argv: list[str], stages: int) -> str:
    return "\n".join([
        "## Rollout throughput",
        "",
        f"`{command_line('bench.rollout', argv)}` (or `make bench-rollout`), {stamp()}, {machine()}.",
        f"One ClusterStagedUpdateRun over N member clusters in {stages} stages (N/{stages} clusters each, `maxConcurrency:",
        "100%`), simulated agents (`SimulatedFleet`, all members in one process, in-memory targets that",
        "succeed at once: `bench/instant.py`; heartbeats every 10 s). Processes: `fleetstage orchestrator`; the",
        "benchmark (simulated fleet + driver appending StrategyApplied, ApplyPlacement, ApplyRun); on Kafka, a",
        "local single-node broker. Time = first `run.created` to `run.succeeded`, both stamped by the orchestrator.",
        "",
        markdown_table(HEADERS, rows(cases)),
    ])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = benchmark_parser(__doc__, timeout=900.0, timeout_help="seconds to wait for each phase",
                              profile_help="directory for py-spy profiles of the orchestrator")
    parser.add_argument("--clusters", type=sizes_arg, default=[100, 1000], help="Ns to run, e.g. 100,1000,10000")
    parser.add_argument("--stages", type=int, default=10, help="stages of the strategy (default 10)")
    args = parser.parse_args(argv)
    if min(args.clusters) < args.stages:
        parser.error(f"--clusters {min(args.clusters)} is below --stages {args.stages}: every stage needs a cluster")
    return args


def report(console: Console, cases: list[Case], args: argparse.Namespace, argv: list[str]) -> None:
    title = f"rollout throughput ({args.stages} stages, maxConcurrency 100%)"
    console.print(rich_table(title, HEADERS, rows(cases)))
    if not args.no_doc:
        console.print(f"wrote the rollout section of {write_section('rollout', markdown(cases, argv, args.stages))}")

def main(argv: list[str] | None = None) -> None:
    tune_collector()  # this process hosts the simulated fleet: collect as `fleetstage agent` does
    run_benchmark(argv, parse_args, measure, report)

if __name__ == "__main__":
    main()
