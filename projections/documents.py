"""Document keys, the views folds read and write, and helpers every fold shares (metadata, conditions, times).

A document is a Kubernetes-shaped dict (apiVersion, kind, metadata, spec, status) keyed by
`(kind, namespace, name)`; cluster-scoped objects have namespace "". A fold never mutates a document
it reads: it asks the `Overlay` for a `writable` copy (made once per overlay, so a batch copies a big
document once, not once per event) and returns the changed documents in a `Changes` mapping
(None = deleted). Key order is not kept in memory: `presented` gives the alphabetical order
`kubectl get -o yaml` prints, and the store writes sorted JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

import orjson

from eventstore import Event
from resources.base import format_time
from resources.names import LABEL_PARENT_CRP

Document = dict[str, Any]
Key = tuple[str, str, str]
"""(kind, namespace, name); namespace is "" for cluster-scoped objects."""
Changes = dict[Key, Document | None]
"""New versions of the documents an event changed; None marks a deleted document."""


class DocumentView(Protocol):
    """What a fold may read: the current documents (immutable to the fold)."""

    def get(self, kind: str, name: str, namespace: str = "") -> Document | None: ...

    def of_kind(self, kind: str) -> Iterable[Document]: ...

    def children(self, kind: str, placement: str) -> Iterable[str]:
        """Names of the cluster-scoped documents of `kind` labelled as `placement`'s (indexed, no scan)."""
        ...


Handler = Callable[["Overlay", Any, Event], Changes]
"""A read model's reaction to one event type: (view, payload of that type, event) -> the changes it makes."""


def key_of(doc: Mapping[str, Any]) -> Key:
    meta = doc["metadata"]
    return doc["kind"], meta.get("namespace") or "", meta["name"]


def parent_of(key: Key, doc: Document | None) -> str | None:
    """The placement a cluster-scoped document is labelled as belonging to (what `children` indexes)."""
    if doc is None or key[1]:
        return None
    return (doc["metadata"].get("labels") or {}).get(LABEL_PARENT_CRP)


def editor(key_for: Callable[[Any, Event], Key], change: Callable[[Document, Any, Event], None]) -> Handler:
    """A handler that applies `change(doc, payload, event)` to a writable copy of the document
    `key_for(payload, event)` names (no change when that document does not exist)."""

    def handle(view: Overlay, data: Any, event: Event) -> Changes:
        key = key_for(data, event)
        doc = view.writable(*key)
        if doc is None:
            return {}
        change(doc, data, event)
        return {key: doc}

    return handle


def clone(value: Any) -> Any:
    """A deep copy of a JSON value (fast: orjson round trip)."""
    return orjson.loads(orjson.dumps(value))


def presented(doc: Mapping[str, Any]) -> Document:
    """A copy of a document with every mapping's keys in alphabetical order, as kubectl prints them."""
    return orjson.loads(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS))


