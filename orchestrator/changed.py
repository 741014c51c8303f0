"""`changed(record, **changes)`: `dataclasses.replace` for the state's records, at less than half the cost.

Every agent report folds a few events, and each fold rebuilds the records on its path (cluster, stage,
run, placement). `dataclasses.replace` calls the generated `__init__` with every field as a keyword
argument, which was most of the cost of a fold. The records of `orchestrator.state` are frozen, slotted
dataclasses with no `__post_init__` and no `init=False` field, so copying the slots and then setting
the changed ones gives exactly the record `replace` would; `changed` refuses any other class.
"""
from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

R = TypeVar("R")

_SLOTS: dict[type, tuple[str, ...]] = {}
_set = object.__setattr__


def changed(record: R, **changes: Any) -> R:
    """A copy of `record` with `changes` (field name -> new value); the record itself is not changed."""
    cls = type(record)
    copy = object.__new__(cls)
    for name in _SLOTS.get(cls) or _SLOTS.setdefault(cls, _copyable_fields(cls)):
        _set(copy, name, getattr(record, name))
    for name, value in changes.items():
        _set(copy, name, value)  # AttributeError for a name that is not a field (slotted: no __dict__)
    return copy


def _copyable_fields(cls: type) -> tuple[str, ...]:
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"changed() takes frozen slotted dataclasses, not {cls.__name__}: use dataclasses.replace")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not all(f.init for f in fields):
        raise TypeError(f"{cls.__name__} has a __post_init__ or an init=False field: use dataclasses.replace")
    return tuple(f.name for f in fields)
