"""The hub API in-process (httpx ASGI transport) on a memory store with the real orchestrator,
projections and simulated members; the clock is manual, so the how-to's 1m wait takes no time."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventstore import EventStore
from eventstore.factory import open_store
from fleetevents import registry
from fleetevents.fleet import HubResourceApplied
from fleetevents.placements import ResourceSnapshotCreated
from fleetevents.runs import ReconcileRequested
from fleetevents.streams import ALL_STREAMS, FLEET, PLACEMENTS
from hub.api import ApiServices, create_app
from hub.defaults import HOW_TO_MEMBERS
from hub.runner import HubSettings, hub_services
from orchestrator.clock import ManualClock
from tests.orchestrator import howto

FLEET_API = "/apis/placement.kubernetes-fleet.io/v1beta1"
T = TypeVar("T")


@dataclass
class Hub:
    http: httpx.AsyncClient
    clock: ManualClock
    store: EventStore
    services: ApiServices
    members_dir: Path

    async def ends(self) -> dict[str, dict[int, int]]:
        return {stream: await self.store.end_offsets(stream) for stream in (FLEET, PLACEMENTS)}


@asynccontextmanager
async def running_hub(store_url: str, tmp_path: Path, members: bool = True) -> AsyncIterator[Hub]:
    """A hub on `store_url`, with the how-to's simulated members (their heartbeats append) unless not `members`."""
    clock = ManualClock()
    settings = HubSettings(data_dir=tmp_path, members=HOW_TO_MEMBERS if members else (), command_timeout=30)
    async with open_store(store_url, registry) as store:
        await store.ensure_streams(ALL_STREAMS)
        async with hub_services(store, clock, settings) as services:
            transport = httpx.ASGITransport(app=create_app(services))
            async with httpx.AsyncClient(transport=transport, base_url="http://hub",
                                         headers={"X-Fleetstage-Actor": "alice"}) as http:
                yield Hub(http, clock, store, services, settings.members_dir)


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    async with running_hub("memory://", tmp_path) as running:
        yield running


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 10.0) -> T:
    """The first truthy result of `check`, polled until `timeout` (fails the test after it)."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.02)
        return result


def path(plural: str, name: str = "", namespace: str = "") -> str:
    if plural in ("namespaces", "configmaps"):
        scope = f"/namespaces/{namespace}" if namespace else ""
        return f"/api/v1{scope}/{plural}" + (f"/{name}" if name else "")
    return f"{FLEET_API}/{plural}" + (f"/{name}" if name else "")


async def put(hub: Hub, plural: str, doc: dict[str, Any]) -> httpx.Response:
    meta = doc["metadata"]
    return await hub.http.put(path(plural, meta["name"], meta.get("namespace", "")), json=doc)


def condition(doc: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in (doc.get("status") or {}).get("conditions") or [] if c["type"] == type_), None)


async def test_create_twice_is_already_exists(hub: Hub) -> None:
    first = await hub.http.post("/api/v1/namespaces", json=howto.NAMESPACE)
    assert first.status_code == 201 and first.headers["X-Fleetstage-Outcome"] == "created"
    assert first.json()["metadata"]["name"] == "test-namespace"
    again = await hub.http.post("/api/v1/namespaces", json=howto.NAMESPACE)
    assert again.status_code == 409
    assert again.json()["reason"] == "AlreadyExists"
    assert again.json()["message"] == 'namespaces "test-namespace" already exists'


async def test_apply_unchanged_appends_nothing_and_a_change_bumps_the_generation(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    assert (await put(hub, "configmaps", howto.configmap("value1"))).headers["X-Fleetstage-Outcome"] == "created"
    assert (await put(hub, "placements", howto.PLACEMENT)).status_code == 404  # not a known plural
    placement = await hub.http.put(path("clusterresourceplacements", "example-placement"), json=howto.PLACEMENT)
    assert placement.headers["X-Fleetstage-Outcome"] == "created"
    before = await hub.ends()
    for plural, doc in (("configmaps", howto.configmap("value1")), ("namespaces", howto.NAMESPACE),
                        ("clusterresourceplacements", howto.PLACEMENT)):
        response = await put(hub, plural, doc)
        assert response.status_code == 200 and response.headers["X-Fleetstage-Outcome"] == "unchanged", plural
    assert await hub.ends() == before
    changed = await put(hub, "configmaps", howto.configmap("value2"))
    assert changed.headers["X-Fleetstage-Outcome"] == "configured"
    assert changed.json()["data"] == {"key": "value2"} and changed.json()["metadata"]["generation"] == 2
    labelled = {**howto.PLACEMENT, "metadata": {"name": "example-placement", "labels": {"team": "a"}}}
    relabelled = await put(hub, "clusterresourceplacements", labelled)
    assert relabelled.headers["X-Fleetstage-Outcome"] == "configured"
    assert relabelled.json()["metadata"]["generation"] == 1  # metadata only
    pick_n = {**labelled, "spec": {**howto.PLACEMENT["spec"], "policy": {"placementType": "PickN", "numberOfClusters": 2}}}
    respecced = await put(hub, "clusterresourceplacements", pick_n)
    assert respecced.headers["X-Fleetstage-Outcome"] == "configured"
    assert respecced.json()["metadata"]["generation"] == 2


async def test_an_invalid_manifest_names_the_field_and_appends_nothing(hub: Hub) -> None:
    before = await hub.ends()
    bad = {**howto.STRATEGY, "spec": {"stages": [{"name": "Staging", "labelSelector": {}}]}}
    response = await put(hub, "clusterstagedupdatestrategies", bad)
    assert response.status_code == 422
    status = response.json()
    assert status["kind"] == "Status" and status["reason"] == "Invalid"
    assert status["message"].startswith(
        'ClusterStagedUpdateStrategy.placement.kubernetes-fleet.io "example-strategy" is invalid: spec.stages[0].name: ')
    assert status["details"]["causes"][0]["field"] == "spec.stages[0].name"
    assert await hub.ends() == before


async def test_orchestrator_rejections_become_invalid_errors(hub: Hub) -> None:
    rolling = {**howto.PLACEMENT, "spec": {**howto.PLACEMENT["spec"], "strategy": {"type": "RollingUpdate"}}}
    response = await put(hub, "clusterresourceplacements", rolling)
    assert response.status_code == 422
    assert "spec.strategy.type: RollingUpdate is not supported" in response.json()["message"]
    await put(hub, "namespaces", howto.NAMESPACE)
    await put(hub, "clusterresourceplacements", howto.PLACEMENT)
    await put(hub, "clusterstagedupdatestrategies", howto.STRATEGY)
    assert (await put(hub, "clusterstagedupdateruns", howto.run("r", "0"))).status_code == 201
    moved = await put(hub, "clusterstagedupdateruns", howto.run("r", "1"))
    assert moved.status_code == 422
    message = moved.json()["message"]
    assert message.startswith('ClusterStagedUpdateRun.placement.kubernetes-fleet.io "r" is invalid: '
                              "spec.resourceSnapshotIndex: ")
    assert "immutable" in message and message.count("is invalid") == 1


async def test_concurrent_applies_of_one_object_take_turns(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    await put(hub, "configmaps", howto.configmap("value1"))

    answers = await asyncio.gather(*(put(hub, "configmaps", howto.configmap(f"value{i}")) for i in (2, 3)))

    assert [a.headers["X-Fleetstage-Outcome"] for a in answers] == ["configured", "configured"]
    assert sorted(a.json()["metadata"]["generation"] for a in answers) == [2, 3]  # not both 2


async def test_two_same_named_runs_for_different_placements_at_once_create_one(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    other = {**howto.PLACEMENT, "metadata": {"name": "other-placement"}}
    for placement in (howto.PLACEMENT, other):
        assert (await put(hub, "clusterresourceplacements", placement)).status_code == 201
    await put(hub, "clusterstagedupdatestrategies", howto.STRATEGY)

    answers = await asyncio.gather(*(put(hub, "clusterstagedupdateruns", howto.run("dup", "0", placement=name))
                                     for name in ("example-placement", "other-placement")))

    assert sorted(a.status_code for a in answers) == [201, 422]
    [created] = [a.json() for a in answers if a.status_code == 201]
    [refused] = [a.json()["message"] for a in answers if a.status_code == 422]
    assert "spec.placementName" in refused and "immutable" in refused
    stored = (await hub.http.get(path("clusterstagedupdateruns", "dup"))).json()
    assert stored["spec"]["placementName"] == created["spec"]["placementName"]


async def test_missing_objects_unknown_kinds_and_read_only_kinds(hub: Hub) -> None:
    missing = await hub.http.get(path("clusterstagedupdateruns", "x"))
    assert missing.status_code == 404
    assert missing.json()["message"] == 'clusterstagedupdateruns.placement.kubernetes-fleet.io "x" not found'
    assert (await hub.http.delete(path("clusterstagedupdateruns", "x"))).status_code == 404
    unknown = await hub.http.get(f"{FLEET_API}/widgets")
    assert unknown.status_code == 404 and "widgets.placement.kubernetes-fleet.io" in unknown.json()["message"]
    snapshot = {"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourceSnapshot",
                "metadata": {"name": "p-0-snapshot"}, "spec": {"selectedResources": []}}
    refused = await put(hub, "clusterresourcesnapshots", snapshot)
    assert refused.status_code == 422 and "read-only" in refused.json()["message"]


async def test_members_are_listed_with_label_selectors(hub: Hub) -> None:
    url = "/apis/cluster.kubernetes-fleet.io/v1beta1/memberclusters"

    async def canaries() -> list[str] | None:
        items = (await hub.http.get(url, params={"labelSelector": "environment=canary"})).json()["items"]
        return sorted(i["metadata"]["name"] for i in items) or None

    assert await eventually(canaries) == ["member1", "member3"]
    bad = await hub.http.get(url, params={"labelSelector": "=x"})
    assert bad.status_code == 400 and bad.json()["message"].startswith("labelSelector:")


async def test_the_howto_rollout_and_rollback_through_the_api(hub: Hub) -> None:
    await howto_through_the_api(hub)


@pytest.mark.kafka
async def test_the_howto_through_the_api_on_kafka(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"hubapi-{uuid.uuid4().hex[:8]}."
    async with running_hub(f"kafka://{kafka_bootstrap}?prefix={prefix}", tmp_path) as hub:
        await howto_through_the_api(hub)
    # a dashboard reading only Kafka sees the finished run in the compacted view topic
    views = await latest_view_records(kafka_bootstrap, f"{prefix}view.clusterstagedupdateruns")
    run = orjson.loads(views[b"ClusterStagedUpdateRun//example-run-2"])
    assert condition(run, "Succeeded")["status"] == "True"


async def latest_view_records(bootstrap: str, topic: str) -> dict[bytes, bytes]:
    """The last value of every key in `topic`, read from the beginning to its end with plain clients."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    assert partitions, f"no view topic {topic}"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", isolation_level="read_committed")
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        latest: dict[bytes, bytes] = {}
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                latest.update((r.key, r.value) for r in records)
        return latest
    finally:
        await consumer.stop()


