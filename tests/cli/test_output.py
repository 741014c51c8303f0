"""`-o yaml|json`, describe and snapshot diffs print like kubectl."""
from cli.describe import describe, field_title
from cli.output import render_documents, to_yaml
from cli.snapshotdiff import diff_snapshots


def test_yaml_is_block_style_sorted_and_double_quoted_like_kubectl() -> None:
    doc = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "test-cm"},
           "data": {"key": "value2", "flag": "true", "n": "1", "empty": "", "text": "a\nb\n"}}
    assert to_yaml(doc) == (
        "apiVersion: v1\n"
        "data:\n"
        '  empty: ""\n'
        '  flag: "true"\n'
        "  key: value2\n"
        '  n: "1"\n'
        "  text: |\n"
        "    a\n"
        "    b\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: test-cm\n"
    )


def test_conditions_print_as_in_the_howto() -> None:
    doc = {"status": {"conditions": [{"type": "Initialized", "status": "True", "message": "",
                                      "observedGeneration": 1}]}}
    assert to_yaml(doc) == (
        "status:\n"
        "  conditions:\n"
        '  - message: ""\n'
        "    observedGeneration: 1\n"
        '    status: "True"\n'
        "    type: Initialized\n"
    )


def test_several_objects_print_as_a_v1_list() -> None:
    text = render_documents([{"a": 1}, {"b": 2}], "json", single=False)
    assert '"kind": "List"' in text and text.endswith("}\n")


def test_describe_titles_fields_and_lists_labels() -> None:
    assert field_title("stagedRolloutStrategyName") == "Staged Rollout Strategy Name"
    text = describe({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "test-cm", "namespace": "ns", "labels": {"b": "2", "a": "1"}},
                     "data": {"key": "value1"}})
    assert text.splitlines()[:4] == ["Name:        test-cm", "Namespace:   ns", "Labels:      a=1", "             b=2"]
    assert "Data:\n  Key:  value1\n" in text


def _snapshot(index: int, value: str) -> dict:
    return {"metadata": {"name": f"p-{index}-snapshot"}, "spec": {"selectedResources": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"},
         "data": {"key": value}},
    ]}}


def test_snapshot_diff_shows_only_the_changed_object() -> None:
    text = diff_snapshots(_snapshot(0, "value1"), _snapshot(1, "value2"))
    assert text.splitlines()[:2] == ["--- p-0-snapshot/ConfigMap/ns/cm", "+++ p-1-snapshot/ConfigMap/ns/cm"]
    assert "-  key: value1\n+  key: value2\n" in text
    assert diff_snapshots(_snapshot(0, "v"), _snapshot(1, "v")) == ""
