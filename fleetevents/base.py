"""The payload base class and the registry every catalogue module registers its types in."""
from pydantic import BaseModel, ConfigDict

from eventstore import EventRegistry

registry = EventRegistry()


class Payload(BaseModel):
    """Base of every event payload: strict (unknown fields rejected), immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
