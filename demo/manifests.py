"""The how-to's manifests, verbatim, its member clusters and the hub objects its `kubectl create` commands make:
the one source of them for the demo and the tests (as text, and parsed)."""
from __future__ import annotations

import json
from typing import Any

import yaml

from demo.fleet import Member

MEMBERS = [
    Member("member1", {"environment": "canary", "order": "2"}),
    Member("member2", {"environment": "staging"}),
    Member("member3", {"environment": "canary", "order": "1"}),
]
MEMBER_LABELS: dict[str, dict[str, str]] = {member.name: member.labels for member in MEMBERS}

PLACEMENT = """\
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata:
  name: example-placement
spec:
  resourceSelectors:
    - group: ""
      kind: Namespace
      name: test-namespace
      version: v1
  policy:
    placementType: PickAll
  strategy:
    type: External
"""

STRATEGY = """\
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: example-strategy
spec:
  stages:
    - name: staging
      labelSelector:
        matchLabels:
          environment: staging
      afterStageTasks:
        - type: TimedWait
          waitTime: 1m
    - name: canary
      labelSelector:
        matchLabels:
          environment: canary
      sortingLabelKey: order
      afterStageTasks:
        - type: Approval
"""

PLACEMENT_DOC: dict[str, Any] = yaml.safe_load(PLACEMENT)
STRATEGY_DOC: dict[str, Any] = yaml.safe_load(STRATEGY)


def update_run(name: str, index: str) -> str:
    return f"""\
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: {name}
spec:
  placementName: example-placement
  resourceSnapshotIndex: "{index}"
  stagedRolloutStrategyName: example-strategy
"""


def update_run_doc(name: str, index: str) -> dict[str, Any]:
    """`update_run(name, index)` parsed."""
    return yaml.safe_load(update_run(name, index))


FIRST_RUN = update_run("example-run", "1")
"""The how-to's rollout to resource snapshot 1."""
ROLLBACK_RUN = update_run("example-run-2", "0")
"""The how-to's rollback to resource snapshot 0."""

NAMESPACE_DOC: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-namespace"}}
"""What `kubectl create ns test-namespace` makes."""


def configmap_doc(value: str) -> dict[str, Any]:
    """What `kubectl create cm test-cm --from-literal=key=<value> -n test-namespace` makes."""
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "test-cm", "namespace": "test-namespace"}, "data": {"key": value},
    }


def approval_conditions(timestamp: str, observed_generation: int = 1, status: str = "True") -> list[dict[str, Any]]:
    """The conditions the how-to's approval patch sets (its defaults: generation 1, approved)."""
    return [{"type": "Approved", "status": status, "reason": "lgtm", "message": "lgtm",
             "lastTransitionTime": timestamp, "observedGeneration": observed_generation}]


def approval_patch(timestamp: str) -> str:
    """The how-to's inline `-p` patch."""
    return json.dumps({"status": {"conditions": approval_conditions(timestamp)}}, separators=(",", ":"))


def approval_json(timestamp: str) -> str:
    """The how-to's approval.json (a bare `"status": {...}` mapping, as the how-to writes it)."""
    body = json.dumps({"conditions": approval_conditions(timestamp)}, indent=4, sort_keys=True)
    return f'"status": {body}\n'
