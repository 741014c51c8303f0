"""What-if orchestrator: `fleetstage orchestrator` with proposal P1 of docs/benchmarks.md patched in,
so a benchmark can show what the proposal would give. It is NOT the shipped orchestrator: the benchmarks
run the real one (`shipped`) unless `--orchestrators` names a variant, and label every row with it.

P1 (memoised drift check): `orchestrator.validation.drift` recomputes every stage's clusters from the
strategy snapshot and the members' labels (`assign_stages`, O(clusters x stages)) at every step of every
run, i.e. for every agent report: O(N^2) per run. Its inputs only change when the placement, its policy
snapshot, its scheduling, the run's plan or the fleet (members, labels) change, so the verdict is kept
per run and computed again only when one of those objects is replaced (states are immutable records, so
identity tells) or a `fleet` event was folded since.

    .venv/bin/python -m bench.whatif --store URL [--variant drift-memo] [--tracemalloc FILE]

Without `--variant` it runs the shipped code; `--tracemalloc FILE` then attributes its memory (slowly).
"""
from __future__ import annotations

import argparse
import logging
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import orchestrator.decide
from eventstore import Event
from orchestrator.cli import run_orchestrator
from orchestrator.fleetview import FleetChange, FleetView
from orchestrator.state import PlacementState, RunState
from orchestrator.validation import drift

VARIANTS = ("drift-memo",)
SHIPPED = "shipped"
"""The name the benchmarks give the real `fleetstage orchestrator` beside the variants."""

Apply = Callable[[FleetView, Event], FleetChange]

_fleet_version = 0
"""How many `fleet` events were folded (any of them may change the members or their labels)."""
_verdicts: dict[tuple[str, str], tuple[int, tuple[object, ...], str | None]] = {}


def _counting(apply: Apply) -> Apply:
    def counted(self: FleetView, event: Event) -> FleetChange:
        global _fleet_version
        _fleet_version += 1
        return apply(self, event)

    return counted


def memoised_drift(state: PlacementState, run: RunState, fleet: FleetView) -> str | None:
    """`drift`, computed again only when one of its inputs was replaced or the fleet changed."""
    inputs = (state.placement, state.latest_policy, state.scheduled, run.plan, run.strategy)
    key = (state.name, run.name)
    known = _verdicts.get(key)
    if known is not None and known[0] == _fleet_version and all(a is b for a, b in zip(known[1], inputs)):
        return known[2]
    verdict = drift(state, run, fleet)
    _verdicts[key] = (_fleet_version, inputs, verdict)
    return verdict


def orchestrators_arg(text: str) -> list[str]:
    """`--orchestrators shipped,drift-memo` (argparse type): the names, checked."""
    chosen = [name for name in text.split(",") if name]
    unknown = sorted(set(chosen) - {SHIPPED, *VARIANTS})
    if unknown or not chosen:
        choices = ", ".join((SHIPPED, *VARIANTS))
        raise argparse.ArgumentTypeError(f"unknown orchestrator(s) {unknown}: choose from {choices}")
    return chosen


def install(variant: str) -> None:
    if variant != "drift-memo":
        raise ValueError(f"unknown what-if variant {variant!r}: choose from {', '.join(VARIANTS)}")
    FleetView.apply = _counting(FleetView.apply)  # type: ignore[method-assign]
    orchestrator.decide.drift = memoised_drift  # type: ignore[attr-defined]


def watch_memory(output: Path, every: float = 5.0) -> None:
    """Trace allocations; every `every` s keep the snapshot with the most memory traced so far, and write
    its top allocation sites to `output` each time it grows (a daemon thread: the file is always there)."""
    tracemalloc.start(8)

    def keep_peak() -> None:
        peak = 0
        while True:
            time.sleep(every)
            snapshot = tracemalloc.take_snapshot()
            stats = snapshot.statistics("traceback")
            total = sum(stat.size for stat in stats)
            if total > peak:
                peak = total
                lines = [f"traced {total / 2**20:.1f} MiB at {time.strftime('%H:%M:%S')}"]
                for stat in stats[:15]:
                    lines.append(f"{stat.size / 2**20:8.1f} MiB {stat.count:9d} blocks")
                    lines.extend(f"      {frame}" for frame in stat.traceback.format()[-8:])
                output.write_text("\n".join(lines) + "\n")

    threading.Thread(target=keep_peak, name="tracemalloc peak", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="event store URL")
    parser.add_argument("--variant", choices=VARIANTS, help="the proposal to patch in (none: the shipped code)")
    parser.add_argument("--tracemalloc", type=Path, help="write the top allocation sites at peak to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.tracemalloc is not None:
        watch_memory(args.tracemalloc)
    if args.variant is not None:
        install(args.variant)
    run_orchestrator(args.store)


if __name__ == "__main__":
    main()
