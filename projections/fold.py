"""The fold of every read model: which handlers an event goes to, and the document sets they read.

`fold(view, event)` runs the handlers of every read-model module for the event's payload type, each
seeing the changes of the ones before, and returns the event's changes (all or nothing: a handler
that raises leaves no change behind). `fold_batch` folds many events with one overlay (a document is
copied once per batch). `DocumentSet` is the in-memory copy of all documents (the runner's working
set, or a throwaway one for `get_at`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from eventstore import Event
from projections import approvals, hub_resources, members, placement_status, run_status, snapshots
from projections.documents import Changes, Document, DocumentView, Handler, Key, Overlay, key_of, parent_of

_MODULES = (hub_resources, members, placement_status, snapshots, run_status, approvals)


def _dispatch_table() -> dict[type, tuple[Handler, ...]]:
    table: dict[type, list[Handler]] = defaultdict(list)
    for module in _MODULES:
        for payload, handler in module.HANDLERS.items():
            table[payload].append(handler)
    return {payload: tuple(handlers) for payload, handlers in table.items()}


DISPATCH = _dispatch_table()


class DocumentSet:
    """Documents by kind, then (namespace, name)."""

    def __init__(self, docs: Iterable[Document] = ()) -> None:
        self._by_kind: dict[str, dict[tuple[str, str], Document]] = defaultdict(dict)
        self._children: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
        self.apply({key_of(doc): doc for doc in docs})

    def get(self, kind: str, name: str, namespace: str = "") -> Document | None:
        return self._by_kind.get(kind, {}).get((namespace, name))

    def of_kind(self, kind: str) -> Iterable[Document]:
        return self._by_kind.get(kind, {}).values()

    def children(self, kind: str, placement: str) -> Iterable[str]:
        return self._children.get((kind, placement), {}).keys()

    def kinds(self) -> list[str]:
        return [kind for kind, docs in self._by_kind.items() if docs]

    def apply(self, changes: Mapping[Key, Document | None]) -> None:
        for key, doc in changes.items():
            kind, namespace, name = key
            previous = self._by_kind[kind].pop((namespace, name), None)
            was, now = parent_of(key, previous), parent_of(key, doc)
            if was is not None and was != now:
                self._children[(kind, was)].pop(name, None)
            if doc is not None:
                self._by_kind[kind][(namespace, name)] = doc
            if now is not None:
                self._children[(kind, now)][name] = None

    def __iter__(self) -> Iterator[Document]:
        for docs in self._by_kind.values():
            yield from docs.values()


def fold(view: DocumentView, event: Event) -> Changes:
    """The changes one event makes to the documents of `view` (in every read model it concerns);
    all or nothing: when a handler raises, `view` is left as it was."""
    scratch = Overlay(view)
    _fold_into(scratch, event)
    return scratch.changes


def _fold_into(overlay: Overlay, event: Event) -> set[Key]:
    """Fold one event into `overlay` itself; the keys of the documents it changed."""
    touched: set[Key] = set()
    for handler in DISPATCH.get(type(event.data), ()):
        changes = handler(overlay, event.data, event)
        overlay.update(changes)
        touched.update(changes)
    return touched


@dataclass
class BatchFold:
    """The result of `fold_batch`: the batch's changes, which documents each event changed, and the
    events a read model could not fold (with the error), which changed nothing."""

    changes: Changes = field(default_factory=dict)
    touched: list[tuple[Event, set[Key]]] = field(default_factory=list)
    failures: list[tuple[Event, Exception]] = field(default_factory=list)


def fold_batch(base: DocumentView, events: Sequence[Event]) -> BatchFold:
    """Fold `events` in order over `base` (which is not changed).

    Fast path: one overlay for the whole batch, so a document is copied once per batch. If a handler
    raises (a read-model bug), the batch is folded again one event at a time, each all or nothing, and
    the failing events are reported instead of applied.
    """
    overlay = Overlay(base)
    try:
        touched = [(event, _fold_into(overlay, event)) for event in events]
    except Exception:  # a read model raised: fold again event by event; the failures are reported
        return _fold_carefully(base, events)
    return BatchFold(overlay.changes, touched)


def _fold_carefully(base: DocumentView, events: Sequence[Event]) -> BatchFold:
    result = BatchFold()
    overlay = Overlay(base)
    for event in events:
        try:
            changes = fold(overlay, event)
        except Exception as exc:  # returned to the caller with its event
            result.failures.append((event, exc))
            continue
        overlay.update(changes)
        result.touched.append((event, set(changes)))
    result.changes = overlay.changes
    return result
