"""`fleetstage orchestrator` with its memory traced: every few seconds the top allocation sites of the
largest snapshot so far are written to a file (tracemalloc; slow, for finding what holds the memory).

    .venv/bin/python -m bench.tracemem --store URL --tracemalloc FILE
"""
from __future__ import annotations

import argparse
import logging
import threading
import time
import tracemalloc
from pathlib import Path

from orchestrator.cli import run_orchestrator


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
    parser.add_argument("--tracemalloc", type=Path, required=True, help="write the top allocation sites at peak here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    watch_memory(args.tracemalloc)
    run_orchestrator(args.store)


if __name__ == "__main__":
    main()
