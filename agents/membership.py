"""Fleet membership events of agents: join / relabel on start, heartbeats, leave on clean stop.

On start an agent reads the `fleet` stream to learn what it last announced: nothing (or it left
since) -> `MemberJoined` with its labels; joined with other labels -> `MemberLabelsChanged`; joined with
the same labels -> nothing. Heartbeats (`MemberHeartbeat` on `heartbeats`, subject = cluster name,
envelope time = when it was sent) are all the hub needs to tell a silent member: its health
projection compares the last heartbeat time with a timeout (see `MemberJoined.heartbeat_seconds`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from agents.events import new_event
from eventstore import Event, EventStore
from fleetevents.agents import MemberHeartbeat
from fleetevents.fleet import MemberJoined, MemberLabelsChanged, MemberLeft
from fleetevents.streams import FLEET, HEARTBEATS, object_subject
from orchestrator.clock import Clock

MEMBER_KIND = "MemberCluster"


def member_subject(name: str) -> str:
    return object_subject(MEMBER_KIND, name)


async def last_announced(store: EventStore, names: Iterable[str]) -> dict[str, dict[str, str] | None]:
    """The labels each member last announced and still stands by (None: never joined, or left)."""
    by_subject = {member_subject(name): name for name in names}
    labels: dict[str, dict[str, str] | None] = dict.fromkeys(by_subject.values())
    async for event in store.read(FLEET):
        name = by_subject.get(event.subject)
        if name is None:
            continue
        data = event.data
        if isinstance(data, (MemberJoined, MemberLabelsChanged)):
            labels[name] = dict(data.labels)
        elif isinstance(data, MemberLeft):
            labels[name] = None
    return labels


def announcement(
    name: str, labels: Mapping[str, str], heartbeat_seconds: float, last: Mapping[str, str] | None, clock: Clock
) -> Event | None:
    """The event that makes the fleet see `name` with `labels`, or None when it already does."""
    if last is None:
        data: MemberJoined | MemberLabelsChanged = MemberJoined(
            name=name, labels=dict(labels), heartbeat_seconds=heartbeat_seconds
        )
    elif dict(last) != dict(labels):
        data = MemberLabelsChanged(name=name, labels=dict(labels))
    else:
        return None
    return new_event(data, member_subject(name), FLEET, name, clock)


def heartbeat(name: str, clock: Clock) -> Event:
    return new_event(MemberHeartbeat(name=name), name, HEARTBEATS, name, clock)


def departure(name: str, clock: Clock) -> Event:
    return new_event(MemberLeft(name=name), member_subject(name), FLEET, name, clock)
