"""Invalid manifests are rejected with a message naming the document, the object, the field path and the fix."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from demo.manifests import FIRST_RUN, PLACEMENT, STRATEGY
from resources import ManifestError, parse_manifests
from resources.limits import MAX_DATA_BYTES, MAX_OBJECT_BYTES

_DELETE = object()


def _edit(base: str, path: str, value: Any) -> str:
    """The manifest `base` with the field at dotted `path` (`spec.stages.0.name`) set (or deleted)."""
    doc = copy.deepcopy(yaml.safe_load(base))
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return yaml.safe_dump(doc, sort_keys=False)


def _stages(*stages: dict[str, Any]) -> str:
    return _edit(STRATEGY, "spec.stages", list(stages))


def _after_tasks(*tasks: dict[str, Any]) -> str:
    """The strategy with one stage `a` having these after-stage tasks."""
    return _stages({"name": "a", "afterStageTasks": list(tasks)})


def _wait_time_case(case: str, wait: object, message: str) -> tuple[str, str, str, str]:
    """A case of one stage whose TimedWait task has `waitTime: <wait>`."""
    manifest = _after_tasks({"type": "TimedWait", "waitTime": wait})
    return case, manifest, "spec.stages[0].afterStageTasks[0].waitTime", message


def _max_concurrency_case(case: str, value: object, message: str) -> tuple[str, str, str, str]:
    """A case of one stage with `maxConcurrency: <value>`."""
    return case, _stages({"name": "a", "maxConcurrency": value}), "spec.stages[0].maxConcurrency", message


NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test-namespace\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: test-cm\n  namespace: test-namespace\ndata:\n  key: value1\n"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: test-secret\n  namespace: test-namespace\ntype: Opaque\n"

CASES: list[tuple[str, str, str, str]] = [
    # id, manifest, expected field path, expected words of the message
    ("unknown-top-field", _edit(FIRST_RUN, "spex", {}), "spex", 'unknown field "spex"'),
    ("unknown-spec-field", _edit(FIRST_RUN, "spec.placement", "x"), "spec.placement", "unknown field"),
    (
        "unknown-field-did-you-mean",
        _stages({"name": "a", "sortLabelKey": "order"}),
        "spec.stages[0].sortLabelKey",
        'did you mean "sortingLabelKey"',
    ),
    ("snake-case-field", _edit(FIRST_RUN, "spec.placement_name", "x"), "spec.placement_name", "unknown field"),
    (
        "index-not-string",
        _edit(FIRST_RUN, "spec.resourceSnapshotIndex", 1),
        "spec.resourceSnapshotIndex",
        'must be a string, got integer 1; quote it: "1"',
    ),
    (
        "index-negative",
        _edit(FIRST_RUN, "spec.resourceSnapshotIndex", "-1"),
        "spec.resourceSnapshotIndex",
        'a non-negative integer written as a string, e.g. "1", got "-1"',
    ),
    ("run-missing-placement", _edit(FIRST_RUN, "spec.placementName", _DELETE), "spec.placementName", "required"),
    (
        "run-missing-strategy",
        _edit(FIRST_RUN, "spec.stagedRolloutStrategyName", _DELETE),
        "spec.stagedRolloutStrategyName",
        "required",
    ),
    ("run-bad-state", _edit(FIRST_RUN, "spec.state", "Running"), "spec.state", 'did you mean "Run"'),
    ("run-name-too-long", _edit(FIRST_RUN, "metadata.name", "r" * 64), "metadata.name", "at most 63 characters"),
    ("missing-name", _edit(FIRST_RUN, "metadata.name", _DELETE), "metadata.name", "required"),
    ("missing-metadata", _edit(FIRST_RUN, "metadata", _DELETE), "metadata", "required"),
    ("bad-name-uppercase", _edit(PLACEMENT, "metadata.name", "Example"), "metadata.name", "RFC 1123"),
    (
        "namespace-on-cluster-scoped",
        _edit(FIRST_RUN, "metadata.namespace", "default"),
        "metadata.namespace",
        "cluster-scoped",
    ),
    ("bad-label-key", _edit(FIRST_RUN, "metadata.labels", {"bad key": "x"}), 'metadata.labels["bad key"]', "key"),
    ("bad-label-value", _edit(FIRST_RUN, "metadata.labels", {"team": "a b"}), "metadata.labels.team", "value"),
    ("spec-not-mapping", _edit(FIRST_RUN, "spec", ["x"]), "spec", "must be a mapping"),
    (
        "stage-name-uppercase",
        _stages({"name": "staging"}, {"name": "Canary"}),
        "spec.stages[1].name",
        'must match ^[a-z0-9]+$ (lowercase letters and digits only), got "Canary"',
    ),
    ("stage-name-dash", _stages({"name": "stage-1"}), "spec.stages[0].name", "lowercase letters and digits"),
    ("stage-name-too-long", _stages({"name": "a" * 64}), "spec.stages[0].name", "at most 63"),
    (
        "duplicate-stage-names",
        _stages({"name": "a"}, {"name": "b"}, {"name": "a"}),
        "spec.stages[2].name",
        'duplicate stage name "a"',
    ),
    ("32-stages", _stages(*({"name": f"s{i}"} for i in range(32))), "spec.stages", "at most 31 items, got 32"),
    ("stages-missing", _edit(STRATEGY, "spec.stages", _DELETE), "spec.stages", "required"),
    _wait_time_case("bad-wait-time-unit", "1d", "hours, minutes and seconds"),
    _wait_time_case("bad-wait-time-ms", "500ms", "hours, minutes and seconds"),
    _wait_time_case("zero-wait-time", "0s", "longer than 0s"),
    _wait_time_case("wait-time-number", 60, "must be a string"),
    (
        "approval-with-wait-time",
        _after_tasks({"type": "TimedWait", "waitTime": "1m"}, {"type": "Approval", "waitTime": "1m"}),
        "spec.stages[0].afterStageTasks[1].waitTime",
        "not allowed for an Approval task",
    ),
    (
        "timed-wait-without-wait-time",
        _after_tasks({"type": "TimedWait"}),
        "spec.stages[0].afterStageTasks[0].waitTime",
        "required for a TimedWait task",
    ),
    (
        "three-after-stage-tasks",
        _after_tasks({"type": "Approval"}, {"type": "TimedWait", "waitTime": "1m"}, {"type": "Approval"}),
        "spec.stages[0].afterStageTasks",
        "at most 2 items, got 3",
    ),
    (
        "two-tasks-of-one-type",
        _after_tasks({"type": "TimedWait", "waitTime": "1m"}, {"type": "TimedWait", "waitTime": "2m"}),
        "spec.stages[0].afterStageTasks[1].type",
        "only one TimedWait task",
    ),
    (
        "unknown-task-type",
        _after_tasks({"type": "Wait"}),
        "spec.stages[0].afterStageTasks[0].type",
        "must be one of TimedWait, Approval",
    ),
    (
        "before-stage-timed-wait",
        _stages({"name": "a", "beforeStageTasks": [{"type": "TimedWait", "waitTime": "1m"}]}),
        "spec.stages[0].beforeStageTasks[0].type",
        "can only be Approval",
    ),
    (
        "two-before-stage-tasks",
        _stages({"name": "a", "beforeStageTasks": [{"type": "Approval"}, {"type": "Approval"}]}),
        "spec.stages[0].beforeStageTasks",
        "at most 1 items",
    ),
    _max_concurrency_case("max-concurrency-zero", 0, "at least 1"),
    _max_concurrency_case("max-concurrency-101-percent", "101%", '"1%".."100%"'),
    _max_concurrency_case("max-concurrency-zero-percent", "0%", '"1%".."100%"'),
    _max_concurrency_case("max-concurrency-quoted-int", "5", 'write 5 (no quotes) or "5%"'),
    (
        "selector-value-not-string",
        _stages({"name": "a", "labelSelector": {"matchLabels": {"order": 1}}}),
        "spec.stages[0].labelSelector.matchLabels.order",
        'quote it: "1"',
    ),
    (
        "selector-in-without-values",
        _stages({"name": "a", "labelSelector": {"matchExpressions": [{"key": "env", "operator": "In"}]}}),
        "spec.stages[0].labelSelector.matchExpressions[0].values",
        "non-empty list of values",
    ),
    (
        "selector-exists-with-values",
        _stages(
            {"name": "a", "labelSelector": {"matchExpressions": [{"key": "e", "operator": "Exists", "values": ["x"]}]}}
        ),
        "spec.stages[0].labelSelector.matchExpressions[0].values",
        "takes no values",
    ),
    (
        "selector-bad-operator",
        _stages(
            {"name": "a", "labelSelector": {"matchExpressions": [{"key": "e", "operator": "in", "values": ["x"]}]}}
        ),
        "spec.stages[0].labelSelector.matchExpressions[0].operator",
        'did you mean "In"',
    ),
    (
        "pickn-without-number",
        _edit(PLACEMENT, "spec.policy", {"placementType": "PickN"}),
        "spec.policy.numberOfClusters",
        "required when placementType is PickN",
    ),
    (
        "pickall-with-number",
        _edit(PLACEMENT, "spec.policy", {"placementType": "PickAll", "numberOfClusters": 2}),
        "spec.policy.numberOfClusters",
        "only allowed when placementType is PickN",
    ),
    (
        "pickn-number-as-string",
        _edit(PLACEMENT, "spec.policy", {"placementType": "PickN", "numberOfClusters": "2"}),
        "spec.policy.numberOfClusters",
        'must be an integer, got string "2"; remove the quotes',
    ),
    (
        "pickfixed-without-names",
        _edit(PLACEMENT, "spec.policy", {"placementType": "PickFixed"}),
        "spec.policy.clusterNames",
        "required when placementType is PickFixed",
    ),
    (
        "pickfixed-101-names",
        _edit(
            PLACEMENT,
            "spec.policy",
            {"placementType": "PickFixed", "clusterNames": [f"m{i}" for i in range(101)]},
        ),
        "spec.policy.clusterNames",
        "at most 100 items",
    ),
    (
        "bad-placement-type",
        _edit(PLACEMENT, "spec.policy.placementType", "PickSome"),
        "spec.policy.placementType",
        "must be one of PickAll, PickN, PickFixed",
    ),
    (
        "bad-strategy-type",
        _edit(PLACEMENT, "spec.strategy.type", "Manual"),
        "spec.strategy.type",
        "must be one of RollingUpdate, External",
    ),
    ("history-limit-zero", _edit(PLACEMENT, "spec.revisionHistoryLimit", 0), "spec.revisionHistoryLimit", ">= 1"),
    (
        "history-limit-too-big",
        _edit(PLACEMENT, "spec.revisionHistoryLimit", 1001),
        "spec.revisionHistoryLimit",
        "<= 1000",
    ),
    (
        "no-resource-selectors",
        _edit(PLACEMENT, "spec.resourceSelectors", []),
        "spec.resourceSelectors",
        "at least 1 item",
    ),
    (
        "selector-namespaced-kind",
        _edit(
            PLACEMENT,
            "spec.resourceSelectors",
            [{"group": "", "version": "v1", "kind": "ConfigMap", "name": "x"}],
        ),
        "spec.resourceSelectors[0].kind",
        "select its Namespace instead",
    ),
    (
        "selector-name-and-labels",
        _edit(PLACEMENT, "spec.resourceSelectors.0.labelSelector", {"matchLabels": {"a": "b"}}),
        "spec.resourceSelectors[0].labelSelector",
        "mutually exclusive",
    ),
    (
        "bad-api-version",
        _edit(FIRST_RUN, "apiVersion", "placement.kubernetes-fleet.io/v1alpha1"),
        "apiVersion",
        'unsupported version "v1alpha1"',
    ),
    (
        "fleet-kind-wrong-group",
        _edit(FIRST_RUN, "apiVersion", "v1"),
        "apiVersion",
        "ClusterStagedUpdateRun is in apiVersion placement.kubernetes-fleet.io/v1beta1",
    ),
    ("missing-api-version", _edit(FIRST_RUN, "apiVersion", _DELETE), "apiVersion", "required"),
    ("missing-kind", _edit(FIRST_RUN, "kind", _DELETE), "kind", "required"),
    (
        "unknown-fleet-kind",
        _edit(FIRST_RUN, "kind", "ClusterStagedUpdateRunz"),
        "kind",
        'did you mean "ClusterStagedUpdateRun"',
    ),
    ("unknown-core-kind", _edit(NS, "kind", "Namespaces"), "kind", 'did you mean "Namespace"'),
    ("core-kind-wrong-group", _edit(NS, "apiVersion", "apps/v1"), "apiVersion", "Namespace is in apiVersion v1"),
    ("namespace-bad-name", _edit(NS, "metadata.name", "test.namespace"), "metadata.name", "RFC 1123 label"),
    (
        "configmap-without-namespace",
        _edit(CM, "metadata.namespace", _DELETE),
        "metadata.namespace",
        "ConfigMap is namespaced",
    ),
    ("configmap-data-not-string", _edit(CM, "data.key", True), "data.key", 'quote it: "true"'),
    ("configmap-unknown-top-field", _edit(CM, "date", {"a": "b"}), "date", 'unknown field "date"; did you mean "data"'),
    ("namespace-unknown-top-field", _edit(NS, "spc", {}), "spc", 'did you mean "spec"'),
    ("secret-unknown-top-field", _edit(SECRET, "strinData", {"a": "b"}), "strinData", 'did you mean "stringData"'),
    ("configmap-key-with-slash", _edit(CM, "data", {"a/b": "c"}), 'data["a/b"]', "[-._a-zA-Z0-9]+"),
    ("configmap-key-dot-dot", _edit(CM, "binaryData", {"..x": "c"}), 'binaryData["..x"]', 'nor start with ".."'),
    ("configmap-over-1-mib", _edit(CM, "data.key", "x" * MAX_DATA_BYTES), "data", f"at most {MAX_DATA_BYTES} bytes"),
    (
        "approval-missing-stage",
        "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterApprovalRequest\nmetadata: {name: r-c}\n"
        "spec: {parentStageRollout: r}\n",
        "spec.targetStage",
        "required",
    ),
    (
        "condition-bad-status",
        "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterApprovalRequest\nmetadata: {name: r-c}\n"
        "spec: {parentStageRollout: r, targetStage: c}\n"
        "status: {conditions: [{type: Approved, status: true, reason: lgtm, observedGeneration: 1}]}\n",
        "status.conditions[0].status",
        "must be one of True, False, Unknown; got boolean true",
    ),
    (
        "condition-bad-time",
        "apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterApprovalRequest\nmetadata: {name: r-c}\n"
        "spec: {parentStageRollout: r, targetStage: c}\n"
        "status: {conditions: [{type: Approved, status: 'True', reason: lgtm, lastTransitionTime: yesterday}]}\n",
        "status.conditions[0].lastTransitionTime",
        "RFC 3339",
    ),
    (
        "member-cluster-label-int",
        "apiVersion: cluster.kubernetes-fleet.io/v1beta1\nkind: MemberCluster\nmetadata:\n  name: member1\n"
        "  labels: {environment: canary, order: 2}\n",
        "metadata.labels.order",
        'quote it: "2"',
    ),
]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("manifest", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_manifest_names_field_and_fix(manifest: str, path: str, words: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifests(manifest)
    error = caught.value
    assert path in error.paths, str(error)
    assert f"{path}: " in str(error) and words in str(error)
    assert str(error).startswith("document 1")


def test_message_names_document_kind_and_name() -> None:
    bad = _stages({"name": "staging"}, {"name": "Canary"})
    with pytest.raises(ManifestError) as caught:
        parse_manifests(PLACEMENT + "---\n" + bad)
    assert str(caught.value) == (
        'document 2: ClusterStagedUpdateStrategy "example-strategy": spec.stages[1].name: '
        'must match ^[a-z0-9]+$ (lowercase letters and digits only), got "Canary"'
    )
    assert (caught.value.document, caught.value.kind, caught.value.name) == (
        2,
        "ClusterStagedUpdateStrategy",
        "example-strategy",
    )


def test_every_problem_of_a_document_is_listed() -> None:
    text = _edit(_edit(FIRST_RUN, "spec.resourceSnapshotIndex", 1), "spec.state", "Go")
    with pytest.raises(ManifestError) as caught:
        parse_manifests(text)
    assert caught.value.paths == ["spec.resourceSnapshotIndex", "spec.state"]
    assert "2 problems" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        (
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n name: b\n",
            5,
            2,
            "YAML syntax error at line 5, column 2",
        ),
        ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n", 5, 3, 'duplicate key "name"'),
        ("kind: [unclosed\n", 2, 1, "YAML syntax error at line 2"),
    ],
)
def test_bad_yaml_reports_line_and_column(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifests(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in str(caught.value)


def test_bad_yaml_in_a_later_document_names_that_document() -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifests(NS + "---\n" + NS + "---\nkind: : x\n")
    assert caught.value.document == 3
    assert str(caught.value).startswith("document 3: YAML syntax error at line 11")


def test_document_that_is_not_an_object() -> None:
    with pytest.raises(ManifestError, match="document 2: expected a Kubernetes object .* got a list"):
        parse_manifests(NS + "---\n- a\n- b\n")


def test_source_name_prefixes_the_message() -> None:
    with pytest.raises(ManifestError, match=r"^run\.yaml: document 1: ClusterStagedUpdateRun"):
        parse_manifests(_edit(FIRST_RUN, "spec.state", "x"), source="run.yaml")


def test_list_items_are_named_by_index() -> None:
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [yaml.safe_load(NS), {"apiVersion": "v1"}]})
    with pytest.raises(ManifestError) as caught:
        parse_manifests(text)
    assert (
        str(caught.value)
        == "document 1 items[1]: kind: required field is missing; add it (e.g. kind: ClusterStagedUpdateRun)"
    )


def test_read_only_kinds_are_refused_when_applying() -> None:
    snapshot = (
        "apiVersion: placement.kubernetes-fleet.io/v1\nkind: ClusterResourceSnapshot\n"
        "metadata: {name: example-placement-0-snapshot}\nspec: {selectedResources: []}\n"
    )
    assert parse_manifests(snapshot)[0].kind == "ClusterResourceSnapshot"
    with pytest.raises(ManifestError, match="kind: ClusterResourceSnapshot is read-only"):
        parse_manifests(snapshot, writable_only=True)


def test_other_kinds_keep_any_top_level_field() -> None:
    deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\nspec: {}\nextra: 1\n"
    assert parse_manifests(deployment)[0].to_dict()["extra"] == 1


def test_an_object_too_large_for_one_event_is_refused() -> None:
    big = _edit("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\n", "spec",
                {"blob": "x" * MAX_OBJECT_BYTES})
    with pytest.raises(ManifestError, match=f'Deployment "d": the object is too large: .* limit of {MAX_OBJECT_BYTES}'):
        parse_manifests(big)
