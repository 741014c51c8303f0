"""What the end-to-end scenarios share: the store of a backend, and reading what the fleet reports and holds
(conditions of a status document, a member's apply ledger)."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.fleet import LocalFleet

BACKENDS = ["embedded", pytest.param("kafka", marks=pytest.mark.kafka)]
"""Parametrize a scenario with these to run it on the embedded store and on the session's Kafka broker."""
SCENARIO_TIMEOUT = 300
"""A guard against hangs, not a target: a scenario takes about 30-60 s on an idle machine; a busy machine
(2 cores shared with other test runs) or starting the session's broker can make that 3 times longer."""


def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh store for one scenario: a SQLite file, or topics with their own prefix on the Kafka broker."""
    if backend == "embedded":
        return f"sqlite:{tmp_path / 'fleet.db'}"
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    return f"kafka://{bootstrap}?prefix=e2e-{uuid.uuid4().hex[:8]}."


def conditions(doc: dict[str, Any] | None) -> dict[str, tuple[str, str, str]]:
    """The conditions of a document (or of a status part of one) as {type: (status, reason, message)}."""
    found = (doc or {}).get("conditions")
    if found is None:
        found = ((doc or {}).get("status") or {}).get("conditions") or []
    return {c["type"]: (c.get("status", ""), c.get("reason", ""), c.get("message", "")) for c in found}


def stage(run_doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The status of stage `name` of a ClusterStagedUpdateRun document ({} before it is reported)."""
    stages = (run_doc.get("status") or {}).get("stagesStatus") or []
    return next((s for s in stages if s.get("stageName") == name), {})


def cluster(stage_status: dict[str, Any], name: str) -> dict[str, Any]:
    """The status of cluster `name` in a stage's status ({} when the stage does not list it)."""
    return next((c for c in stage_status.get("clusters") or [] if c.get("clusterName") == name), {})


def ledger(fleet: LocalFleet, member: str) -> list[dict[str, Any]]:
    """Every line of the member agent's apply ledger, in order (one line per command carried out)."""
    path = fleet.target_dir(member) / ".fleetstage" / "ledger.jsonl"
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def ledger_runs(fleet: LocalFleet, member: str) -> list[tuple[str, bool]]:
    """(run, succeeded) of each ledger line of `member`, in order."""
    return [(entry["run"], entry["succeeded"]) for entry in ledger(fleet, member)]


TIME_FIELDS = ("lastTransitionTime", "startTime", "endTime")


def times(doc: Any, path: str = "") -> list[tuple[str, str]]:
    """(path, RFC 3339 time) of every condition, start and end time in a document."""
    if isinstance(doc, dict):
        found = [(f"{path}.{key}", value) for key, value in doc.items() if key in TIME_FIELDS]
        return found + [hit for key, value in doc.items() for hit in times(value, f"{path}.{key}")]
    if isinstance(doc, list):
        return [hit for i, value in enumerate(doc) for hit in times(value, f"{path}[{i}]")]
    return []


def finished_at(run_doc: dict[str, Any]) -> str:
    """When a finished run finished: the time of its Succeeded condition."""
    return next(c["lastTransitionTime"] for c in run_doc["status"]["conditions"] if c["type"] == "Succeeded")


def times_out_of_order(run_doc: dict[str, Any]) -> list[str]:
    """Times of a finished run that are not between its creation and its Succeeded condition (RFC 3339
    UTC times compare as text)."""
    created, finished = run_doc["metadata"]["creationTimestamp"], finished_at(run_doc)
    return [f"{path}={value} (created {created}, finished {finished})"
            for path, value in times(run_doc["status"]) if not created <= value <= finished]
