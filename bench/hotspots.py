"""Summarise a py-spy speedscope profile (what `--profile DIR` of the benchmarks writes): the functions
with the most samples on the stack (inclusive) and at the top of it (self), as a share of all samples.

    .venv/bin/python -m bench.hotspots PROFILE.json [--top 25] [--match orchestrator/] [--thread MainThread]

Shares are of the seconds sampled in the threads chosen (py-spy leaves out idle samples, but a thread
blocked in C code, e.g. a worker thread waiting in sqlite3, may still count). The first table gives the
seconds sampled per thread.
"""
from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

REPO_ROOT = str(Path(__file__).resolve().parents[1])
"""File names in profiles are shown relative to this checkout."""


@dataclass
class Hotspots:
    samples: float
    """Seconds sampled in the chosen threads."""
    inclusive: Counter[str]
    own: Counter[str]
    threads: dict[str, float]
    """Seconds sampled per thread (all threads)."""


def frame_name(frame: dict[str, object]) -> str:
    file = str(frame.get("file", "?"))
    for marker in ("/site-packages/", f"{REPO_ROOT}/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{frame.get('name', '?')} ({file}:{frame.get('line', '?')})"


def summarise(path: Path, thread: str = "") -> Hotspots:
    """The profile at `path`, counting only the threads whose name contains `thread`."""
    data = orjson.loads(path.read_bytes())
    names = [frame_name(f) for f in data["shared"]["frames"]]
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    threads = {profile["name"]: sum(profile["weights"]) for profile in data["profiles"]}
    samples = 0.0
    for profile in data["profiles"]:
        if thread not in profile["name"]:
            continue
        for stack, weight in zip(profile["samples"], profile["weights"]):
            samples += weight
            if not stack:
                continue
            for name in {names[i] for i in stack}:
                inclusive[name] += weight
            own[names[stack[-1]]] += weight
    return Hotspots(samples, inclusive, own, threads)


def table(spots: Hotspots, which: str, top: int, match: str) -> Table:
    counter = spots.inclusive if which == "inclusive" else spots.own
    out = Table(title=f"{which} share of {spots.samples:.1f} s sampled")
    out.add_column("%", justify="right")
    out.add_column("function (file:line)")
    for name, count in [(n, c) for n, c in counter.most_common() if match in n][:top]:
        out.add_row(f"{100 * count / max(spots.samples, 1):.1f}", name)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path, help="a speedscope JSON file written by py-spy")
    parser.add_argument("--top", type=int, default=25, help="rows per table (default 25)")
    parser.add_argument("--match", default="", help="only functions whose name or file contains this text")
    parser.add_argument("--thread", default="", help="only threads whose name contains this text (e.g. MainThread)")
    args = parser.parse_args(argv)
    spots = summarise(args.profile, args.thread)
    console = Console(width=200)
    threads = Table(title="seconds sampled per thread")
    threads.add_column("thread")
    threads.add_column("s", justify="right")
    for name, seconds in sorted(spots.threads.items(), key=lambda item: -item[1]):
        threads.add_row(name, f"{seconds:.1f}")
    console.print(threads)
    console.print(table(spots, "inclusive", args.top, args.match))
    console.print(table(spots, "self", args.top, args.match))


if __name__ == "__main__":
    main()
