"""The how-to's fleet as test data (members, hub objects, strategy, placement: `demo.manifests`, their one
source) and variants of its run manifest and approval patch."""
from __future__ import annotations

from typing import Any

from demo import manifests

MEMBERS = manifests.MEMBER_LABELS
NAMESPACE = manifests.NAMESPACE_DOC
PLACEMENT = manifests.PLACEMENT_DOC
STRATEGY = manifests.STRATEGY_DOC
configmap = manifests.configmap_doc
APPROVED_AT = "2025-01-01T00:00:00Z"


def run(name: str, index: str | None, *, state: str | None = None, strategy: str = "example-strategy",
        placement: str = "example-placement") -> dict[str, Any]:
    """The how-to's run manifest for snapshot `index` (None: no index, the latest), with the given spec fields."""
    doc = manifests.update_run_doc(name, "" if index is None else index)
    spec = doc["spec"]
    spec.update(placementName=placement, stagedRolloutStrategyName=strategy)
    if index is None:
        del spec["resourceSnapshotIndex"]
    if state is not None:
        spec["state"] = state
    return doc


def approval_patch(observed_generation: int = 1, status: str = "True") -> list[dict[str, Any]]:
    """The conditions the how-to's `kubectl patch ... --subresource=status` sets."""
    return manifests.approval_conditions(APPROVED_AT, observed_generation, status)
