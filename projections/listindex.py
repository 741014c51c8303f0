"""Finds the item of a list of documents by the value of one field without scanning the list for every event.

Folds look up a placement's per-cluster entry, a run's stage or a stage's cluster by name for nearly every
event, and those lists grow with the fleet. `ListIndex(field).find(items, value)` maps value -> item the
first time it sees a list and reuses the map while it is the same list object with the same length: the
folds replace these lists wholesale or append to them, and never rename an item. The map lives beside the
documents (never in them, so stored JSON is unchanged); it holds its list, so a list's id is not reused
while it is mapped, and past `limit` lists the maps start again empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Item = dict[str, Any]


class ListIndex:
    """value of `field` -> the first item carrying it, per list (see the module docstring)."""

    def __init__(self, field: str, limit: int = 20_000) -> None:
        self.field = field
        self.limit = limit
        self._maps: dict[int, tuple[Sequence[Item], int, dict[Any, Item]]] = {}

    def find(self, items: Sequence[Item] | None, value: Any) -> Item | None:
        """The first item of `items` whose `field` is `value`, or None."""
        if not items:
            return None
        known = self._maps.get(id(items))
        if known is None or known[0] is not items or known[1] != len(items):
            known = self._map(items)
        return known[2].get(value)

    def _map(self, items: Sequence[Item]) -> tuple[Sequence[Item], int, dict[Any, Item]]:
        by_value: dict[Any, Item] = {}
        for item in reversed(items):  # the first item wins, as in a scan
            by_value[item[self.field]] = item
        if len(self._maps) >= self.limit:
            self._maps.clear()
        known = self._maps[id(items)] = (items, len(items), by_value)
        return known
