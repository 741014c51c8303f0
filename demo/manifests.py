"""The how-to's manifests, verbatim, and its member clusters."""
from demo.fleet import Member

MEMBERS = [
    Member("member1", {"environment": "canary", "order": "2"}),
    Member("member2", {"environment": "staging"}),
    Member("member3", {"environment": "canary", "order": "1"}),
]

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


def approval_patch(timestamp: str) -> str:
    """The how-to's inline `-p` patch."""
    return (
        '{"status":{"conditions":[{"type":"Approved","status":"True","reason":"lgtm","message":"lgtm",'
        f'"lastTransitionTime":"{timestamp}","observedGeneration":1}}]}}}}'
    )


def approval_json(timestamp: str) -> str:
    """The how-to's approval.json (a bare `"status": {...}` mapping, as the how-to writes it)."""
    return f'''"status": {{
    "conditions": [
        {{
            "lastTransitionTime": "{timestamp}",
            "message": "lgtm",
            "observedGeneration": 1,
            "reason": "lgtm",
            "status": "True",
            "type": "Approved"
        }}
    ]
}}
'''