async def howto_through_the_api(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    await put(hub, "configmaps", howto.configmap("value1"))
    crp = (await put(hub, "clusterresourceplacements", howto.PLACEMENT)).json()
    assert crp["kind"] == "ClusterResourcePlacement", crp["message"]
    assert condition(crp, "ClusterResourcePlacementScheduled")["status"] == "True"  # read-your-writes
    await put(hub, "configmaps", howto.configmap("value2"))

    async def snapshot(index: int) -> dict[str, Any] | None:
        response = await hub.http.get(path("clusterresourcesnapshots", f"example-placement-{index}-snapshot"))
        return response.json() if response.status_code == 200 else None

    assert (await eventually(lambda: snapshot(1)))["metadata"]["labels"]["kubernetes-fleet.io/resource-index"] == "1"
    await put(hub, "clusterstagedupdatestrategies", howto.STRATEGY)
    await rollout(hub, "example-run", "1")
    crp = (await hub.http.get(path("clusterresourceplacements", "example-placement"))).json()
    assert condition(crp, "ClusterResourcePlacementAvailable")["status"] == "True"
    await rollout(hub, "example-run-2", "0")
    cm = hub.members_dir / "member1" / "test-namespace" / "ConfigMap" / "test-cm.yaml"
    assert "value1" in cm.read_text()

    audit = (await hub.http.get("/fleetstage/v1/audit", params={"run": "example-run", "actor": "alice"})).json()
    assert {entry["type"] for entry in audit["items"]} >= {"fleetstage.command.run.apply",
                                                             "fleetstage.approval.granted"}
    metrics = (await hub.http.get("/metrics")).text
    assert 'fleetstage_update_runs{condition="Succeeded",reason="UpdateRunSucceeded",status="True"} 2.0' in metrics
    assert "fleetstage_approval_latency_seconds_count 2.0" in metrics
    assert 'fleetstage_consumer_lag{consumer="projections"' in metrics

    deleted = await hub.http.delete(path("clusterstagedupdateruns", "example-run"))
    assert deleted.headers["X-Fleetstage-Outcome"] == "deleted"
    assert (await hub.http.get(path("clusterstagedupdateruns", "example-run"))).status_code == 404
    assert (await hub.http.get(path("clusterapprovalrequests", "example-run-canary"))).status_code == 404


async def rollout(hub: Hub, run: str, index: str) -> None:
    created = await put(hub, "clusterstagedupdateruns", howto.run(run, index))
    assert created.status_code == 201
    assert condition(created.json(), "Initialized")["status"] == "True"

    async def waiting() -> bool:
        doc = (await hub.http.get(path("clusterstagedupdateruns", run))).json()
        return (condition(doc, "Progressing") or {}).get("reason") == "UpdateRunWaiting"

    await eventually(waiting)
    await hub.clock.advance(60)
    approval = f"{run}-canary"

    async def requested() -> bool:
        return (await hub.http.get(path("clusterapprovalrequests", approval))).status_code == 200

    await eventually(requested)
    wrong = {"status": {"conditions": [{**howto.approval_patch()[0], "observedGeneration": 2}]}}
    refused = await hub.http.patch(path("clusterapprovalrequests", approval) + "/status", json=wrong)
    assert refused.status_code == 422
    assert "status.conditions[0].observedGeneration" in refused.json()["message"]
    patched = await hub.http.patch(path("clusterapprovalrequests", approval) + "/status",
                                   json={"status": {"conditions": howto.approval_patch()}})
    assert patched.status_code == 200 and patched.headers["X-Fleetstage-Outcome"] == "patched"

    async def succeeded() -> bool:
        doc = (await hub.http.get(path("clusterstagedupdateruns", run))).json()
        return (condition(doc, "Succeeded") or {}).get("status") == "True"

    await eventually(succeeded)
    approved = (await hub.http.get(path("clusterapprovalrequests", approval))).json()
    assert condition(approved, "ApprovalAccepted")["status"] == "True"


async def test_object_history_and_dead_letters(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    first = hub.clock.now()
    await put(hub, "configmaps", howto.configmap("value1"))
    await hub.clock.advance(60)
    await put(hub, "configmaps", howto.configmap("value2"))
    then = (await hub.http.get(path("configmaps", "test-cm", "test-namespace"),
                               params={"at": first.strftime("%Y-%m-%dT%H:%M:%SZ")})).json()
    assert then["data"] == {"key": "value1"}
    bad_time = await hub.http.get(path("configmaps", "test-cm", "test-namespace"), params={"at": "yesterday"})
    assert bad_time.status_code == 400 and "RFC 3339" in bad_time.json()["message"]
    assert (await hub.http.get("/fleetstage/v1/deadletters")).json() == {"items": []}
    assert (await hub.http.get("/healthz")).text == "ok"


async def test_namespaces_must_exist_and_take_their_objects_with_them(hub: Hub) -> None:
    orphan = await put(hub, "configmaps", {**howto.configmap("v"), "metadata": {"name": "c", "namespace": "nope"}})
    assert orphan.status_code == 404 and orphan.json()["message"] == 'namespaces "nope" not found'
    await put(hub, "namespaces", howto.NAMESPACE)
    await put(hub, "configmaps", howto.configmap("value1"))
    deleted = await hub.http.delete(path("namespaces", "test-namespace"))
    assert deleted.status_code == 200 and deleted.headers["X-Fleetstage-Outcome"] == "deleted"
    assert (await hub.http.get(path("configmaps", "test-cm", "test-namespace"))).status_code == 404
    assert (await hub.http.get(path("namespaces", "test-namespace"))).status_code == 404


async def test_a_selection_too_large_for_a_snapshot_shows_on_the_placement_until_it_fits(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    await put(hub, "configmaps", howto.configmap("value1"))
    await put(hub, "clusterresourceplacements", howto.PLACEMENT)
    crp = path("clusterresourceplacements", "example-placement")

    async def scheduled(status: str) -> dict[str, Any] | None:
        found = condition((await hub.http.get(crp)).json(), "ClusterResourcePlacementScheduled")
        return found if found and found["status"] == status else None

    await eventually(lambda: scheduled("True"))
    blob = "x" * 600_000  # each object is within the limits; together they are over one snapshot's
    for name in ("big-a", "big-b"):
        doc = {**howto.configmap("v"), "metadata": {"name": name, "namespace": "test-namespace"}, "data": {"k": blob}}
        assert (await put(hub, "configmaps", doc)).status_code == 201
    refused = await eventually(lambda: scheduled("False"))
    assert refused["reason"] == "InvalidResourceSelectors"
    assert "over the limit of" in refused["message"] and "split them among several placements" in refused["message"]
    async def snapshot_names() -> list[str]:
        return [s["metadata"]["name"] for s in (await hub.http.get(path("clusterresourcesnapshots"))).json()["items"]]

    # big-a alone fitted (snapshot 1); with big-b no snapshot is made
    assert await snapshot_names() == ["example-placement-0-snapshot", "example-placement-1-snapshot"]
    assert (await hub.http.delete(path("configmaps", "big-b", "test-namespace"))).status_code == 200
    assert (await eventually(lambda: scheduled("True")))["reason"] == "ScheduleSucceeded"
    assert await snapshot_names() == ["example-placement-0-snapshot", "example-placement-1-snapshot"]


async def test_merge_patch_moves_a_run_from_plan_to_run(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    await put(hub, "clusterresourceplacements", howto.PLACEMENT)
    await put(hub, "clusterstagedupdatestrategies", howto.STRATEGY)
    planned = await put(hub, "clusterstagedupdateruns", howto.run("r", "0", state="Initialize"))
    assert planned.status_code == 201 and planned.json()["spec"]["state"] == "Initialize"
    url = path("clusterstagedupdateruns", "r")
    started = await hub.http.patch(url, json={"spec": {"state": "Run"}})
    assert started.headers["X-Fleetstage-Outcome"] == "patched"
    assert started.json()["spec"]["state"] == "Run" and started.json()["metadata"]["generation"] == 2
    assert (await hub.http.patch(url, json={"spec": {"state": "Run"}})).headers["X-Fleetstage-Outcome"] == "unchanged"
    back = await hub.http.patch(url, json={"spec": {"state": "Initialize"}})
    assert back.status_code == 422 and "spec.state: invalid state transition" in back.json()["message"]


async def test_member_labels_change_on_the_hub_but_members_join_through_agents(hub: Hub) -> None:
    url = "/apis/cluster.kubernetes-fleet.io/v1beta1/memberclusters"

    async def member1() -> dict[str, Any] | None:
        response = await hub.http.get(f"{url}/member1")
        return response.json() if response.status_code == 200 else None

    doc = await eventually(member1)
    doc["metadata"]["labels"] = {"environment": "staging"}
    relabelled = await hub.http.put(f"{url}/member1", json=doc)
    assert relabelled.headers["X-Fleetstage-Outcome"] == "configured", relabelled.json()
    assert relabelled.json()["metadata"]["labels"] == {"environment": "staging"}
    stranger = {"apiVersion": "cluster.kubernetes-fleet.io/v1beta1", "kind": "MemberCluster",
                "metadata": {"name": "member9"}}
    refused = await hub.http.put(f"{url}/member9", json=stranger)
    assert refused.status_code == 405 and "fleetstage agent --cluster member9" in refused.json()["message"]


async def test_snapshot_diff_reads_collected_snapshots_from_the_log(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    await put(hub, "configmaps", howto.configmap("value1"))
    keep_one = {**howto.PLACEMENT, "spec": {**howto.PLACEMENT["spec"], "revisionHistoryLimit": 1}}
    await put(hub, "clusterresourceplacements", keep_one)
    await put(hub, "configmaps", howto.configmap("value2"))

    async def first_collected() -> bool:
        return (await hub.http.get(path("clusterresourcesnapshots", "example-placement-0-snapshot"))).status_code == 404

    async def second_made() -> bool:
        return (await hub.http.get(path("clusterresourcesnapshots", "example-placement-1-snapshot"))).status_code == 200

    await eventually(second_made)
    await eventually(first_collected)
    diff = (await hub.http.get("/fleetstage/v1/diff",
                               params={"placement": "example-placement", "from": "0", "to": "1"})).json()
    assert [(o["key"], o["change"]) for o in diff["objects"]] == [("ConfigMap/test-namespace/test-cm", "modified")]
    assert diff["objects"][0]["before"]["data"] == {"key": "value1"}
    assert diff["objects"][0]["after"]["data"] == {"key": "value2"}
    missing = await hub.http.get("/fleetstage/v1/diff", params={"placement": "example-placement", "from": "0",
                                                                "to": "7"})
    assert missing.status_code == 404
    assert missing.json()["message"] == 'placement "example-placement" has no resource snapshot with index 7'


async def test_a_change_of_a_selected_object_answers_with_its_new_snapshot(hub: Hub) -> None:
    await put(hub, "namespaces", howto.NAMESPACE)
    await put(hub, "configmaps", howto.configmap("value1"))
    await put(hub, "clusterresourceplacements", howto.PLACEMENT)
    assert (await hub.http.get(path("clusterresourcesnapshots", "example-placement-0-snapshot"))).status_code == 200
    changed = await put(hub, "configmaps", howto.configmap("value2"))
    assert changed.headers["X-Fleetstage-Outcome"] == "configured"
    second = await hub.http.get(path("clusterresourcesnapshots", "example-placement-1-snapshot"))
    assert second.status_code == 200, "read-your-writes: the snapshot the change caused is part of the reply"
    selected = second.json()["spec"]["selectedResources"]
    assert [r["data"] for r in selected if r["kind"] == "ConfigMap"] == [{"key": "value2"}]
    [applied] = [e async for e in hub.store.read(FLEET) if isinstance(e.data, HubResourceApplied)
                 and e.data.manifest.get("data") == {"key": "value2"}]
    caused = [e async for e in hub.store.read(PLACEMENTS) if e.correlationid == applied.id]
    assert isinstance(caused[0].data, ReconcileRequested) and caused[0].causationid == applied.id
    assert any(isinstance(e.data, ResourceSnapshotCreated) for e in caused[1:])
