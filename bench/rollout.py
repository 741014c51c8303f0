"""Rollout throughput: one run over N member clusters in 10 stages, maxConcurrency 100%, simulated agents
that succeed at once, on Kafka and on the embedded store.

    .venv/bin/python -m bench.rollout [--clusters 100,1000] [--stages 10] [--backends kafka,embedded]
                                      [--orchestrators shipped,drift-memo] [--profile DIR] [--timeout 900] [--no-doc]

Per backend and N: wall time from `run.created` to `run.succeeded` (the orchestrator's event times) and
cluster updates per second (N / that time). The orchestrator is its own process (`fleetstage
orchestrator`); the simulated fleet and the driver share the benchmark process; on Kafka the broker is
the third. `--profile DIR` runs the orchestrator under py-spy and writes one speedscope file per case
(summarise with `python -m bench.hotspots FILE`). `--orchestrators shipped,drift-memo` also measures the
what-if orchestrator of bench/whatif.py (a proposal patched in) beside the shipped one. Results: a table,
and the rollout section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench.drive import Outcome, drive
from bench.support import (
    backends_arg, command_line, fresh_store_urls, machine, markdown_table, quiet_client_logs, rich_table, stamp,
    write_section,
)
from bench.whatif import SHIPPED, VARIANTS, orchestrators_arg
from bench.world import Shape

TARGET_UPDATES_PER_SECOND = 2000.0
"""Issue 7: >= 2,000 cluster updates/s at N=10,000 on Kafka."""


@dataclass
class Case:
    backend: str
    orchestrator: str
    """`shipped`, or the bench/whatif.py variant it ran with."""
    clusters: int
    outcome: Outcome | None
    """None: not run (the shipped orchestrator above --max-shipped-clusters); `rows` estimates it."""


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
                    for variant in args.orchestrators:
                        cases.append(await measure_case(args, console, workdir, new_url(), backend, variant, clusters))
    return cases


async def measure_case(args: argparse.Namespace, console: Console, workdir: Path, url: str, backend: str,
                       variant: str, clusters: int) -> Case:
    if variant == SHIPPED and clusters > args.max_shipped_clusters:
        console.print(f"{backend}, shipped orchestrator, {clusters} clusters: not run "
                      f"(above --max-shipped-clusters {args.max_shipped_clusters})")
        return Case(backend, variant, clusters, None)
    console.print(f"{backend}, {variant} orchestrator: one run over {clusters} clusters in {args.stages} stages ...")
    profile = args.profile / f"rollout-{backend}-{variant}-{clusters}.json" if args.profile else None
    shape = Shape(placements=1, clusters_each=clusters, stages=args.stages)
    outcome = await drive(url, shape, workdir, timeout=args.timeout, profile=profile,
                          whatif=None if variant == SHIPPED else variant)
    console.print(f"  {outcome.span:.2f} s, {outcome.updates_per_second:,.0f} updates/s")
    return Case(backend, variant, clusters, outcome)


HEADERS = ("backend", "orchestrator", "clusters", "run created -> succeeded (s)", "cluster updates/s",
           "vs target 2,000/s", "vs shipped", "orchestrator peak RSS (MB)")


def quadratic_estimate(cases: list[Case], backend: str, clusters: int) -> tuple[float, int] | None:
    """Seconds the shipped orchestrator would take for `clusters`, from its largest measured run on the
    same backend scaled by (N / n)^2 (its drift check makes a run O(N^2)), and that n."""
    measured = [c for c in cases if c.backend == backend and c.orchestrator == SHIPPED and c.outcome is not None]
    if not measured:
        return None
    largest = max(measured, key=lambda c: c.clusters)
    assert largest.outcome is not None
    return largest.outcome.span * (clusters / largest.clusters) ** 2, largest.clusters


def rows(cases: list[Case]) -> list[tuple[str, ...]]:
    out = []
    for c in cases:
        if c.outcome is None:
            estimate = quadratic_estimate(cases, c.backend, c.clusters)
            guess = f"not run; ~{estimate[0]:,.0f} est. from N={estimate[1]:,} x (N/n)^2" if estimate else "not run"
            out.append((c.backend, c.orchestrator, f"{c.clusters:,}", guess, "", "", "", ""))
            continue
        same = (c.backend, c.clusters)
        shipped = next((s for s in cases if s.orchestrator == SHIPPED and (s.backend, s.clusters) == same), None)
        versus = ""
        if c.orchestrator != SHIPPED and shipped is not None:
            if shipped.outcome is not None:
                versus = f"{shipped.outcome.span / c.outcome.span:.1f}x faster"
            elif (estimate := quadratic_estimate(cases, c.backend, c.clusters)) is not None:
                versus = f"~{estimate[0] / c.outcome.span:,.0f}x faster (est.)"
        rate = c.outcome.updates_per_second
        out.append((
            c.backend, c.orchestrator, f"{c.clusters:,}", f"{c.outcome.span:.2f}", f"{rate:,.0f}",
            f"{rate / TARGET_UPDATES_PER_SECOND:.3f}x", versus, f"{c.outcome.peak_rss_mb:.0f}",
        ))
    return out


def markdown(cases: list[Case], argv: list[str]) -> str:
    return "\n".join([
        "## Rollout throughput",
        "",
        f"`{command_line('bench.rollout', argv)}` (or `make bench-rollout`), {stamp()}, {machine()}.",
        "One ClusterStagedUpdateRun over N member clusters in 10 stages (N/10 clusters each, `maxConcurrency:",
        "100%`), simulated agents (`SimulatedFleet`, all members in one process, in-memory targets that",
        "succeed at once: `bench/instant.py`; heartbeats every 10 s). Processes: `fleetstage orchestrator`; the",
        "benchmark (simulated fleet + driver appending StrategyApplied, ApplyPlacement, ApplyRun); on Kafka, a",
        "local single-node broker. Time = first `run.created` to `run.succeeded`, both stamped by the orchestrator.",
        "Orchestrator `shipped` is `fleetstage orchestrator`; any other row is the what-if orchestrator of",
        "`bench/whatif.py` with that proposal patched in (see Hot spots), measured in the same invocation.",
        "Above `--max-shipped-clusters` the shipped orchestrator is not run: its time is estimated from its",
        "largest measured run on the same backend times (N/n)^2, as its per-report drift check is O(N).",
        "",
        markdown_table(HEADERS, rows(cases)),
    ])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=sizes_arg, default=[100, 1000], help="Ns to run, e.g. 100,1000,10000")
    parser.add_argument("--stages", type=int, default=10, help="stages of the strategy (default 10)")
    parser.add_argument("--backends", type=backends_arg, default=["kafka", "embedded"], help="kafka,embedded")
    parser.add_argument("--orchestrators", type=orchestrators_arg, default=[SHIPPED],
                        help=f"shipped and/or what-if variants ({', '.join(VARIANTS)}), e.g. shipped,drift-memo")
    parser.add_argument("--max-shipped-clusters", type=int, default=2000,
                        help="larger Ns skip the shipped orchestrator (O(N^2): estimated instead; default 2000)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for each phase (default 900)")
    parser.add_argument("--profile", type=Path, help="directory for py-spy profiles of the orchestrator")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    if min(args.clusters) < args.stages:
        parser.error(f"--clusters {min(args.clusters)} is below --stages {args.stages}: every stage needs a cluster")
    return args


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    quiet_client_logs()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    console = Console(width=160)
    cases = asyncio.run(measure(args, console))
    console.print(rich_table("rollout throughput (10 stages, maxConcurrency 100%)", HEADERS, rows(cases)))
    if not args.no_doc:
        console.print(f"wrote the rollout section of {write_section('rollout', markdown(cases, argv))}")


if __name__ == "__main__":
    main()
