"""The guarantees a fault must not break, checked after a run finished:

- `command_counts`: every cluster got exactly one command per run, reported once, and the run's
  milestones (stages, TimedWait, approval) happened once each; no event id appears twice in the log.
- `ledger_problems`: each member's apply ledger holds exactly one entry for the run, and the member
  holds the run's content.
- `read_model_problems`: a read-model file equals a fresh rebuild from the log up to its positions,
  and its audit has every event of the log (up to those positions) exactly once.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import yaml

from eventstore import Event, EventStore
from projections.fold import DocumentSet
from projections.runner import STREAMS, Projector
from projections.store import ProjectionStore
from tests.faults.logwatch import FOLLOWED, LogWatch
from tests.faults.rollout import CONFIGMAP, STAGES

Tables = dict[str, list[tuple[Any, ...]]]
ONCE_PER_RUN = ("run.initialized", "run.succeeded", "wait.elapsed", "approval.requested", "approval.granted",
                "approval.accepted")
ONCE_PER_STAGE = ("stage.started", "stage.succeeded")
ONCE_PER_CLUSTER = ("cluster.updaterequested", "cluster.updatestarted", "cluster.updated",
                    "cluster.updatesucceeded")


def _fmt(counts: Counter[Any]) -> str:
    return ", ".join(f"{key}: {n}" for key, n in sorted(counts.items(), key=str))


def command_counts(log: LogWatch, run: str, clusters: list[str]) -> list[str]:
    """What happened other than exactly once in run `run` (empty when all is well)."""
    problems = []
    events = log.of_run(run)
    types = Counter(e.type.removeprefix("fleetstage.") for e in events)
    problems += [f"{run}: {t} written {types[t]} times" for t in ONCE_PER_RUN if types[t] != 1]
    for kind in ONCE_PER_STAGE:
        stages = Counter(e.data.stage for e in events if e.type == f"fleetstage.{kind}")
        if stages != Counter(STAGES):
            problems.append(f"{run}: {kind} per stage is {_fmt(stages)}, expected each of {STAGES} once")
    for kind in ONCE_PER_CLUSTER:
        per_cluster = Counter(e.data.cluster for e in events if e.type == f"fleetstage.{kind}")
        wrong = Counter({c: per_cluster[c] for c in {*clusters, *per_cluster} if per_cluster[c] != 1})
        if wrong:
            problems.append(f"{run}: {kind} not exactly once per cluster: {_fmt(wrong)}")
    repeated = Counter(e.id for e in log.events)
    problems += [f"event id {i} is in the log {n} times" for i, n in repeated.items() if n > 1]
    return problems


def ledger_lines(target: Path) -> list[dict[str, Any]]:
    path = target / ".fleetstage" / "ledger.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()] if path.exists() else []


def ledger_problems(members_dir: Path, run: str, index: int, clusters: list[str]) -> list[str]:
    """Members whose ledger does not hold the run exactly once, or that lack the run's content."""
    problems = []
    for cluster in clusters:
        target = members_dir / cluster
        entries = [e for e in ledger_lines(target) if e["run"] == run]
        expected = [{"run": run, "placement": run, "resource_snapshot_index": index, "delete": False,
                     "succeeded": True}]
        found = [{k: e[k] for k in expected[0]} for e in entries]
        if found != expected:
            problems.append(f"{cluster}: ledger entries for {run} are {found}, expected {expected}")
        configmap = target / run / "ConfigMap" / f"{CONFIGMAP}.yaml"
        data = yaml.safe_load(configmap.read_text()).get("data") if configmap.exists() else None
        if data != {"rollout": run.removeprefix("faults-")}:
            problems.append(f"{cluster}: {configmap} holds data {data}")
        if not (target / "_cluster" / "Namespace" / f"{run}.yaml").exists():
            problems.append(f"{cluster}: namespace {run} is missing")
    return problems


def snapshot_tables(path: Path) -> Tables:
    """Documents, audit and positions of a read-model file, read in one transaction (consistent while a
    runner goes on committing)."""
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        db.execute("BEGIN")
        try:
            return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                    for t in ("documents", "audit", "positions")}
        finally:
            db.execute("ROLLBACK")


def positions_of(tables: Tables) -> dict[tuple[str, int], int]:
    return {(stream, partition): offset for stream, partition, offset in tables["positions"]}


async def whole_log(store: EventStore) -> dict[str, list[Event]]:
    return {stream: [e async for e in store.read(stream)] for stream in STREAMS}


async def wait_caught_up(path: Path, store: EventStore, timeout: float) -> None:
    """Return once the read-model file holds every event of FOLLOWED written so far."""
    targets: dict[tuple[str, int], int] = {}
    for stream in FOLLOWED:
        async for event in store.read(stream):
            assert event.position is not None
            targets[(stream, event.position.partition)] = event.position.offset + 1
    deadline = time.monotonic() + timeout
    while True:
        positions = positions_of(snapshot_tables(path)) if path.exists() else {}
        behind = {k: (positions.get(k, 0), v) for k, v in targets.items() if positions.get(k, 0) < v}
        if not behind:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} did not catch up within {timeout:g}s: (at, log end) {behind}")
        await asyncio.sleep(0.1)


async def rebuilt_tables(log: dict[str, list[Event]], positions: dict[tuple[str, int], int], path: Path) -> Tables:
    """The read models folded from scratch from `log` up to `positions`, in a new file `path`."""
    async with ProjectionStore(path) as db:
        projector = Projector(db, DocumentSet(), {})
        for stream in STREAMS:
            await projector.apply([e for e in log[stream]
                                   if e.position and e.position.offset < positions.get((stream, e.position.partition), 0)])
    return snapshot_tables(path)


async def read_model_problems(path: Path, store: EventStore, scratch: Path, timeout: float = 60) -> list[str]:
    """How the read-model file `path` differs from a rebuild (see the module docstring)."""
    await wait_caught_up(path, store, timeout)
    live = snapshot_tables(path)
    positions = positions_of(live)
    log = await whole_log(store)
    scratch.unlink(missing_ok=True)
    rebuilt = await rebuilt_tables(log, positions, scratch)
    problems = []
    for table in ("documents", "positions"):
        if live[table] != rebuilt[table]:
            extra = set(live[table]) - set(rebuilt[table])
            missing = set(rebuilt[table]) - set(live[table])
            problems.append(f"{path.name}: {table} differ from a rebuild: only live {sorted(extra)[:3]}, "
                            f"only rebuilt {sorted(missing)[:3]}")
    audited = Counter(row[7] for row in live["audit"])  # column 7 is the event id
    expected = Counter(e.id for stream in STREAMS for e in log[stream]
                       if e.position and e.position.offset < positions.get((stream, e.position.partition), 0))
    if audited != expected:
        problems.append(f"{path.name}: audit is not every event exactly once: "
                        f"twice or more {[i for i, n in audited.items() if n > 1][:3]}, "
                        f"missing {sorted((expected - audited).keys())[:3]}, unknown {sorted((audited - expected).keys())[:3]}")
    if not problems and live["audit"] != rebuilt["audit"]:
        problems.append(f"{path.name}: audit entries differ from a rebuild's")
    return problems
