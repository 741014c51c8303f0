"""Authentication and role-based authorisation of the hub API, in-process (memory store, manual clock,
the real orchestrator, projections and simulated members of the how-to)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from eventstore import EventStore
from eventstore.factory import open_store
from fleetevents import registry
from fleetevents.streams import ALL_STREAMS, FLEET, PLACEMENTS
from hub.api import create_app
from hub.auth import authenticator
from hub.defaults import HOW_TO_MEMBERS
from hub.runner import HubSettings, hub_services
from orchestrator.clock import ManualClock
from tests.orchestrator import howto
from tests.security.tokens import TOKENS, write_token_file

FLEET_API = "/apis/placement.kubernetes-fleet.io/v1beta1"
NAMESPACES = "/api/v1/namespaces"
CONFIGMAPS = "/api/v1/namespaces/test-namespace/configmaps"
APPROVAL = f"{FLEET_API}/clusterapprovalrequests/example-run-canary"


@dataclass
class Hub:
    http: httpx.AsyncClient
    clock: ManualClock
    store: EventStore

    def as_user(self, user: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[user]}", **headers}

    async def ends(self) -> dict[str, dict[int, int]]:
        return {stream: await self.store.end_offsets(stream) for stream in (FLEET, PLACEMENTS)}

    async def put(self, user: str, path: str, doc: dict[str, Any]) -> httpx.Response:
        return await self.http.put(f"{path}/{doc['metadata']['name']}", json=doc, headers=self.as_user(user))

    async def get(self, user: str, path: str, **params: str) -> httpx.Response:
        return await self.http.get(path, params=params, headers=self.as_user(user))


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    clock = ManualClock()
    settings = HubSettings(data_dir=tmp_path, members=HOW_TO_MEMBERS, command_timeout=30)
    auth = authenticator(write_token_file(tmp_path / "tokens.yaml"), no_auth=False)
    async with open_store("memory://", registry) as store:
        await store.ensure_streams(ALL_STREAMS)
        async with hub_services(store, clock, settings) as services:
            transport = httpx.ASGITransport(app=create_app(services, auth))
            async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
                yield Hub(http, clock, store)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def test_a_missing_or_unknown_token_is_401_and_healthz_needs_none(hub: Hub) -> None:
    missing = await hub.http.get(NAMESPACES)
    assert missing.status_code == 401 and missing.json()["reason"] == "Unauthorized"
    assert "no bearer token" in missing.json()["message"] and "FLEETSTAGE_TOKEN" in missing.json()["message"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = await hub.http.get(NAMESPACES, headers={"Authorization": "Bearer not-a-token-of-this-hub"})
    assert unknown.status_code == 401 and "not valid for this hub" in unknown.json()["message"]
    basic = await hub.http.get("/metrics", headers={"Authorization": "Basic dmljOnNlY3JldA=="})
    assert basic.status_code == 401 and '"Bearer TOKEN"' in basic.json()["message"]
    assert (await hub.http.get("/healthz")).status_code == 200


async def test_a_viewer_reads_everything_but_cannot_write_and_the_log_is_unchanged(hub: Hub) -> None:
    assert (await hub.put("olga", NAMESPACES, howto.NAMESPACE)).status_code == 201
    for path in (f"{NAMESPACES}/test-namespace", NAMESPACES, "/fleetstage/v1/audit", "/fleetstage/v1/deadletters",
                 "/metrics"):
        assert (await hub.get("vic", path)).status_code == 200, path
    before = await hub.ends()
    refused = await hub.put("vic", CONFIGMAPS, howto.configmap("value1"))
    assert refused.status_code == 403
    status = refused.json()
    assert status["kind"] == "Status" and status["reason"] == "Forbidden" and status["code"] == 403
    assert status["message"] == (
        'configmaps "test-cm" is forbidden: User "vic" cannot update resource "configmaps" in API group "" in the '
        'namespace "test-namespace": requires the operator role; user "vic" has viewer')
    deleted = await hub.http.delete(f"{NAMESPACES}/test-namespace", headers=hub.as_user("vic"))
    assert deleted.status_code == 403
    assert await hub.ends() == before
    assert (await hub.get("vic", CONFIGMAPS)).json()["items"] == []


async def test_the_actor_is_the_authenticated_user_whatever_the_request_claims(hub: Hub) -> None:
    claimed = hub.as_user("olga", **{"X-Fleetstage-Actor": "mallory"})
    assert (await hub.http.post(NAMESPACES, json=howto.NAMESPACE, headers=claimed)).status_code == 201
    audit = (await hub.get("vic", "/fleetstage/v1/audit", type="fleetstage.hubresource.applied")).json()["items"]
    assert [entry["actor"] for entry in audit] == ["olga"]


async def test_only_an_approver_approves_and_a_refused_approval_is_audited(hub: Hub) -> None:
    await reach_the_canary_approval(hub)
    approve = {"status": {"conditions": howto.approval_patch()}}
    before = await hub.ends()

    refused = await hub.http.patch(f"{APPROVAL}/status", json=approve, headers=hub.as_user("olga"))
    assert refused.status_code == 403 and refused.json()["reason"] == "Forbidden"
    assert refused.json()["message"] == (
        'clusterapprovalrequests.placement.kubernetes-fleet.io "example-run-canary" is forbidden: User "olga" '
        'cannot patch resource "clusterapprovalrequests/status" in API group "placement.kubernetes-fleet.io": '
        'requires the approver role; user "olga" has operator, viewer')
    assert (await hub.ends())[PLACEMENTS] == before[PLACEMENTS]  # no command reached the orchestrator
    denied = (await hub.get("vic", "/fleetstage/v1/audit", run="example-run",
                            type="fleetstage.access.denied")).json()["items"]
    assert [(e["actor"], e["placement"], e["subject"]) for e in denied] == [
        ("olga", "example-placement", "ClusterApprovalRequest/example-run-canary")]
    assert "approver role is required" in denied[0]["summary"]
    still = (await hub.get("vic", APPROVAL)).json()
    assert (still.get("status") or {}).get("conditions") in (None, [])

    claims_another = {**approve, "actor": "mallory"}
    accepted = await hub.http.patch(f"{APPROVAL}/status", json=claims_another,
                                    headers=hub.as_user("carol", **{"X-Fleetstage-Actor": "mallory"}))
    assert accepted.status_code == 200, accepted.json()
    granted = [e async for e in hub.store.read(PLACEMENTS, start=before[PLACEMENTS])
               if e.type == "fleetstage.approval.granted"]
    assert [(e.actor, e.data.name) for e in granted] == [("carol", "example-run-canary")]


async def reach_the_canary_approval(hub: Hub) -> None:
    """The how-to up to the canary stage's approval request, applied by the operator olga."""
    for path, doc in ((NAMESPACES, howto.NAMESPACE), (CONFIGMAPS, howto.configmap("value1")),
                      (f"{FLEET_API}/clusterresourceplacements", howto.PLACEMENT),
                      (f"{FLEET_API}/clusterstagedupdatestrategies", howto.STRATEGY),
                      (f"{FLEET_API}/clusterstagedupdateruns", howto.run("example-run", "0"))):
        response = await hub.put("olga", path, doc)
        assert response.status_code == 201, response.json()

    async def waiting() -> bool:
        run = (await hub.get("vic", f"{FLEET_API}/clusterstagedupdateruns/example-run")).json()
        return any(c["type"] == "Progressing" and c["reason"] == "UpdateRunWaiting"
                   for c in (run.get("status") or {}).get("conditions") or [])

    await eventually(waiting)
    await hub.clock.advance(60)

    async def requested() -> bool:
        return (await hub.get("vic", APPROVAL)).status_code == 200

    await eventually(requested)


