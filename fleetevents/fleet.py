"""Events of the `fleet` stream: hub resources, staged update strategies and member clusters.

These have no cross-object rules, so the API appends them directly after validating the manifest.
Subject: `object_subject(kind, name, namespace)`.
"""
from typing import Any

from fleetevents.base import Payload, registry


@registry.event("fleetstage.hubresource.applied")
class HubResourceApplied(Payload):
    """A hub object (Namespace, ConfigMap, ...) was created or changed. `manifest` is the validated object."""

    manifest: dict[str, Any]
    generation: int


@registry.event("fleetstage.hubresource.deleted")
class HubResourceDeleted(Payload):
    api_version: str
    kind: str
    name: str
    namespace: str | None = None


@registry.event("fleetstage.strategy.applied")
class StrategyApplied(Payload):
    """A ClusterStagedUpdateStrategy was created or changed (runs already initialised keep their copy)."""

    manifest: dict[str, Any]
    generation: int


@registry.event("fleetstage.strategy.deleted")
class StrategyDeleted(Payload):
    name: str


@registry.event("fleetstage.member.joined")
class MemberJoined(Payload):
    """A member cluster joined the fleet (its agent started) with these labels."""

    name: str
    labels: dict[str, str]
    heartbeat_seconds: float


@registry.event("fleetstage.member.labelschanged")
class MemberLabelsChanged(Payload):
    name: str
    labels: dict[str, str]


@registry.event("fleetstage.member.left")
class MemberLeft(Payload):
    """A member cluster left the fleet cleanly (agent stopped on SIGTERM, or deleted)."""

    name: str
