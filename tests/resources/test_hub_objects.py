"""Hub objects: kept verbatim, stripped to their selected form, hashed and snapshotted as Fleet does."""

from __future__ import annotations

import yaml

from resources import (
    ClusterResourceSnapshot,
    ClusterSchedulingPolicySnapshot,
    HubObject,
    PlacementPolicy,
    parse_manifests,
    policy_hash,
    resources_hash,
)
from resources.names import (
    approval_request_name,
    policy_snapshot_name,
    resource_snapshot_name,
)
from tests.howto_expected import selected_resources

NAMESPACE_AS_STORED = """\
apiVersion: v1
kind: Namespace
metadata:
  creationTimestamp: 2025-01-01T00:00:00Z
  name: test-namespace
  resourceVersion: "12"
  uid: 0b1c
status:
  phase: Active
"""

CONFIGMAP_AS_STORED = """\
apiVersion: v1
data:
  key: value2
kind: ConfigMap
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
  creationTimestamp: 2025-01-01T00:00:00Z
  managedFields: [{manager: kubectl}]
  name: test-cm
  namespace: test-namespace
  resourceVersion: "13"
  uid: 7f2a
"""


def _hub(text: str) -> HubObject:
    [obj] = parse_manifests(text)
    assert isinstance(obj, HubObject)
    return obj


def test_hub_object_is_kept_verbatim() -> None:
    obj = _hub(CONFIGMAP_AS_STORED)
    assert obj.to_dict() == yaml.safe_load(CONFIGMAP_AS_STORED) | {
        "metadata": yaml.safe_load(CONFIGMAP_AS_STORED)["metadata"] | {"creationTimestamp": "2025-01-01T00:00:00Z"}
    }
    assert obj.extra == {"data": {"key": "value2"}}
    assert obj.key == ("", "ConfigMap", "test-namespace", "test-cm")


def test_timestamps_stay_strings_like_kubernetes_reads_them() -> None:
    obj = _hub("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\ndata:\n  when: 2025-01-01\n")
    assert obj.extra["data"] == {"when": "2025-01-01"}


def test_selected_form_is_what_the_how_to_snapshot_shows() -> None:
    selected = [_hub(CONFIGMAP_AS_STORED).selected_form(), _hub(NAMESPACE_AS_STORED).selected_form()]
    snapshot = ClusterResourceSnapshot.build("example-placement", 1, selected, latest=True)
    assert snapshot.name == "example-placement-1-snapshot"
    assert snapshot.to_dict()["spec"]["selectedResources"] == selected_resources("value2")
    assert snapshot.labels == {
        "kubernetes-fleet.io/is-latest-snapshot": "true",
        "kubernetes-fleet.io/parent-CRP": "example-placement",
        "kubernetes-fleet.io/resource-index": "1",
    }
    assert snapshot.metadata.annotations == {"kubernetes-fleet.io/resource-hash": resources_hash(selected)}
    assert (snapshot.index, snapshot.is_latest, snapshot.placement_name) == (1, True, "example-placement")
    assert snapshot.api_version == "placement.kubernetes-fleet.io/v1"


def test_service_allocations_are_not_carried() -> None:
    svc = _hub(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: app}\n"
        "spec:\n  clusterIP: 10.0.0.7\n  clusterIPs: [10.0.0.7]\n  type: NodePort\n"
        "  ports: [{port: 80, nodePort: 30080}]\n"
    )
    assert svc.selected_form()["spec"] == {"type": "NodePort", "ports": [{"port": 80}]}


def test_hash_ignores_order_and_key_order_but_not_content() -> None:
    ns = _hub(NAMESPACE_AS_STORED).selected_form()
    cm = _hub(CONFIGMAP_AS_STORED).selected_form()
    reordered_cm = dict(reversed(list(cm.items())))
    assert resources_hash([ns, cm]) == resources_hash([reordered_cm, ns])
    changed = cm | {"data": {"key": "value1"}}
    assert resources_hash([ns, cm]) != resources_hash([ns, changed])
    assert len(resources_hash([])) == 64


def test_policy_hash_ignores_number_of_clusters() -> None:
    three = PlacementPolicy(placement_type="PickN", number_of_clusters=3)
    five = PlacementPolicy(placement_type="PickN", number_of_clusters=5)
    assert policy_hash(three) == policy_hash(five)
    assert policy_hash(three) != policy_hash(PlacementPolicy(placement_type="PickAll"))


def test_policy_snapshot() -> None:
    snapshot = ClusterSchedulingPolicySnapshot.build(
        "example-placement", 0, PlacementPolicy(placement_type="PickN", number_of_clusters=2), latest=True
    )
    assert snapshot.name == "example-placement-0" and snapshot.index == 0
    assert snapshot.labels["kubernetes-fleet.io/policy-index"] == "0"
    assert snapshot.metadata.annotations == {"kubernetes-fleet.io/number-of-clusters": "2"}


def test_derived_names() -> None:
    assert resource_snapshot_name("example-placement", 0) == "example-placement-0-snapshot"
    assert policy_snapshot_name("example-placement", 3) == "example-placement-3"
    assert approval_request_name("example-run-2", "canary") == "example-run-2-canary"
    assert approval_request_name("example-run", "canary", before=True) == "example-run-before-canary"


def test_list_and_json_documents() -> None:
    listed = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [yaml.safe_load(NAMESPACE_AS_STORED)]})
    as_json = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}'
    objects = parse_manifests(listed + "---\n" + as_json + "\n---\n---\n")
    assert [o.key for o in objects] == [("", "Namespace", "", "test-namespace"), ("", "ConfigMap", "n", "c")]


def test_custom_resources_of_unknown_groups_are_hub_objects() -> None:
    obj = _hub("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: n}\nspec: {size: 3}\n")
    assert obj.extra == {"spec": {"size": 3}} and obj.kind_info is None
