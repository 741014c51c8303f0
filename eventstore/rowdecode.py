"""Turns stored rows of the single-host backends into typed `Event`s, fast (replay is the hot path).

A slice of rows is decoded column by column: payloads are validated with one pydantic call per event
type (`list[Json[Model]]`), times parsed with one `map`, and events and positions are built by setting
each slot for the whole slice with one C-level `map` over the slot descriptor, instead of the
frozen-dataclass `__init__` (one `object.__setattr__` call in bytecode per field per event). A row that
cannot be decoded becomes a DeadLetter with the reason `EventRegistry.decode` gives (the Kafka backend,
which decodes fetched records as rows too, makes its own dead letters that keep the original record).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timezone
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from eventstore.errors import DecodeError, UnknownEventTypeError
from eventstore.records import DeadLetter, Event, Position
from eventstore.registry import EventRegistry

T = TypeVar("T")

Envelope = tuple[str, str, str, str, str, str | None, str | None, str, str, bytes]
"""id, type, subject, time (ISO 8601), actor, correlationid, causationid, source, datacontenttype, body."""

Row = tuple[int, str, str, str, str, str | None, str | None, str | None, str | None, str | None, bytes]
"""A stored record: its offset followed by the `Envelope` columns. actor, source and datacontenttype may
be None, meaning the Event default (a store can return NULL for a default so replay shares one string)."""

_DEFAULTS = {f.name: f.default for f in fields(Event)}
DEFAULT_ACTOR: str = _DEFAULTS["actor"]
DEFAULT_SOURCE: str = _DEFAULTS["source"]
DEFAULT_CONTENT_TYPE: str = _DEFAULTS["datacontenttype"]


def _slot_setters(cls: type) -> dict[str, Callable[[Any, Any], None]]:
    return {f.name: cls.__dict__[f.name].__set__ for f in fields(cls)}


_SLOTS: dict[type, dict[str, Callable[[Any, Any], None]]] = {Event: _slot_setters(Event), Position: _slot_setters(Position)}


def _build_all(cls: type[T], count: int, columns: dict[str, Iterable[Any]]) -> list[T]:
    """`count` instances of the slotted dataclass `cls`, each field set from its column."""
    setters = _SLOTS[cls]
    if columns.keys() != setters.keys():
        raise TypeError(f"{cls.__name__} has fields {sorted(setters)}, got columns {sorted(columns)}")
    objects = list(map(cls.__new__, repeat(cls, count)))
    for name, values in columns.items():
        deque(map(setters[name], objects, values), maxlen=0)
    return objects


def _or_default(values: tuple[str | None, ...], default: str) -> Iterable[str]:
    if values.count(None) == len(values):
        return repeat(default, len(values))
    return [default if value is None else value for value in values]


_HEADER_NAMES = ("id", "type", "subject", "time", "actor", "correlationid", "causationid", "source")
_type_of = itemgetter(2)
_time_of = itemgetter(4)
_body_of = itemgetter(10)


def dead_letter(stream: str, partition: int, row: Row, reason: str) -> DeadLetter:
    """The dead letter of an undecodable row (envelope columns as CloudEvents `ce_*` headers)."""
    offset, id_, type_, subject, time, actor, correlationid, causationid, source, contenttype, body = row
    attributes = zip(
        _HEADER_NAMES,
        (id_, type_, subject, time, actor or DEFAULT_ACTOR, correlationid, causationid, source or DEFAULT_SOURCE),
    )
    headers = tuple((f"ce_{name}", value.encode()) for name, value in attributes if value is not None)
    return DeadLetter(
        stream=stream,
        position=Position(partition, offset),
        reason=reason,
        key=subject.encode(),
        value=body,
        headers=(*headers, ("content-type", (contenttype or DEFAULT_CONTENT_TYPE).encode())),
        time=datetime.now(timezone.utc),
    )


DeadLetterOf = Callable[[Row, str], DeadLetter]
"""The dead letter of an undecodable row, given the reason (a backend may keep its original record)."""


class RowDecoder:
    """Decodes slices of rows of one (stream, partition) against `registry`."""

    def __init__(self, registry: EventRegistry) -> None:
        self._registry = registry

    def decode(
        self, stream: str, partition: int, rows: Sequence[Row], dead_letter_of: DeadLetterOf | None = None
    ) -> tuple[list[Event], list[DeadLetter]]:
        """The typed events of `rows` in order, and dead letters for the rows that cannot be decoded
        (made by `dead_letter_of`, by default `dead_letter` with the envelope as CloudEvents headers)."""
        dead: list[DeadLetter] = []
        letter = dead_letter_of or partial(dead_letter, stream, partition)
        payloads = self._payloads(rows, letter, dead)
        times = self._times(rows, payloads, letter, dead)
        if dead:
            kept = [i for i, at in enumerate(times) if at is not None]
            rows, payloads, times = [rows[i] for i in kept], [payloads[i] for i in kept], [times[i] for i in kept]
        if not rows:
            return [], dead
        count = len(rows)
        offsets, ids, types, subjects, _, actors, correlations, causations, sources, contenttypes, _ = zip(*rows)
        positions = _build_all(Position, count, {"partition": repeat(partition, count), "offset": offsets})
        events = _build_all(Event, count, {
            "type": types,
            "subject": subjects,
            "data": payloads,
            "stream": repeat(stream, count),
            "source": _or_default(sources, DEFAULT_SOURCE),
            "actor": _or_default(actors, DEFAULT_ACTOR),
            "id": ids,
            "time": times,
            "correlationid": correlations,
            "causationid": causations,
            "datacontenttype": _or_default(contenttypes, DEFAULT_CONTENT_TYPE),
            "position": positions,
        })
        return events, dead

    @staticmethod
    def _times(
        rows: Sequence[Row], payloads: Sequence[BaseModel | None], letter: DeadLetterOf, dead: list[DeadLetter]
    ) -> list[datetime | None]:
        """The time of each row (None for a dead-lettered row)."""
        if not dead:
            try:
                return list(map(datetime.fromisoformat, map(_time_of, rows)))
            except ValueError:
                pass  # find the culprit row by row below
        times: list[datetime | None] = []
        for row, payload in zip(rows, payloads):
            try:
                times.append(None if payload is None else datetime.fromisoformat(row[4]))
            except ValueError as exc:
                dead.append(letter(row, f"invalid time {row[4]!r}: {exc}"))
                times.append(None)
        return times

    def _payloads(self, rows: Sequence[Row], letter: DeadLetterOf, dead: list[DeadLetter]) -> list[BaseModel | None]:
        """The payload of each row (None for a dead-lettered row), validated in one call per type."""
        types = set(map(_type_of, rows))
        if len(types) == 1:
            return self._validate(types.pop(), rows, letter, dead)
        groups: dict[str, list[int]] = {}
        for index, row in enumerate(rows):
            groups.setdefault(row[2], []).append(index)
        payloads: list[BaseModel | None] = [None] * len(rows)
        for type_, indexes in groups.items():
            for index, payload in zip(indexes, self._validate(type_, [rows[i] for i in indexes], letter, dead)):
                payloads[index] = payload
        return payloads

    def _validate(
        self, type_: str, rows: Sequence[Row], letter: DeadLetterOf, dead: list[DeadLetter]
    ) -> list[BaseModel | None]:
        try:
            return self._registry.decode_many(type_, list(map(_body_of, rows)))
        except (UnknownEventTypeError, ValidationError):
            return [self._decode_one(row, letter, dead) for row in rows]

    def _decode_one(self, row: Row, letter: DeadLetterOf, dead: list[DeadLetter]) -> BaseModel | None:
        try:
            return self._registry.decode(row[2], row[10])
        except DecodeError as exc:
            dead.append(letter(row, exc.reason))
            return None
