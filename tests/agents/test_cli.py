"""The agent entry points: flag parsing, a clean stop on SIGTERM (a real process), simulated fleets."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agents.cli import make_target, parse_faults, parse_labels, serve_agent, serve_simulated
from agents.fleet_simulator import generate_members
from agents.targets import DirectoryTarget
from eventstore.factory import open_store
from fleetevents import registry
from fleetevents.fleet import MemberJoined, MemberLeft
from fleetevents.streams import ALL_STREAMS, FLEET, PLACEMENTS
from tests.agents.conftest import FAST, WAIT, configmap, is_report, read_all, report_of, send, wait_events

ROOT = Path(__file__).resolve().parents[2]


def test_parse_labels() -> None:
    assert parse_labels("environment=canary,order=2") == {"environment": "canary", "order": "2"}
    assert parse_labels("") == {}
    with pytest.raises(ValueError, match="bad label 'canary' in --labels: use key=value"):
        parse_labels("canary")


def test_parse_faults() -> None:
    faults = parse_faults(["test-cm", "member2@ConfigMap/test-ns/x:2"], ["member3@*:30"])
    assert [(r.selector, r.effect, r.times) for r in faults[None]] == [("test-cm", "fail", None)]
    assert [(r.selector, r.times) for r in faults["member2"]] == [("ConfigMap/test-ns/x", 2)]
    assert [(r.effect, r.seconds) for r in faults["member3"]] == [("hang", 30.0)]
    with pytest.raises(ValueError, match=r"bad --hang-on 'x': the hang needs its length in seconds; use"):
        parse_faults(hang_on=["x"])
    with pytest.raises(ValueError, match="bad --fail-on 'x:many'"):
        parse_faults(["x:many"])


def test_make_target(tmp_path: Path) -> None:
    assert isinstance(make_target(f"dir:{tmp_path}"), DirectoryTarget)
    assert make_target(f"dir:{tmp_path}").describe() == f"dir:{tmp_path}"
    with pytest.raises(ValueError, match="bad --target 'ftp:x': use dir:PATH or kube:"):
        make_target("ftp:x")


def test_fault_rules_for_another_cluster_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fault rules name member2 but this agent serves 'member1' only"):
        asyncio.run(serve_agent("memory://", "member1", {}, f"dir:{tmp_path}", faults=parse_faults(["member2@x"])))


def test_bad_member_identity_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="member cluster name must be a lowercase RFC 1123 subdomain"):
        asyncio.run(serve_agent("memory://", "Member_1", {}, f"dir:{tmp_path}"))
    with pytest.raises(ValueError, match="member cluster 'member1': label .*order"):
        asyncio.run(serve_agent("memory://", "member1", {"order": "not ok!"}, f"dir:{tmp_path}"))


async def test_agent_process_leaves_cleanly_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    code = (
        "from agents.cli import run_agent; "
        f"run_agent({url!r}, 'member1', {{'environment': 'canary'}}, 'dir:{tmp_path}/member1', heartbeat_interval=0.2)"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        async with open_store(url, registry) as store:
            await store.ensure_streams(ALL_STREAMS)  # the agent creates them too; the test follows them at once
            [joined] = await wait_events(store, FLEET, 1)
            command = await send(store, "member1", [configmap()])
            [report] = await wait_events(store, PLACEMENTS, 1, report_of(command))
            process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(process.wait, WAIT) == 0
            fleet = await read_all(store, FLEET)
    finally:
        process.kill()
    assert isinstance(joined.data, MemberJoined) and report.data.succeeded
    assert [type(e.data) for e in fleet] == [MemberJoined, MemberLeft]


async def test_serve_simulated_with_common_labels_and_faults(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    stop = asyncio.Event()
    members = generate_members(3)
    faults = parse_faults(["member-0002@test-cm"])
    serving = asyncio.create_task(
        serve_simulated(url, members, f"dir:{tmp_path}/fleet", common_labels={"fleet": "sim"}, faults=faults,
                        settings=FAST, stop=stop)
    )
    async with open_store(url, registry) as store:
        await store.ensure_streams(ALL_STREAMS)
        joined = await wait_events(store, FLEET, 3)
        commands = [await send(store, name, [configmap()]) for name, _ in members]
        await wait_events(store, PLACEMENTS, 3, is_report)
        stop.set()
        async with asyncio.timeout(WAIT):
            await serving
        reports = {e.causationid: e.data for e in await read_all(store, PLACEMENTS, is_report)}
        left = await read_all(store, FLEET, lambda e: isinstance(e.data, MemberLeft))
    assert all(e.data.labels["fleet"] == "sim" for e in joined)
    assert [reports[c.id].succeeded for c in commands] == [True, False, True]
    assert len(left) == 3
