"""Read models of hub objects (Namespace, ConfigMap, ... any Kubernetes object a placement selects) and
of ClusterStagedUpdateStrategies: the applied manifest with server-set metadata (generation,
creationTimestamp, uid), as `kubectl get -o yaml` shows it.

A Namespace gets what the API server adds to every Namespace: the `kubernetes.io/metadata.name`
label, the `kubernetes` finalizer and `status.phase: Active`.
"""

from __future__ import annotations

from eventstore import Event
from fleetevents import fleet
from projections.documents import (
    Changes,
    Document,
    Handler,
    Key,
    Overlay,
    from_manifest,
    set_labels,
)
from resources.names import LABEL_NAMESPACE_NAME, NAMESPACE_FINALIZER, PLACEMENT_V1BETA1

STRATEGY_KIND = "ClusterStagedUpdateStrategy"


def _key(kind: str, name: str, namespace: str | None) -> Key:
    return kind, namespace or "", name


def _as_namespace(doc: Document) -> None:
    set_labels(doc, {LABEL_NAMESPACE_NAME: doc["metadata"]["name"]})
    finalizers = doc.setdefault("spec", {}).setdefault("finalizers", [])
    if NAMESPACE_FINALIZER not in finalizers:
        finalizers.append(NAMESPACE_FINALIZER)
    doc["status"] = {"phase": "Active"}


def _applied(view: Overlay, data: fleet.HubResourceApplied | fleet.StrategyApplied, event: Event) -> Changes:
    meta = data.manifest["metadata"]
    key = _key(data.manifest["kind"], meta["name"], meta.get("namespace"))
    doc = from_manifest(data.manifest, data.generation, event, view.get(key[0], key[2], key[1]))
    if doc["kind"] == "Namespace" and doc.get("apiVersion") == "v1":
        _as_namespace(doc)
    if doc["kind"] == STRATEGY_KIND:
        doc.setdefault("apiVersion", PLACEMENT_V1BETA1)
    return {key: doc}


def _hub_deleted(view: Overlay, data: fleet.HubResourceDeleted, event: Event) -> Changes:
    return {_key(data.kind, data.name, data.namespace): None}


def _strategy_deleted(view: Overlay, data: fleet.StrategyDeleted, event: Event) -> Changes:
    return {_key(STRATEGY_KIND, data.name, None): None}


HANDLERS: dict[type, Handler] = {
    fleet.HubResourceApplied: _applied,
    fleet.HubResourceDeleted: _hub_deleted,
    fleet.StrategyApplied: _applied,
    fleet.StrategyDeleted: _strategy_deleted,
}
