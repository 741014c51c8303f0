"""Read model of MemberClusters: labels, joined or left, and the last heartbeat.

Heartbeats (stream `heartbeats`) renew a Lease per member (`coordination.k8s.io/v1`, namespace
`fleet-system`, as Kubernetes nodes do); the MemberCluster (stream `fleet`) records its join time. Each
document depends on one stream only, so the fold does not depend on how the streams interleave.
Health is not stored: it depends on the time of the question. `present(member, lease, now, timeout)`
adds `status.lastHeartbeatTime` (the later of the join and the lease's renewal) and the `Healthy`
condition: True while that is at most `timeout` seconds old (default: three heartbeat periods).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from eventstore import Event
from fleetevents import agents, fleet
from projections.documents import (
    Changes,
    Document,
    Handler,
    Key,
    Overlay,
    editor,
    k8s_time,
    new_object,
    presented,
    set_condition,
)
from resources.names import CLUSTER_V1BETA1

KIND = "MemberCluster"
JOINED = "Joined"
HEALTHY = "Healthy"
JOINED_REASON = "MemberClusterJoined"
LEFT_REASON = "MemberClusterLeft"
HEALTHY_REASON = "MemberAgentHealthy"
HEARTBEAT_TIMEOUT_REASON = "MemberAgentHeartbeatTimeout"
NO_HEARTBEAT_REASON = "MemberAgentNeverSeen"
MISSED_HEARTBEATS = 3
"""Heartbeat periods without a heartbeat after which a member counts as unhealthy (default timeout)."""


LEASE_KIND = "Lease"
LEASE_API_VERSION = "coordination.k8s.io/v1"
LEASE_NAMESPACE = "fleet-system"


def member_key(name: str) -> Key:
    return KIND, "", name


def lease_key(name: str) -> Key:
    return LEASE_KIND, LEASE_NAMESPACE, name


def heartbeat_time(at: datetime) -> str:
    """`lastHeartbeatTime`: RFC 3339 with microseconds (health checks need sub-second precision)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _period(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else seconds


def _joined(view: Overlay, data: fleet.MemberJoined, event: Event) -> Changes:
    doc = view.writable(KIND, "", data.name) or new_object(CLUSTER_V1BETA1, KIND, data.name, event)
    doc["metadata"]["labels"] = dict(data.labels)
    doc["spec"] = {"heartbeatPeriodSeconds": _period(data.heartbeat_seconds)}
    set_condition(
        doc.setdefault("status", {}).setdefault("conditions", []),
        JOINED,
        True,
        JOINED_REASON,
        event.time,
        doc["metadata"]["generation"],
        f"member cluster {data.name} joined the fleet",
    )
    doc["status"]["joinTime"] = heartbeat_time(event.time)
    return {member_key(data.name): doc}


def _labels_changed(doc: Document, data: fleet.MemberLabelsChanged, event: Event) -> None:
    doc["metadata"]["labels"] = dict(data.labels)


def _left(doc: Document, data: fleet.MemberLeft, event: Event) -> None:
    set_condition(
        doc.setdefault("status", {}).setdefault("conditions", []),
        JOINED,
        False,
        LEFT_REASON,
        event.time,
        doc["metadata"]["generation"],
        f"member cluster {data.name} left the fleet",
    )


def _heartbeat(view: Overlay, data: agents.MemberHeartbeat, event: Event) -> Changes:
    """Renew the member's lease (its renewTime never goes back)."""
    name = data.name
    current = view.get(LEASE_KIND, name, LEASE_NAMESPACE)
    if current is not None and _parse(current["spec"]["renewTime"]) >= event.time:
        return {}
    lease = view.writable(*lease_key(name)) or new_object(
        LEASE_API_VERSION, LEASE_KIND, name, event, namespace=LEASE_NAMESPACE
    )
    lease["spec"] = {"holderIdentity": name, "renewTime": heartbeat_time(event.time)}
    return {lease_key(name): lease}


def present(member: Document, lease: Document | None, now: datetime, timeout: float | None = None) -> Document:
    """A presented copy of a member document with its last heartbeat and `Healthy` condition as of `now`."""
    doc = presented(member)
    status = doc.setdefault("status", {})
    conditions = status.setdefault("conditions", [])
    times = [_parse(t) for t in (status.pop("joinTime", None), lease and lease["spec"]["renewTime"]) if t]
    limit = timeout if timeout is not None else MISSED_HEARTBEATS * doc["spec"]["heartbeatPeriodSeconds"]
    generation = doc["metadata"]["generation"]
    if not times:
        set_condition(conditions, HEALTHY, False, NO_HEARTBEAT_REASON, now, generation, "no heartbeat received yet")
        return presented(doc)
    last = max(times)
    status["lastHeartbeatTime"] = heartbeat_time(last)
    silent = (now - last).total_seconds()
    if silent <= limit:
        set_condition(
            conditions,
            HEALTHY,
            True,
            HEALTHY_REASON,
            last,
            generation,
            f"last heartbeat {max(silent, 0):.1f}s ago (timeout {limit:g}s)",
        )
    else:
        set_condition(
            conditions,
            HEALTHY,
            False,
            HEARTBEAT_TIMEOUT_REASON,
            last + timedelta(seconds=limit),
            generation,
            f"no heartbeat for {silent:.1f}s (timeout {limit:g}s); last one at {k8s_time(last)}",
        )
    return presented(doc)


def _on_member(change: Callable[[Document, Any, Event], None]) -> Handler:
    return editor(lambda data, event: member_key(data.name), change)


HANDLERS: dict[type, Handler] = {
    fleet.MemberJoined: _joined,
    fleet.MemberLabelsChanged: _on_member(_labels_changed),
    fleet.MemberLeft: _on_member(_left),
    agents.MemberHeartbeat: _heartbeat,
}