class PresentedJson:
    """`presented` as JSON bytes, memoized per stored document: a stored document is never mutated (a fold
    replaces it with a changed copy), so its identity is its version and an unchanged one is encoded once.

    Only for stored documents (the runner's `DocumentSet`), never for a document that may still change.
    A cache entry holds its document, so its id cannot be reused while cached; past `limit` entries (old
    versions included) the cache starts again empty."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self._cache: dict[int, tuple[Mapping[str, Any], bytes]] = {}

    def __call__(self, doc: Mapping[str, Any]) -> bytes:
        hit = self._cache.get(id(doc))
        if hit is not None and hit[0] is doc:
            return hit[1]
        data = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        if len(self._cache) >= self.limit:
            self._cache.clear()
        self._cache[id(doc)] = (doc, data)
        return data


@lru_cache(maxsize=1024)
def k8s_time(at: datetime) -> str:
    """A `metav1.Time` string (second precision, UTC, `Z`); memoized, as a fold formats each event's time
    several times."""
    return format_time(at)


def new_object(
    api_version: str,
    kind: str,
    name: str,
    event: Event,
    *,
    namespace: str | None = None,
    generation: int = 1,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Document:
    """A fresh document whose server-set metadata comes from the event that created it (deterministic on replay)."""
    meta: Document = {
        "name": name,
        "generation": generation,
        "creationTimestamp": k8s_time(event.time),
        "uid": event.id,
    }
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


def from_manifest(
    manifest: Mapping[str, Any], generation: int, event: Event, previous: Mapping[str, Any] | None
) -> Document:
    """The stored object of an applied manifest: the manifest with server-set metadata added.

    `creationTimestamp` and `uid` come from the first version (`previous`), `generation` from the event.
    A status the manifest carries is dropped (status is the system's); the previous status is kept.
    """
    doc = clone(manifest)
    doc.pop("status", None)
    meta = doc.setdefault("metadata", {})
    for server_set in ("resourceVersion", "managedFields", "selfLink", "uid", "creationTimestamp", "generation"):
        meta.pop(server_set, None)
    first = previous["metadata"] if previous else None
    meta["generation"] = generation
    meta["creationTimestamp"] = first["creationTimestamp"] if first else k8s_time(event.time)
    meta["uid"] = first["uid"] if first else event.id
    if previous and "status" in previous:
        doc["status"] = clone(previous["status"])
    return doc


def set_labels(doc: Document, labels: Mapping[str, str]) -> None:
    doc["metadata"].setdefault("labels", {}).update(labels)


class Overlay:
    """A view of a base set of documents plus changes not yet committed (what a batch produced).

    `writable(kind, namespace, name)` gives a copy of a document that belongs to this overlay: the first
    call copies it from the base, later calls return the same copy. Documents a handler returns are
    owned by the overlay too (a handler never returns a document it did not create or get writable).
    """

    def __init__(self, base: DocumentView) -> None:
        self.base = base
        self.changes: Changes = {}
        self._children: dict[tuple[str, str], dict[str, None]] = {}

    def get(self, kind: str, name: str, namespace: str = "") -> Document | None:
        key = (kind, namespace, name)
        if key in self.changes:
            return self.changes[key]
        return self.base.get(kind, name, namespace)

    def of_kind(self, kind: str) -> Iterable[Document]:
        changed = {k[1:]: doc for k, doc in self.changes.items() if k[0] == kind}
        for doc in self.base.of_kind(kind):
            meta = doc["metadata"]
            if (meta.get("namespace") or "", meta["name"]) not in changed:
                yield doc
        yield from (doc for doc in changed.values() if doc is not None)

    def children(self, kind: str, placement: str) -> list[str]:
        names = dict.fromkeys(self.base.children(kind, placement))
        names.update(self._children.get((kind, placement), {}))
        return [name for name in names if parent_of((kind, "", name), self.get(kind, name)) == placement]

    def writable(self, kind: str, namespace: str, name: str) -> Document | None:
        key = (kind, namespace, name)
        if key in self.changes:
            return self.changes[key]
        current = self.base.get(kind, name, namespace)
        if current is None:
            return None
        doc = self.changes[key] = clone(current)
        return doc

    def update(self, changes: Changes) -> None:
        self.changes.update(changes)
        for key, doc in changes.items():
            placement = parent_of(key, doc)
            if placement is not None:
                self._children.setdefault((key[0], placement), {})[key[2]] = None


# --- conditions (metav1.Condition with meta.SetStatusCondition semantics) ----------------------------


def find_condition(conditions: Iterable[Mapping[str, Any]] | None, type_: str) -> Mapping[str, Any] | None:
    for condition in conditions or ():
        if condition.get("type") == type_:
            return condition
    return None


def condition_status(doc: Mapping[str, Any] | None, type_: str) -> str | None:
    """The status ("True"/"False"/"Unknown") of a document's status condition, or None."""
    found = find_condition(((doc or {}).get("status") or {}).get("conditions"), type_)
    return found["status"] if found else None


def set_condition(
    conditions: list[Document],
    type_: str,
    status: bool | str,
    reason: str,
    at: datetime,
    generation: int,
    message: str = "",
) -> None:
    """Add or update the condition of `type_` in place.

    As Kubernetes does: a new type is appended (so the order is the order of first setting), and
    `lastTransitionTime` changes only when the status changes.
    """
    text = ("True" if status else "False") if isinstance(status, bool) else status
    for condition in conditions:
        if condition["type"] == type_:
            if condition["status"] != text:
                condition["lastTransitionTime"] = k8s_time(at)
            condition["status"] = text
            condition["reason"] = reason
            condition["message"] = message
            condition["observedGeneration"] = generation
            return
    conditions.append({
        "type": type_, "status": text, "reason": reason, "message": message, "observedGeneration": generation,
        "lastTransitionTime": k8s_time(at),
    })


def remove_condition(conditions: list[Document], type_: str) -> None:
    conditions[:] = [c for c in conditions if c["type"] != type_]


def labelled(docs: Iterable[Document], labels: Mapping[str, str]) -> Iterator[Document]:
    """The documents carrying every given label value."""
    for doc in docs:
        have = doc["metadata"].get("labels") or {}
        if all(have.get(k) == v for k, v in labels.items()):
            yield doc
