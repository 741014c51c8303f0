"""Every error the event store raises, in one module (as aiokafka keeps its errors)."""


class EventStoreError(Exception):
    """Base class of all event store errors."""


class StoreClosedError(EventStoreError):
    """The store was used before `open()` or after `close()`."""


class UnknownEventTypeError(EventStoreError):
    """An event type that no model is registered for."""

    def __init__(self, type_: str) -> None:
        super().__init__(f"unknown event type {type_!r}: register a model for it with EventRegistry.event()")
        self.type = type_


class EventValidationError(EventStoreError):
    """An event payload that does not match the model registered for its type.

    `field` is the dotted path of the first offending field ("" when the whole payload is wrong).
    """

    def __init__(self, type_: str, field: str, message: str) -> None:
        where = f" field {field!r}" if field else ""
        super().__init__(f"invalid {type_!r} event:{where} {message}")
        self.type = type_
        self.field = field
        self.detail = message


class DecodeError(EventStoreError):
    """A stored record that cannot be turned back into a typed event (it is dead-lettered)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownStreamError(EventStoreError):
    """A stream that was never created."""

    def __init__(self, stream: str) -> None:
        super().__init__(
            f"unknown stream {stream!r}: create it first with ensure_streams([StreamSpec({stream!r}, partitions=N)])"
        )
        self.stream = stream


class FencedError(EventStoreError):
    """A group member lost its membership (another member took over); its commit was refused."""


class KafkaSecurityError(EventStoreError, ValueError):
    """The Kafka security settings (URL query or FLEETSTAGE_KAFKA_* environment) are incomplete or invalid."""


class StoreUnavailableError(EventStoreError):
    """The store cannot write now (its brokers or its producer failed); the caller may try again later."""


class AppendOutcomeUnknownError(StoreUnavailableError):
    """A write whose transaction failed after it began: it may or may not have been committed. The store
    replaced its producer, so later writes work; never append the same events again blindly."""

    def __init__(self, count: int, cause: BaseException) -> None:
        super().__init__(
            f"the event store's Kafka producer failed while writing {count} record(s) ({cause!r}): they may or "
            "may not have been written. The store replaced its producer and accepts writes again; read the "
            "stream first (events keep their ids) and write them again only if they are not there"
        )
        self.count = count


class RecordTooLargeError(EventStoreError, ValueError):
    """An event whose payload is over the largest record every backend accepts (`MAX_PAYLOAD_BYTES`):
    nothing of its batch is written."""

    def __init__(self, type_: str, subject: str, size: int, limit: int) -> None:
        super().__init__(
            f"event {type_!r} of {subject!r} is too large: its payload takes {size} bytes as JSON, over the limit "
            f"of {limit} (Kafka's default record size); make it smaller or split it into several events"
        )
        self.type = type_
        self.subject = subject
        self.size = size
        self.limit = limit
