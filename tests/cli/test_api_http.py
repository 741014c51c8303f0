"""The hub API over real HTTP (uvicorn as `fleetstage hub` configures it, on a free loopback port):
reads answer every change at once (documents are encoded once per version, never served stale), and a
watch stream delivers every change, in order."""
from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from eventstore.factory import open_store
from fleetevents import registry
from fleetevents.streams import ALL_STREAMS
from hub.api import create_app
from hub.runner import HubSettings, api_config, hub_services
from orchestrator.clock import ManualClock

NAMESPACE = "apps"
CONFIGMAPS = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
CHANGES = 15
TIMEOUT = 20.0


class _Server(uvicorn.Server):
    """uvicorn leaving the test process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A hub (memory store, orchestrator, projections) serving HTTP on loopback; a client of it."""
    settings = HubSettings(data_dir=tmp_path, host="127.0.0.1", port=_free_port())
    async with open_store("memory://", registry) as store:
        await store.ensure_streams(ALL_STREAMS)
        async with hub_services(store, ManualClock(), settings) as services:
            server = _Server(api_config(create_app(services), settings))
            serving = asyncio.create_task(server.serve())
            try:
                async with asyncio.timeout(TIMEOUT):
                    while not server.started:
                        await asyncio.sleep(0.01)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}", timeout=TIMEOUT) as client:
                    yield client
            finally:
                server.should_exit = True
                await serving


def configmap(value: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": NAMESPACE},
            "data": {"value": str(value)}}


async def _events(client: httpx.AsyncClient, path: str, count: int, opened: asyncio.Event) -> list[dict[str, Any]]:
    """The first `count` watch events of `path` (`opened` is set once the stream answered)."""
    events: list[dict[str, Any]] = []
    async with client.stream("GET", path, timeout=httpx.Timeout(TIMEOUT, read=None)) as response:
        assert response.status_code == 200
        opened.set()
        async for line in response.aiter_lines():
            if line:
                events.append(orjson.loads(line))
                if len(events) == count:
                    return events
    raise AssertionError(f"the watch ended after {len(events)} of {count} events")


async def test_every_change_is_read_back_at_once_and_watched_in_order(api: httpx.AsyncClient) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    assert (await api.post("/api/v1/namespaces", json=namespace)).status_code == 201
    opened = asyncio.Event()
    watching = asyncio.create_task(_events(api, f"{CONFIGMAPS}?watch=true", CHANGES, opened))
    async with asyncio.timeout(TIMEOUT):
        await opened.wait()
        for value in range(CHANGES):
            put = await api.put(f"{CONFIGMAPS}/settings", json=configmap(value))
            assert put.status_code == (201 if value == 0 else 200), put.text
            got = (await api.get(f"{CONFIGMAPS}/settings")).json()
            listed = (await api.get(CONFIGMAPS)).json()["items"]
            assert got["data"] == {"value": str(value)} and got["metadata"]["generation"] == value + 1
            assert [item["data"] for item in listed] == [{"value": str(value)}]
        events = await watching
    assert [e["type"] for e in events] == ["ADDED"] + ["MODIFIED"] * (CHANGES - 1)
    assert [e["object"]["data"]["value"] for e in events] == [str(v) for v in range(CHANGES)]


async def test_documents_are_answered_with_their_keys_sorted(api: httpx.AsyncClient) -> None:
    namespace = {"metadata": {"name": NAMESPACE}, "kind": "Namespace", "apiVersion": "v1"}
    assert (await api.post("/api/v1/namespaces", json=namespace)).status_code == 201
    manifest = configmap(1)
    unsorted = {"metadata": manifest["metadata"], "kind": "ConfigMap", "data": {"b": "2", "a": "1"}, "apiVersion": "v1"}
    assert (await api.put(f"{CONFIGMAPS}/settings", json=unsorted)).status_code == 201
    for body in ((await api.get(f"{CONFIGMAPS}/settings")).json(), (await api.get(CONFIGMAPS)).json()["items"][0]):
        assert list(body) == sorted(body) and list(body["data"]) == ["a", "b"]
        assert list(body["metadata"]) == sorted(body["metadata"])
