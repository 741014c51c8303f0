"""`get` tables: the columns of each kind and kubectl's layout (tabwriter: left-aligned, 3 spaces apart).

Columns follow Fleet's CRD printer columns where the how-to shows them (`get crp`, `get csur`,
`get clusterapprovalrequest`, `get clusterresourcesnapshots --show-labels`); other kinds get the
columns kubectl shows for them. A cell whose value is absent is blank.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cli.age import age
from resources.kinds import KindInfo

Document = Mapping[str, Any]

MIN_WIDTH = 6  # kubectl's tabwriter: minimal cell width, padding included
PADDING = 3


@dataclass(frozen=True)
class Column:
    """One column: its header and how to get its cell from a document (`now` for ages)."""

    header: str
    cell: Callable[[Document, datetime], str]
    wide_only: bool = False


def _path(*keys: str) -> Callable[[Document, datetime], str]:
    def cell(doc: Document, now: datetime) -> str:
        value: Any = doc
        for key in keys:
            if not isinstance(value, Mapping) or key not in value:
                return ""
            value = value[key]
        return _text(value)

    return cell


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def find_condition(doc: Document, type_: str) -> Mapping[str, Any] | None:
    """The status condition of type `type_` of a document, or None."""
    for condition in (doc.get("status") or {}).get("conditions") or []:
        if condition.get("type") == type_:
            return condition
    return None


def _condition(type_: str, field: str = "status") -> Callable[[Document, datetime], str]:
    def cell(doc: Document, now: datetime) -> str:
        condition = find_condition(doc, type_)
        return _text(condition.get(field)) if condition else ""

    return cell


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 timestamp of a document (`2025-01-01T12:00:00Z`), or None."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _age(doc: Document, now: datetime) -> str:
    return age(parse_time((doc.get("metadata") or {}).get("creationTimestamp")), now)


def labels_text(doc: Document) -> str:
    """kubectl's LABELS cell: `k=v` sorted by key, comma-joined; `<none>` without labels."""
    labels = (doc.get("metadata") or {}).get("labels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def _count(*keys: str) -> Callable[[Document, datetime], str]:
    def cell(doc: Document, now: datetime) -> str:
        value: Any = doc
        for key in keys:
            value = (value or {}).get(key)
        return str(len(value or ()))

    return cell


NAME = Column("NAME", _path("metadata", "name"))
AGE = Column("AGE", _age)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "ClusterResourcePlacement": (
        NAME,
        Column("GEN", _path("metadata", "generation")),
        Column("SCHEDULED", _condition("ClusterResourcePlacementScheduled")),
        Column("SCHEDULED-GEN", _condition("ClusterResourcePlacementScheduled", "observedGeneration")),
        Column("AVAILABLE", _condition("ClusterResourcePlacementAvailable")),
        Column("AVAILABLE-GEN", _condition("ClusterResourcePlacementAvailable", "observedGeneration")),
        AGE,
    ),
    "ClusterResourceSnapshot": (NAME, Column("GEN", _path("metadata", "generation")), AGE),
    "ClusterSchedulingPolicySnapshot": (NAME, Column("GEN", _path("metadata", "generation")), AGE),
    "ClusterStagedUpdateRun": (
        NAME,
        Column("PLACEMENT", _path("spec", "placementName")),
        Column("RESOURCE-SNAPSHOT", _path("spec", "resourceSnapshotIndex")),
        Column("POLICY-SNAPSHOT", _path("status", "policySnapshotIndexUsed")),
        Column("INITIALIZED", _condition("Initialized")),
        Column("SUCCEEDED", _condition("Succeeded")),
        AGE,
        Column("STATE", _path("spec", "state"), wide_only=True),
        Column("PROGRESSING", _condition("Progressing", "reason"), wide_only=True),
    ),
    "ClusterApprovalRequest": (
        NAME,
        Column("UPDATE-RUN", _path("spec", "parentStageRollout")),
        Column("STAGE", _path("spec", "targetStage")),
        Column("APPROVED", _condition("Approved")),
        Column("APPROVALACCEPTED", _condition("ApprovalAccepted")),
        AGE,
    ),
    "ClusterStagedUpdateStrategy": (NAME, Column("STAGES", _count("spec", "stages")), AGE),
    "MemberCluster": (
        NAME,
        Column("JOINED", _condition("Joined")),
        Column("HEALTHY", _condition("Healthy")),
        AGE,
        Column("LAST-SEEN", _path("status", "lastHeartbeatTime"), wide_only=True),
    ),
    "Namespace": (NAME, Column("STATUS", _path("status", "phase")), AGE),
    "ConfigMap": (NAME, Column("DATA", _count("data")), AGE),
}

NAMESPACE = Column("NAMESPACE", _path("metadata", "namespace"))


def qualified_name(info: KindInfo) -> Column:
    """NAME as `kind.group/name`: how kubectl names rows when one `get` shows several kinds."""
    return Column("NAME", lambda doc, now: f"{info.kind_group}/{(doc.get('metadata') or {}).get('name', '')}")
LABELS = Column("LABELS", lambda doc, now: labels_text(doc))


def columns_for(kind: str, *, wide: bool = False, show_labels: bool = False,
                with_namespace: bool = False) -> list[Column]:
    """The columns of a `get` table of `kind` (NAME AGE for kinds without their own)."""
    columns = [c for c in COLUMNS.get(kind, (NAME, AGE)) if wide or not c.wide_only]
    if with_namespace:
        columns.insert(0, NAMESPACE)
    if show_labels:
        columns.append(LABELS)
    return columns


def column_widths(rows: Sequence[Sequence[str]]) -> list[int]:
    """The padded width of every column but the last (widest cell + 3, at least 6)."""
    return [max(MIN_WIDTH, max(len(row[i]) for row in rows) + PADDING) for i in range(len(rows[0]) - 1)]


def format_row(row: Sequence[str], widths: Sequence[int]) -> str:
    """One line: each cell but the last padded to its column's width; the last cell is not padded."""
    return ("".join(cell.ljust(width) for cell, width in zip(row, widths)) + row[-1]).rstrip()


def layout(rows: Sequence[Sequence[str]]) -> str:
    """Rows as kubectl's tabwriter prints them (ending in a newline; "" without rows)."""
    if not rows:
        return ""
    widths = column_widths(rows)
    return "".join(format_row(row, widths) + "\n" for row in rows)


def render_table(documents: Sequence[Document], columns: Sequence[Column], now: datetime, *,
                 headers: bool = True) -> str:
    """The table text (ending in a newline) of `documents`."""
    rows = [[c.header for c in columns]] if headers else []
    rows += [[c.cell(doc, now) for c in columns] for doc in documents]
    return layout(rows)
