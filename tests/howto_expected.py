"""The how-to's documents that only tests compare with: its first run while canary updates and its latest
resource snapshot, built from the parts of `demo.expected` (times shown as `...`)."""
from __future__ import annotations

from typing import Any

from demo import expected


def first_run_while_canary_updates() -> dict[str, Any]:
    """`kubectl get csur example-run -o yaml` while member1 of stage canary updates."""
    canary = expected.stage_status(
        "canary", [expected.cluster_status("member3"), expected.cluster_status("member1", succeeded=False)],
        [expected.stage_started()], [{"approvalRequestName": "example-run-canary", "type": "Approval"}])
    return expected.run_document("example-run", "1", expected.run_started(),
                                 expected.stage_status(expected.DELETE_STAGE, [], []),
                                 [expected.staging_finished(), canary])


def selected_resources(value: str) -> list[dict[str, Any]]:
    """The content of a snapshot of the how-to's namespace with its configmap's `key` at `value`."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"labels": {"kubernetes.io/metadata.name": "test-namespace"}, "name": "test-namespace"},
            "spec": {"finalizers": ["kubernetes"]},
        },
        {
            "apiVersion": "v1",
            "data": {"key": value},
            "kind": "ConfigMap",
            "metadata": {"name": "test-cm", "namespace": "test-namespace"},
        },
    ]


def latest_snapshot() -> dict[str, Any]:
    """`kubectl get clusterresourcesnapshots example-placement-1-snapshot -o yaml` (name and labels shown)."""
    return {
        "apiVersion": "placement.kubernetes-fleet.io/v1",
        "kind": "ClusterResourceSnapshot",
        "metadata": {
            "labels": {
                "kubernetes-fleet.io/is-latest-snapshot": "true",
                "kubernetes-fleet.io/parent-CRP": "example-placement",
                "kubernetes-fleet.io/resource-index": "1",
            },
            "name": "example-placement-1-snapshot",
        },
        "spec": {"selectedResources": selected_resources("value2")},
    }


def with_times(doc: Any, time: str) -> Any:
    """`doc` with every elided time (`...`) set to `time`."""
    if isinstance(doc, dict):
        return {k: time if k in expected.TIME_KEYS and v == expected.ELIDED else with_times(v, time)
                for k, v in doc.items()}
    if isinstance(doc, list):
        return [with_times(v, time) for v in doc]
    return doc
