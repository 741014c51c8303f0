"""`-o yaml|json`, describe and snapshot diffs print like kubectl."""
from datetime import datetime, timezone

from cli.describe import describe, field_title
from cli.output import render_documents, to_yaml
from cli.snapshotdiff import render_diff


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


def _change(key: str, before: dict | None, after: dict | None) -> dict:
    change = "added" if before is None else "removed" if after is None else "modified"
    return {"key": key, "change": change, "before": before, "after": after}


def test_snapshot_diff_is_a_unified_diff_per_changed_object() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"}}
    diff = {"placement": "p", "from": 0, "to": 1, "objects": [
        _change("ConfigMap/ns/cm", {**cm, "data": {"key": "value1"}}, {**cm, "data": {"key": "value2"}}),
        _change("ConfigMap/ns/new", None, cm),
    ]}
    text = render_diff(diff)
    assert text.splitlines()[:2] == ["--- p-0-snapshot/ConfigMap/ns/cm", "+++ p-1-snapshot/ConfigMap/ns/cm"]
    assert "-  key: value1\n+  key: value2\n" in text
    assert "--- /dev/null\n+++ p-1-snapshot/ConfigMap/ns/new\n" in text
    assert render_diff({**diff, "objects": []}) == ""


def test_describe_shows_the_audit_entries_as_events() -> None:
    now = datetime(2025, 1, 1, 12, 0, 30, tzinfo=timezone.utc)
    entries = [
        {"type": "fleetstage.approval.granted", "time": "2025-01-01T12:00:00.000000Z", "actor": "alice",
         "summary": "approval.granted name=r-canary run=r stage=canary"},
        {"type": "fleetstage.run.failed", "time": "2025-01-01T12:00:20.000000Z", "actor": "orchestrator",
         "summary": "run.failed run=r message=boom"},
    ]
    text = describe({"apiVersion": "v1", "kind": "X", "metadata": {"name": "r"}}, entries, now)
    assert text.endswith(
        "Events:\n"
        "  Type      Reason             Age    From           Message\n"
        "  ----      ------             ----   ----           -------\n"
        "  Normal    approval.granted   30s    alice          name=r-canary run=r stage=canary\n"
        "  Warning   run.failed         10s    orchestrator   run=r message=boom\n"
    )
    assert describe({"kind": "X", "metadata": {"name": "r"}}).endswith("Events:       <none>\n")
