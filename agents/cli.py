"""Entry points of the `fleetstage agent` command (the typer wiring lives in the `cli` package).

Flags they are meant for:

    fleetstage agent --store URL --cluster member1 --labels environment=canary,order=2
                     --target dir:PATH | kube:[KUBECONFIG]
                     [--heartbeat 10s] [--fail-on [CLUSTER@]OBJ[:TIMES]]... [--hang-on [CLUSTER@]OBJ:SECONDS]...
    fleetstage agent --store URL --simulate 1000 [--label-recipe environment=canary:1,prod:9 --label-recipe order=#]
                     --target dir:BASE [--labels common=x]
    fleetstage agent --store URL --labels-from members.yaml --target dir:BASE

OBJ is `name`, `Kind/name` or `Kind/namespace/name` (`*` = every object). With `--simulate` or
`--labels-from`, each member gets the directory `BASE/<cluster>`, `--labels` are added to every member,
and a fault without `CLUSTER@` applies to every member. SIGTERM or SIGINT stops cleanly (MemberLeft).
"""
from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from agents.agent import MemberAgent
from agents.applier import ApplySettings
from agents.fleet_simulator import MemberSpec, SimulatedFleet
from agents.host import AgentHost
from agents.targets.base import Target
from agents.targets.directory import DirectoryTarget
from agents.targets.faulty import FaultRule, FaultyTarget
from eventstore.factory import open_store
from fleetevents import registry
from orchestrator.clock import Clock, SystemClock
from orchestrator.gcsettings import tune_collector

Faults = Mapping[str | None, Sequence[FaultRule]]
"""Fault rules per cluster name; the None entry applies to every cluster (each member gets its own copy,
so `OBJ:2` fails the first two applies of every member)."""


def parse_labels(text: str) -> dict[str, str]:
    """`environment=canary,order=2` -> {"environment": "canary", "order": "2"} (empty text: no labels)."""
    labels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"bad label {item!r} in --labels: use key=value[,key=value]")
        labels[key] = value
    return labels


def parse_faults(fail_on: Sequence[str] = (), hang_on: Sequence[str] = ()) -> dict[str | None, list[FaultRule]]:
    """`--fail-on [CLUSTER@]OBJ[:TIMES]` and `--hang-on [CLUSTER@]OBJ:SECONDS` flags as rules per cluster."""
    faults: dict[str | None, list[FaultRule]] = {}
    for spec, hang in [(s, False) for s in fail_on] + [(s, True) for s in hang_on]:
        cluster, at, rest = spec.rpartition("@")
        selector, colon, number = rest.partition(":")
        flag = "--hang-on" if hang else "--fail-on"
        try:
            if hang:
                if not colon:
                    raise ValueError("the hang needs its length in seconds")
                rule = FaultRule.hang(selector, float(number))
            else:
                rule = FaultRule.fail(selector, times=int(number) if colon else None)
        except ValueError as exc:
            usage = "[CLUSTER@]OBJ:SECONDS" if hang else "[CLUSTER@]OBJ[:TIMES]"
            raise ValueError(f"bad {flag} {spec!r}: {exc}; use {usage}") from None
        faults.setdefault(cluster if at else None, []).append(rule)
    return faults


def make_target(spec: str) -> Target:
    """`dir:PATH` (a directory of YAML files) or `kube:[KUBECONFIG]` (a cluster; default kubeconfig if empty)."""
    kind, sep, where = spec.partition(":")
    if kind == "dir" and sep and where:
        return DirectoryTarget(Path(where))
    if kind == "kube" and sep:
        from agents.targets.kubernetes import KubernetesTarget  # needs the [kubernetes] extra

        return KubernetesTarget.from_kubeconfig(where or None)
    raise ValueError(f"bad --target {spec!r}: use dir:PATH or kube:[KUBECONFIG]")


def _rules_for(faults: Faults | None, cluster: str) -> list[FaultRule]:
    """The rules that apply to `cluster`: those for every cluster, then its own."""
    return [*(faults or {}).get(None, ()), *(faults or {}).get(cluster, ())]


def _with_faults(target: Target, rules: Sequence[FaultRule], clock: Clock) -> Target:
    return FaultyTarget(target, rules, clock=clock) if rules else target


async def serve_agent(
    store_url: str,
    cluster: str,
    labels: Mapping[str, str],
    target: str,
    *,
    heartbeat_interval: float = 10.0,
    faults: Faults | None = None,
    settings: ApplySettings | None = None,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the agent of `cluster` until `stop` is set, SIGTERM or SIGINT; then leave the fleet cleanly."""
    clock = clock or SystemClock()
    others = sorted(name for name in (faults or {}) if name not in (None, cluster))
    if others:
        raise ValueError(f"fault rules name {', '.join(others)} but this agent serves {cluster!r} only")
    chosen = _with_faults(make_target(target), _rules_for(faults, cluster), clock)
    async with open_store(store_url, registry) as store:
        host = MemberAgent(
            store, cluster, labels, chosen, heartbeat_interval=heartbeat_interval, clock=clock, settings=settings
        )
        await _serve(host, stop)


async def serve_simulated(
    store_url: str,
    members: Sequence[MemberSpec],
    target: str,
    *,
    common_labels: Mapping[str, str] | None = None,
    heartbeat_interval: float = 10.0,
    faults: Faults | None = None,
    settings: ApplySettings | None = None,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run a simulated fleet of `members` (directories under the `dir:BASE` target) until stopped."""
    kind, _, base = target.partition(":")
    if kind != "dir" or not base:
        raise ValueError(f"bad --target {target!r} for a simulated fleet: use dir:BASE (one directory per member)")
    clock = clock or SystemClock()
    everyone = (faults or {}).get(None, ())
    named = {name for name in (faults or {}) if name is not None}
    chosen = named | ({name for name, _ in members} if everyone else set())
    per_member = {name: [replace(rule) for rule in _rules_for(faults, name)] for name in chosen}
    labelled = [(name, {**(common_labels or {}), **labels}) for name, labels in members]
    async with open_store(store_url, registry) as store:
        host = SimulatedFleet(
            store, labelled, base, heartbeat_interval=heartbeat_interval, clock=clock, settings=settings,
            faults=per_member,
        )
        await _serve(host, stop)


def run_agent(store_url: str, cluster: str, labels: Mapping[str, str], target: str, **options: Any) -> None:
    """Blocking `serve_agent` (same options; for the CLI): returns after a clean stop on SIGTERM/SIGINT."""
    tune_collector()
    asyncio.run(serve_agent(store_url, cluster, labels, target, **options))


def run_simulated(store_url: str, members: Sequence[MemberSpec], target: str, **options: Any) -> None:
    """Blocking `serve_simulated` (same options; for the CLI): returns after a clean stop on SIGTERM/SIGINT."""
    tune_collector()
    asyncio.run(serve_simulated(store_url, members, target, **options))


async def _serve(host: AgentHost, stop: asyncio.Event | None) -> None:
    stop = stop or asyncio.Event()
    with _stop_on_signals(stop):
        async with host:
            await host.run_until(stop)


@contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
