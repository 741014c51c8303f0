"""The hub as the `fleet` stream describes it: hub objects, strategies and joined member clusters.

Every orchestrator instance folds the whole `fleet` stream into one `FleetView` (shared by all the
placements it owns); deciding functions only read it. `apply` returns what the event may affect, so the
service knows which placements to wake.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pydantic import ValidationError

from eventstore import Event
from fleetevents import fleet as fe
from resources.hubobject import HubObject
from resources.kinds import split_api_version
from resources.strategy import ClusterStagedUpdateStrategy

log = logging.getLogger(__name__)

ObjectKey = tuple[str, str, str, str]
"""(group, kind, namespace or "", name) of a hub object."""
LabelSet = tuple[tuple[str, str], ...]
"""A member's labels as sorted (key, value) pairs: members with the same labels have the same LabelSet."""


@dataclass(frozen=True, slots=True)
class FleetChange:
    """What a `fleet` event changed: a member cluster, a hub object (with its namespace), or neither."""

    member: str | None = None
    hub_object: HubObject | None = None


@dataclass
class FleetView:
    """Current hub objects, strategies and members (name -> labels). `members_version` counts the member
    changes folded (joins, label changes, leaves): a result derived from the members is still valid while
    it stays the same."""

    objects: dict[ObjectKey, HubObject] = field(default_factory=dict)
    strategies: dict[str, ClusterStagedUpdateStrategy] = field(default_factory=dict)
    members: dict[str, dict[str, str]] = field(default_factory=dict)
    members_version: int = 0
    _by_labels: dict[LabelSet, list[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _by_labels_version: int = field(default=-1, init=False, repr=False, compare=False)

    def apply(self, event: Event) -> FleetChange:
        """Fold one `fleet` event; returns what changed. A manifest that is not a valid object (only a
        publisher bypassing the API can write one) is logged and ignored."""
        try:
            return self._apply(event)
        except ValidationError as exc:
            log.warning("ignoring %s %s at %s: its manifest is not valid: %s", event.type, event.subject,
                        event.position, exc)
            return FleetChange()

    def _apply(self, event: Event) -> FleetChange:
        data = event.data
        if isinstance(data, fe.HubResourceApplied):
            obj = HubObject.model_validate(data.manifest)
            self.objects[obj.key] = obj
            return FleetChange(hub_object=obj)
        if isinstance(data, fe.HubResourceDeleted):
            group = split_api_version(data.api_version)[0]
            gone = self.objects.pop((group, data.kind, data.namespace or "", data.name), None)
            return FleetChange(hub_object=gone)
        if isinstance(data, fe.StrategyApplied):
            strategy = ClusterStagedUpdateStrategy.model_validate(data.manifest)
            self.strategies[strategy.name] = strategy
        elif isinstance(data, fe.StrategyDeleted):
            self.strategies.pop(data.name, None)
        elif isinstance(data, (fe.MemberJoined, fe.MemberLabelsChanged)):
            self.members[data.name] = dict(data.labels)
            self.members_version += 1
            return FleetChange(member=data.name)
        elif isinstance(data, fe.MemberLeft):
            self.members.pop(data.name, None)
            self.members_version += 1
            return FleetChange(member=data.name)
        return FleetChange()

    def labels(self, cluster: str) -> dict[str, str]:
        """Labels of a joined member ({} for a cluster that is not one)."""
        return self.members.get(cluster, {})

    def members_by_labels(self) -> dict[LabelSet, list[str]]:
        """The members grouped by identical labels (grouped again only after a member change). A selector
        is then evaluated once per distinct label set instead of once per member: a large fleet has
        thousands of members but few distinct label sets."""
        if self._by_labels_version != self.members_version:
            groups: dict[LabelSet, list[str]] = {}
            for name, labels in self.members.items():
                groups.setdefault(tuple(sorted(labels.items())), []).append(name)
            self._by_labels, self._by_labels_version = groups, self.members_version
        return self._by_labels
