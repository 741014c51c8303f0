"""KubernetesTarget: against a fake API server everywhere, and against a real cluster where KUBECONFIG
points at a reachable API server (those tests are reported as not run otherwise)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from agents import LedgerEntry, LedgerKey, MemberAgent, Outcome
from agents.applier import ApplySettings, RetryPolicy
from agents.targets import ObjectKey, TargetError
from agents.targets.kubernetes import PLACEMENT_LABEL, KubernetesTarget
from eventstore import EventStore, Position
from fleetevents.streams import PLACEMENTS
from tests.agents.conftest import configmap, namespace, report_of, send, wait_events
from tests.agents.fake_kube import FakeApiServer


def deployment(name: str = "web", replicas: int = 2, ns: str = "test-namespace") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": name, "image": "nginx:1.27"}]}}},
    }


@pytest.fixture
def api() -> FakeApiServer:
    return FakeApiServer()


async def test_applies_with_the_ownership_label_and_waits_for_deployments(api: FakeApiServer) -> None:
    target = KubernetesTarget(api.client())
    objects = [namespace(), configmap(), deployment()]
    await target.apply("crp", objects)
    stored = api.objects["api/v1", "configmaps", "test-namespace", "test-cm"]
    assert stored["metadata"]["labels"] == {PLACEMENT_LABEL: "crp"} and stored["data"] == {"key": "value1"}
    assert await target.check_available(objects) == [
        "Deployment test-namespace/web: 0/2 replicas available (rollout not observed yet)"
    ]
    api.make_available()
    assert await target.check_available(objects) == []
    assert set(await target.read_back("crp")) == {
        ObjectKey("v1", "Namespace", "test-namespace"), ObjectKey("v1", "ConfigMap", "test-cm", "test-namespace"),
        ObjectKey("apps/v1", "Deployment", "web", "test-namespace"),
    }


async def test_prunes_only_its_own_objects(api: FakeApiServer) -> None:
    target = KubernetesTarget(api.client())
    api.objects["api/v1", "configmaps", "test-namespace", "hand-made"] = configmap("hand-made")
    await target.apply("crp", [namespace(), configmap(), configmap("extra")])
    await target.apply("crp", [namespace(), configmap()])
    assert ("api/v1", "configmaps", "test-namespace", "extra") not in api.objects
    await target.remove("crp")
    left = sorted(name for (_, plural, _, name) in api.objects if plural != "namespaces" or name != "fleetstage-system")
    assert left == ["fleetstage-agent-state", "hand-made"]
    state = api.objects["api/v1", "configmaps", "fleetstage-system", "fleetstage-agent-state"]
    assert not [key for key in state.get("data", {}) if key.startswith("kinds.")]


async def test_ledger_lives_in_the_cluster(api: FakeApiServer) -> None:
    key = LedgerKey("run-1", "crp", 4)
    await KubernetesTarget(api.client()).ledger.record(
        LedgerEntry(key, Outcome(True, "applied", 2), Position(1, 5)), Position(1, 5)
    )
    reopened = KubernetesTarget(api.client()).ledger
    assert await reopened.get(key) == Outcome(True, "applied", 2)
    assert await reopened.get(LedgerKey("run-2", "crp", 4)) is None
    assert [(e.key, e.outcome.attempts, e.position) for e in await reopened.entries()] == [(key, 2, Position(1, 5))]


async def test_unknown_kind_fails_naming_the_object(api: FakeApiServer) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "test-ns"}}
    with pytest.raises(TargetError, match="Widget test-ns/w: loading the cluster's custom resource definitions"):
        await KubernetesTarget(api.client()).apply("crp", [widget])


async def test_agent_reports_a_deployment_that_never_becomes_available(api: FakeApiServer, store: EventStore) -> None:
    settings = ApplySettings(RetryPolicy(max_attempts=2, initial=0.001), available_timeout=0.01, available_poll=0.002)
    async with MemberAgent(store, "member1", {}, KubernetesTarget(api.client()), settings=settings):
        command = await send(store, "member1", [namespace(), deployment()])
        [report] = await wait_events(store, PLACEMENTS, 1, report_of(command))
    assert not report.data.succeeded and report.data.attempts == 1
    assert report.data.message == (
        "not available after 0.01s: Deployment test-namespace/web: 0/2 replicas available (rollout not observed yet)"
    )


# --- a real cluster --------------------------------------------------------------------------------------


def _cluster_unreachable() -> str | None:
    """Why the real-cluster tests cannot run here (None when they can)."""
    path = os.environ.get("KUBECONFIG")
    if not path:
        return "KUBECONFIG is not set: point it at a reachable Kubernetes API server to run this test"
    from lightkube import Client, KubeConfig
    from lightkube.resources.core_v1 import Namespace

    try:
        with Client(KubeConfig.from_file(path), timeout=3) as client:
            client.get(Namespace, "default")
    except Exception as exc:  # noqa: BLE001 — any failure means "no usable cluster"; the reason is reported
        return f"the API server of KUBECONFIG={path} is not reachable: {exc!r}"
    return None


UNREACHABLE = _cluster_unreachable()
real_cluster = pytest.mark.skipif(UNREACHABLE is not None, reason=UNREACHABLE or "")


@real_cluster
async def test_real_cluster_apply_prune_remove(tmp_path: Path) -> None:
    ns = f"fleetstage-test-{uuid.uuid4().hex[:8]}"
    target = KubernetesTarget.from_kubeconfig(os.environ["KUBECONFIG"])
    placement = f"test-{ns}"
    objects = [namespace(ns), configmap("a", ns=ns), configmap("b", ns=ns)]
    try:
        await target.apply(placement, objects)
        assert await target.check_available(objects) == []
        await target.apply(placement, objects[:2])
        assert {key.name for key in await target.read_back(placement)} == {ns, "a"}
    finally:
        await target.remove(placement)
    assert await target.read_back(placement) == {}