async def test_no_token_appears_in_the_hub_log(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await hub.put("olga", NAMESPACES, howto.NAMESPACE)
    await hub.put("vic", CONFIGMAPS, howto.configmap("value1"))
    await hub.http.get(NAMESPACES, headers={"Authorization": "Bearer a-guessed-token-1234567"})
    assert "refused PUT" in caplog.text  # the refusal is logged ...
    for token in [*TOKENS.values(), "a-guessed-token-1234567"]:
        assert token not in caplog.text  # ... without any credential


async def test_without_an_authenticator_the_claimed_user_acts_with_every_role(tmp_path: Path) -> None:
    settings = HubSettings(data_dir=tmp_path, command_timeout=30)
    async with open_store("memory://", registry) as store:
        await store.ensure_streams(ALL_STREAMS)
        async with hub_services(store, ManualClock(), settings) as services:
            transport = httpx.ASGITransport(app=create_app(services))
            async with httpx.AsyncClient(transport=transport, base_url="http://hub",
                                         headers={"X-Fleetstage-Actor": "alice"}) as http:
                assert (await http.post(NAMESPACES, json=howto.NAMESPACE)).status_code == 201
                audit = (await http.get("/fleetstage/v1/audit")).json()["items"]
    assert [entry["actor"] for entry in audit] == ["alice"]
