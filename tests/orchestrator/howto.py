"""The how-to's fleet as test data: members, hub objects, strategy, placement and runs (manifests)."""
from __future__ import annotations

from typing import Any

MEMBERS: dict[str, dict[str, str]] = {
    "member1": {"environment": "canary", "order": "2"},
    "member2": {"environment": "staging"},
    "member3": {"environment": "canary", "order": "1"},
}

NAMESPACE: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-namespace"}}


def configmap(value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "test-cm", "namespace": "test-namespace"}, "data": {"key": value},
    }


PLACEMENT: dict[str, Any] = {
    "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
    "kind": "ClusterResourcePlacement",
    "metadata": {"name": "example-placement"},
    "spec": {
        "resourceSelectors": [{"group": "", "kind": "Namespace", "name": "test-namespace", "version": "v1"}],
        "policy": {"placementType": "PickAll"},
        "strategy": {"type": "External"},
    },
}

STRATEGY: dict[str, Any] = {
    "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
    "kind": "ClusterStagedUpdateStrategy",
    "metadata": {"name": "example-strategy"},
    "spec": {
        "stages": [
            {"name": "staging", "labelSelector": {"matchLabels": {"environment": "staging"}},
             "afterStageTasks": [{"type": "TimedWait", "waitTime": "1m"}]},
            {"name": "canary", "labelSelector": {"matchLabels": {"environment": "canary"}},
             "sortingLabelKey": "order", "afterStageTasks": [{"type": "Approval"}]},
        ]
    },
}


def run(name: str, index: str | None, *, state: str | None = None, strategy: str = "example-strategy",
        placement: str = "example-placement") -> dict[str, Any]:
    spec: dict[str, Any] = {"placementName": placement, "stagedRolloutStrategyName": strategy}
    if index is not None:
        spec["resourceSnapshotIndex"] = index
    if state is not None:
        spec["state"] = state
    return {"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterStagedUpdateRun",
            "metadata": {"name": name}, "spec": spec}


def approval_patch(observed_generation: int = 1, status: str = "True") -> list[dict[str, Any]]:
    """The conditions the how-to's `kubectl patch ... --subresource=status` sets."""
    return [{"type": "Approved", "status": status, "reason": "lgtm", "message": "lgtm",
             "lastTransitionTime": "2025-01-01T00:00:00Z", "observedGeneration": observed_generation}]
