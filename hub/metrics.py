"""Prometheus metrics of the hub, computed from the read model at scrape time.

- `fleetstage_update_runs{condition,status,reason}`: runs per status condition.
- `fleetstage_approval_latency_seconds`: approval request created -> Approved.
- `fleetstage_stage_duration_seconds{stage}`: stage startTime -> endTime.
- `fleetstage_cluster_update_duration_seconds{stage}`: cluster Started -> Succeeded.
- `fleetstage_consumer_lag{consumer,stream,partition}`: events in the log the read models have not
  folded yet (consumer="projections"; on Kafka, transaction markers add a few offsets that never drain).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest

from eventstore import EventStore
from fleetevents.streams import ALL_STREAMS
from hub.readmodel import Document, ReadModel

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _seconds(start: str | None, end: str | None) -> float | None:
    begin, finish = _time(start), _time(end)
    return (finish - begin).total_seconds() if begin and finish else None


def _condition(conditions: list[dict[str, Any]] | None, type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions or [] if c.get("type") == type_), None)


def _stages(run: Document) -> Iterator[dict[str, Any]]:
    yield from (run.get("status") or {}).get("stagesStatus") or []


class HubMetrics:
    """Renders the metrics above from the read model and the event store."""

    async def render(self, read: ReadModel, store: EventStore) -> tuple[bytes, str]:
        registry = CollectorRegistry()
        runs = await read.list("ClusterStagedUpdateRun")
        approvals = await read.list("ClusterApprovalRequest")
        self._runs(registry, runs)
        self._approvals(registry, approvals)
        self._durations(registry, runs)
        await self._lag(registry, read, store)
        return generate_latest(registry), CONTENT_TYPE_LATEST

    @staticmethod
    def _runs(registry: CollectorRegistry, runs: list[Document]) -> None:
        gauge = Gauge("fleetstage_update_runs", "ClusterStagedUpdateRuns by status condition",
                      ["condition", "status", "reason"], registry=registry)
        for run in runs:
            for cond in (run.get("status") or {}).get("conditions") or []:
                gauge.labels(cond.get("type", ""), cond.get("status", ""), cond.get("reason", "")).inc()

    @staticmethod
    def _approvals(registry: CollectorRegistry, approvals: list[Document]) -> None:
        histogram = Histogram("fleetstage_approval_latency_seconds",
                              "Time from an approval request's creation to its approval",
                              buckets=DURATION_BUCKETS, registry=registry)
        for approval in approvals:
            approved = _condition((approval.get("status") or {}).get("conditions"), "Approved")
            if approved and approved.get("status") == "True":
                created = (approval.get("metadata") or {}).get("creationTimestamp")
                latency = _seconds(created, approved.get("lastTransitionTime"))
                if latency is not None:
                    histogram.observe(max(latency, 0.0))

    @staticmethod
    def _durations(registry: CollectorRegistry, runs: list[Document]) -> None:
        stages = Histogram("fleetstage_stage_duration_seconds", "Stage start to end",
                           ["stage"], buckets=DURATION_BUCKETS, registry=registry)
        clusters = Histogram("fleetstage_cluster_update_duration_seconds", "Cluster update started to succeeded",
                             ["stage"], buckets=DURATION_BUCKETS, registry=registry)
        for run in runs:
            for stage in _stages(run):
                name = stage.get("stageName", "")
                elapsed = _seconds(stage.get("startTime"), stage.get("endTime"))
                if elapsed is not None:
                    stages.labels(name).observe(elapsed)
                for cluster in stage.get("clusters") or []:
                    started = _condition(cluster.get("conditions"), "Started")
                    succeeded = _condition(cluster.get("conditions"), "Succeeded")
                    if started and succeeded and succeeded.get("status") == "True":
                        took = _seconds(started.get("lastTransitionTime"), succeeded.get("lastTransitionTime"))
                        if took is not None:
                            clusters.labels(name).observe(max(took, 0.0))

    @staticmethod
    async def _lag(registry: CollectorRegistry, read: ReadModel, store: EventStore) -> None:
        gauge = Gauge("fleetstage_consumer_lag", "Events in the log a consumer has not handled yet",
                      ["consumer", "stream", "partition"], registry=registry)
        positions = read.positions()
        for spec in ALL_STREAMS:
            done = positions.get(spec.name, {})
            for partition, end in (await store.end_offsets(spec.name)).items():
                gauge.labels("projections", spec.name, str(partition)).set(end - done.get(partition, 0))
