"""Event store: an append-only, partitioned log of typed events with group subscriptions.

This package knows nothing about rollouts. It offers one interface (`EventStore`) with three
backends: Kafka (`eventstore.kafka`), embedded SQLite (`eventstore.sqlite`) and in-memory
(`eventstore.memory`, unit tests only). `open_store(url)` picks one from a URL.
"""
from eventstore.errors import (
    AppendOutcomeUnknownError,
    DecodeError,
    EventStoreError,
    EventValidationError,
    StoreClosedError,
    StoreUnavailableError,
    UnknownEventTypeError,
)
from eventstore.records import DeadLetter, Event, Position
from eventstore.registry import EventRegistry
from eventstore.store import EventStore, Handler, StreamSpec, Subscription

__all__ = [
    "DeadLetter",
    "AppendOutcomeUnknownError",
    "DecodeError",
    "Event",
    "EventRegistry",
    "EventStore",
    "EventStoreError",
    "EventValidationError",
    "Handler",
    "Position",
    "StoreClosedError",
    "StoreUnavailableError",
    "StreamSpec",
    "Subscription",
    "UnknownEventTypeError",
]
