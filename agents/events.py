"""Building the events an agent appends: typed payload, stream, subject, the agent as source and actor."""
from __future__ import annotations

from pydantic import BaseModel

from eventstore import Event
from fleetevents import registry
from orchestrator.clock import Clock


def new_event(data: BaseModel, subject: str, stream: str, cluster: str, clock: Clock) -> Event:
    """An event written by the agent of `cluster`, stamped with the clock's time."""
    return Event(
        type=registry.type_of(type(data)),
        subject=subject,
        data=data,
        stream=stream,
        source=f"fleetstage-agent/{cluster}",
        actor=f"agent:{cluster}",
        time=clock.now(),
    )
