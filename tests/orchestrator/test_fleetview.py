"""`FleetView.members_by_labels` follows joins, relabels and leaves."""
from __future__ import annotations

from eventstore import Event
from fleetevents import fleet as fe
from fleetevents.base import Payload, registry
from fleetevents.streams import FLEET
from orchestrator.fleetview import FleetView


def _apply(view: FleetView, payload: Payload) -> None:
    view.apply(Event(registry.type_of(type(payload)), "fleet", payload, FLEET))


def test_members_are_grouped_by_identical_labels_after_every_member_change() -> None:
    view = FleetView()
    for name, env in (("m1", "prod"), ("m2", "canary"), ("m3", "prod")):
        _apply(view, fe.MemberJoined(name=name, labels={"env": env, "team": "a"}, heartbeat_seconds=5))
    prod, canary = (("env", "prod"), ("team", "a")), (("env", "canary"), ("team", "a"))
    assert view.members_by_labels() == {prod: ["m1", "m3"], canary: ["m2"]}
    _apply(view, fe.MemberLabelsChanged(name="m3", labels={"env": "canary", "team": "a"}))
    assert view.members_by_labels() == {prod: ["m1"], canary: ["m2", "m3"]}
    _apply(view, fe.MemberLeft(name="m1"))
    assert view.members_by_labels() == {canary: ["m2", "m3"]}
