"""Maps event type names to pydantic payload models; encodes and decodes payloads with orjson/pydantic."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import orjson
from pydantic import BaseModel, Json, TypeAdapter, ValidationError

from eventstore.errors import DecodeError, EventValidationError, RecordTooLargeError, UnknownEventTypeError
from eventstore.records import Event

M = TypeVar("M", bound=type[BaseModel])

MAX_PAYLOAD_BYTES = 1_040_000
"""The largest event payload (JSON bytes) any backend accepts, so that a log can move between backends:
Kafka's default record limit (producer `max.request.size` 1048576, broker `message.max.bytes` 1048588)
less room for the key, the CloudEvents headers and the record's framing."""


def first_error_field(exc: ValidationError) -> tuple[str, str]:
    """The dotted location and message of the first error pydantic reports."""
    err = exc.errors()[0]
    return ".".join(str(p) for p in err.get("loc", ())), err.get("msg", str(exc))


class EventRegistry:
    """Which pydantic model carries the data of each event type."""

    def __init__(self) -> None:
        self._models: dict[str, type[BaseModel]] = {}
        self._types: dict[type[BaseModel], str] = {}
        self._many: dict[str, Callable[[list[bytes]], list[BaseModel]]] = {}

    def event(self, type_: str) -> Callable[[M], M]:
        """Class decorator: register `cls` as the payload model of events of type `type_`."""

        def register(cls: M) -> M:
            self.register(type_, cls)
            return cls

        return register

    def register(self, type_: str, model: type[BaseModel]) -> None:
        known = self._models.get(type_)
        if known is not None and known is not model:
            raise ValueError(f"event type {type_!r} is already registered to {known.__name__}")
        self._models[type_] = model
        self._types[model] = type_

    def include(self, other: "EventRegistry") -> None:
        """Register every type of `other` here too."""
        for type_, model in other.items():
            self.register(type_, model)

    def items(self) -> Iterable[tuple[str, type[BaseModel]]]:
        return self._models.items()

    def model_for(self, type_: str) -> type[BaseModel]:
        try:
            return self._models[type_]
        except KeyError:
            raise UnknownEventTypeError(type_) from None

    def type_of(self, model: type[BaseModel]) -> str:
        try:
            return self._types[model]
        except KeyError:
            raise UnknownEventTypeError(model.__name__) from None

    def __contains__(self, type_: str) -> bool:
        return type_ in self._models

    def check(self, type_: str, data: BaseModel) -> None:
        """Raise unless `data` is a valid payload for `type_` (re-validated: it may have been built
        with model_construct or mutated)."""
        model = self.model_for(type_)
        if not isinstance(data, model):
            raise EventValidationError(type_, "", f"data must be a {model.__name__}, got {type(data).__name__}")
        try:
            model.model_validate(data.model_dump(mode="python", round_trip=True))
        except ValidationError as exc:
            field, msg = first_error_field(exc)
            raise EventValidationError(type_, field, msg) from None

    @staticmethod
    def encode(data: BaseModel) -> bytes:
        """The JSON bytes of a payload (pydantic-core serializer; no intermediate dict)."""
        return data.__pydantic_serializer__.to_json(data, by_alias=True)

    def payload_bytes(self, event: Event) -> bytes:
        """The JSON bytes of `event`'s payload, checked against MAX_PAYLOAD_BYTES (RecordTooLargeError)."""
        body = self.encode(event.data)
        if len(body) > MAX_PAYLOAD_BYTES:
            raise RecordTooLargeError(event.type, event.subject, len(body), MAX_PAYLOAD_BYTES)
        return body

    def decode_many(self, type_: str, bodies: list[bytes]) -> list[BaseModel]:
        """The typed payloads of many stored records of one type, in one pydantic call.

        Raises UnknownEventTypeError, or ValidationError when any body is not valid (find which with `decode`).
        """
        validate = self._many.get(type_)
        if validate is None:
            adapter = TypeAdapter(list[Json[self.model_for(type_)]])  # type: ignore[misc]
            validate = self._many[type_] = adapter.validator.validate_python
        return validate(bodies)

    def decode(self, type_: str, body: bytes) -> BaseModel:
        """The typed payload of a stored record. Raises DecodeError with the reason."""
        model = self._models.get(type_)
        if model is None:
            raise DecodeError(f"unknown event type {type_!r}")
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            field, msg = first_error_field(exc)
            if field:
                raise DecodeError(f"payload of {type_!r} does not match its schema: field {field!r}: {msg}") from None
            raise DecodeError(f"payload of {type_!r} is not valid: {msg}") from None


def dumps(obj: object) -> bytes:
    """orjson with the options the store uses everywhere."""
    return orjson.dumps(obj, option=orjson.OPT_UTC_Z)
