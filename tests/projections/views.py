"""Test helpers: fold events into documents, hide what the how-to hides, and read table cells."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from eventstore import Event
from projections.documents import presented
from projections.fold import DocumentSet, fold

TIME_KEYS = ("lastTransitionTime", "startTime", "endTime")


def fold_all(events: Iterable[Event]) -> DocumentSet:
    docs = DocumentSet()
    for event in events:
        docs.apply(fold(docs, event))
    return docs


def as_shown(doc: dict[str, Any], metadata: Sequence[str] = ("name",)) -> dict[str, Any]:
    """The document with times as `...` and only the given metadata fields (the how-to elides the rest)."""

    def mask(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "..." if k in TIME_KEYS else mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    shown = mask(presented(doc))
    shown["metadata"] = {k: v for k, v in shown["metadata"].items() if k in metadata}
    return shown


def assert_yaml_equal(doc: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal content, and the same YAML text with keys in document order (so key and list order count)."""
    got_text, expected_text = yaml.safe_dump(doc, sort_keys=False), yaml.safe_dump(expected, sort_keys=False)
    if got_text != expected_text:
        diff = difflib.unified_diff(
            expected_text.splitlines(), got_text.splitlines(), "how-to", "projection", lineterm=""
        )
        raise AssertionError("document differs from the how-to:\n" + "\n".join(diff))
    assert doc == expected


def condition(doc: dict[str, Any], type_: str, field: str = "status") -> str:
    for c in (doc.get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return str(c[field])
    return ""


def crp_row(doc: dict[str, Any]) -> list[str]:
    """NAME GEN SCHEDULED SCHEDULED-GEN AVAILABLE AVAILABLE-GEN (AGE left out)."""
    return [
        doc["metadata"]["name"],
        str(doc["metadata"]["generation"]),
        condition(doc, "ClusterResourcePlacementScheduled"),
        condition(doc, "ClusterResourcePlacementScheduled", "observedGeneration"),
        condition(doc, "ClusterResourcePlacementAvailable"),
        condition(doc, "ClusterResourcePlacementAvailable", "observedGeneration"),
    ]


def csur_row(doc: dict[str, Any]) -> list[str]:
    """NAME PLACEMENT RESOURCE-SNAPSHOT POLICY-SNAPSHOT INITIALIZED SUCCEEDED."""
    return [
        doc["metadata"]["name"],
        doc["spec"]["placementName"],
        doc["spec"]["resourceSnapshotIndex"],
        (doc.get("status") or {}).get("policySnapshotIndexUsed", ""),
        condition(doc, "Initialized"),
        condition(doc, "Succeeded"),
    ]


def approval_row(doc: dict[str, Any]) -> list[str]:
    """NAME UPDATE-RUN STAGE APPROVED APPROVALACCEPTED."""
    return [
        doc["metadata"]["name"],
        doc["spec"]["parentStageRollout"],
        doc["spec"]["targetStage"],
        condition(doc, "Approved"),
        condition(doc, "ApprovalAccepted"),
    ]


def snapshot_row(doc: dict[str, Any]) -> list[str]:
    """NAME GEN LABELS (`--show-labels`)."""
    labels = ",".join(f"{k}={v}" for k, v in sorted(doc["metadata"]["labels"].items()))
    return [doc["metadata"]["name"], str(doc["metadata"]["generation"]), labels]


def rows(docs: DocumentSet, kind: str, row: Any) -> list[list[str]]:
    return [row(d) for d in sorted(docs.of_kind(kind), key=lambda d: d["metadata"]["name"])]
