"""A tiny event catalogue for the event store tests (deliberately not the fleet events)."""
from pydantic import BaseModel, Field

from eventstore import EventRegistry

registry = EventRegistry()


@registry.event("AccountOpened")
class AccountOpened(BaseModel):
    account: str
    owner: str


@registry.event("Deposited")
class Deposited(BaseModel):
    account: str
    amount: int = Field(gt=0)
    seq: int = 0


@registry.event("Audited")
class Audited(BaseModel):
    account: str
    of_event: str
