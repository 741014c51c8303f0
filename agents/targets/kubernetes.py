"""`KubernetesTarget`: a real member cluster, reached with a kubeconfig (needs the `[kubernetes]` extra).

- Apply: server-side apply (field manager `fleetstage`, forced) of each object, labelled
  `fleetstage.io/placement: <placement>` (the last placement to apply a shared object owns it).
- Prune: objects of the kinds the placement ever applied that carry its label and are not in the new
  set are deleted; objects without the label (not placed by fleetstage) are never touched. The kinds
  per placement are kept in the ConfigMap `fleetstage-agent-state` (namespace `fleetstage-system`),
  widened before applying and narrowed after pruning, as the directory target does with its files.
- Availability: every object exists; a Deployment also has `availableReplicas >= replicas` for its
  current generation.
- Ledger: the same ConfigMap, one `ledger.<sha256 of the key>` entry per command outcome with its
  command's log position. A ConfigMap holds at most 1 MiB, so recording an entry removes, in the same
  update, the entries whose command is committed (see `agents.ledger`): the ConfigMap holds the entries
  of the commands that can still be redelivered, plus those written before positions were kept.
API errors 409/429/5xx and connection errors are transient; other API errors fail at once.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import httpx2
from lightkube import ApiError, AsyncClient, KubeConfig
from lightkube.codecs import resource_registry
from lightkube.core.exceptions import LoadResourceError
from lightkube.core.resource import NamespacedResource
from lightkube.generic_resource import async_load_in_cluster_generic_resources
from lightkube.resources.core_v1 import ConfigMap, Namespace
from lightkube.types import PatchType

from agents.ledger import LedgerEntry, LedgerKey, Outcome
from agents.targets.base import Manifest
from agents.targets.errors import TargetError, TransientTargetError
from agents.targets.objects import ObjectKey, apply_order, keyed
from eventstore import Position

PLACEMENT_LABEL = "fleetstage.io/placement"
FIELD_MANAGER = "fleetstage"
STATE_NAMESPACE = "fleetstage-system"
STATE_CONFIGMAP = "fleetstage-agent-state"
_KINDS = "kinds."
_LEDGER = "ledger."


def _api_failure(what: str, exc: Exception) -> TargetError:
    """A TargetError naming `what`, transient when trying again may help."""
    if isinstance(exc, ApiError):
        transient = exc.status.code in (409, 429) or (exc.status.code or 0) >= 500
        error = TransientTargetError if transient else TargetError
        return error(f"{what}: the API server answered {exc.status.code}: {exc.status.message}")
    return TransientTargetError(f"{what}: cannot reach the API server: {exc}")


class _State:
    """The agent's ConfigMap in the member cluster: kinds per placement and the ledger entries."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._namespace_ready = False

    async def read(self) -> dict[str, str]:
        try:
            found = await self._client.get(ConfigMap, STATE_CONFIGMAP, namespace=STATE_NAMESPACE)
        except ApiError as exc:
            if exc.status.code == 404:
                return {}
            raise _api_failure("reading the agent state", exc) from exc
        except httpx2.HTTPError as exc:
            raise _api_failure("reading the agent state", exc) from exc
        return dict(found.data or {})

    async def update(self, entries: dict[str, str | None]) -> None:
        """Set (or, for None, remove) entries; the namespace and ConfigMap are created on first use."""
        metadata = {"name": STATE_CONFIGMAP, "namespace": STATE_NAMESPACE}
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": entries}
        try:
            if not self._namespace_ready:
                namespace: Any = Namespace.from_dict({"metadata": {"name": STATE_NAMESPACE}})
                await self._client.apply(namespace, field_manager=FIELD_MANAGER)
                self._namespace_ready = True
            try:
                await self._client.patch(
                    ConfigMap, STATE_CONFIGMAP, body, namespace=STATE_NAMESPACE, patch_type=PatchType.MERGE
                )
            except ApiError as exc:
                if exc.status.code != 404:
                    raise
                kept = {key: value for key, value in entries.items() if value is not None}
                created: Any = ConfigMap.from_dict({**body, "data": kept})
                await self._client.create(created)
        except (ApiError, httpx2.HTTPError) as exc:
            raise _api_failure("writing the agent state", exc) from exc


class ConfigMapLedger:
    """An `ApplyLedger` kept in the member cluster's `fleetstage-agent-state` ConfigMap (see the module
    docstring): one `ledger.<hash of the key>` entry each, whose value is `LedgerEntry.to_json`, or, for an
    entry written before positions were kept, `{"key": [...], "outcome": {...}}` (still read, kept for good)."""

    def __init__(self, state: _State) -> None:
        self._state = state

    @staticmethod
    def _entry(key: LedgerKey) -> str:
        raw = json.dumps([key.run, key.placement, key.resource_snapshot_index, key.delete])
        return _LEDGER + hashlib.sha256(raw.encode()).hexdigest()[:40]

    async def get(self, key: LedgerKey) -> Outcome | None:
        raw = (await self._state.read()).get(self._entry(key))
        return None if raw is None else _ledger_entry(raw).outcome

    async def record(self, entry: LedgerEntry, committed_before: Position) -> None:
        """One update: the new entry set, the entries whose command is committed removed."""
        ledger = await self._ledger()
        gone: dict[str, str | None] = {
            name: None for name, raw in ledger.items() if _ledger_entry(raw).committed(committed_before)
        }
        await self._state.update({**gone, self._entry(entry.key): json.dumps(entry.to_json())})

    async def entries(self) -> list[LedgerEntry]:
        return [_ledger_entry(raw) for raw in (await self._ledger()).values()]

    async def _ledger(self) -> dict[str, str]:
        return {name: raw for name, raw in (await self._state.read()).items() if name.startswith(_LEDGER)}


def _ledger_entry(raw: str) -> LedgerEntry:
    value = json.loads(raw)
    if "key" in value:  # written before positions were kept
        return LedgerEntry(LedgerKey(*value["key"]), Outcome(**value["outcome"]))
    return LedgerEntry.from_json(value)


class KubernetesTarget:
    """A `Target` that is a Kubernetes cluster (see the module docstring)."""

    def __init__(self, client: AsyncClient, *, where: str = "kube") -> None:
        self._client = client
        self._where = where
        self._state = _State(client)
        self.ledger = ConfigMapLedger(self._state)
        self._crds_loaded = False

    @classmethod
    def from_kubeconfig(cls, path: str | None = None) -> KubernetesTarget:
        """From the kubeconfig at `path` (default: $KUBECONFIG or ~/.kube/config, current context)."""
        config = KubeConfig.from_file(path) if path else KubeConfig.from_env()
        return cls(AsyncClient(config, field_manager=FIELD_MANAGER), where=f"kube:{path or '(default kubeconfig)'}")

    def describe(self) -> str:
        return self._where

    async def apply(self, placement: str, objects: Sequence[Manifest]) -> None:
        wanted = keyed(objects)
        resources = {key: await self._resource(key.api_version, key.kind, str(key)) for key in wanted}
        before = await self._kinds(placement)
        kinds = sorted(before | {f"{key.api_version}/{key.kind}" for key in wanted})
        await self._state.update({_KINDS + placement: json.dumps(kinds)})
        for key, obj in wanted.items():
            await self._apply_one(key, resources[key], obj, placement)
        for key in sorted(set(await self._owned(placement, kinds)) - set(wanted), key=apply_order, reverse=True):
            await self._delete(key)
        narrowed = sorted({f"{key.api_version}/{key.kind}" for key in wanted})
        await self._state.update({_KINDS + placement: json.dumps(narrowed) if narrowed else None})

    async def remove(self, placement: str) -> None:
        await self.apply(placement, [])

    async def read_back(self, placement: str) -> dict[ObjectKey, dict[str, Any]]:
        return await self._owned(placement, sorted(await self._kinds(placement)))

    async def check_available(self, objects: Sequence[Manifest]) -> list[str]:
        problems = []
        for key in keyed(objects):
            try:
                resource = await self._resource(key.api_version, key.kind, str(key))
                found = await self._client.get(resource, key.name, namespace=key.namespace)
            except (ApiError, httpx2.HTTPError) as exc:
                problems.append(str(_api_failure(str(key), exc)))
                continue
            problem = _unavailable(key, found.to_dict())
            if problem:
                problems.append(problem)
        return problems

    async def _resource(self, api_version: str, kind: str, what: str) -> Any:
        """The lightkube resource class of a kind (custom ones are loaded from the cluster once).

        Typed `Any`: which class it is is only known at run time, as with any generic client."""
        try:
            return resource_registry.load(api_version, kind)
        except LoadResourceError:
            if self._crds_loaded:
                raise TargetError(f"{what}: the cluster does not serve {api_version} {kind}") from None
        try:
            await async_load_in_cluster_generic_resources(self._client)
        except (ApiError, httpx2.HTTPError) as exc:
            raise _api_failure(f"{what}: loading the cluster's custom resource definitions", exc) from exc
        self._crds_loaded = True
        return await self._resource(api_version, kind, what)

    async def _apply_one(self, key: ObjectKey, resource: Any, obj: Manifest, placement: str) -> None:
        metadata = dict(obj.get("metadata") or {})
        metadata["labels"] = {**(metadata.get("labels") or {}), PLACEMENT_LABEL: placement}
        body = {**obj, "metadata": metadata}
        try:
            await self._client.patch(
                resource, key.name, body, namespace=key.namespace, patch_type=PatchType.APPLY,
                field_manager=FIELD_MANAGER, force=True,
            )
        except (ApiError, httpx2.HTTPError) as exc:
            raise _api_failure(str(key), exc) from exc

    async def _delete(self, key: ObjectKey) -> None:
        try:
            resource = await self._resource(key.api_version, key.kind, str(key))
            await self._client.delete(resource, key.name, namespace=key.namespace)
        except ApiError as exc:
            if exc.status.code != 404:
                raise _api_failure(f"pruning {key}", exc) from exc
        except httpx2.HTTPError as exc:
            raise _api_failure(f"pruning {key}", exc) from exc

    async def _kinds(self, placement: str) -> set[str]:
        raw = (await self._state.read()).get(_KINDS + placement)
        return set(json.loads(raw)) if raw else set()

    async def _owned(self, placement: str, kinds: Sequence[str]) -> dict[ObjectKey, dict[str, Any]]:
        owned: dict[ObjectKey, dict[str, Any]] = {}
        for kind in kinds:
            api_version, _, name = kind.rpartition("/")
            resource = await self._resource(api_version, name, f"{name} objects of placement {placement!r}")
            labels: dict[str, Any] = {PLACEMENT_LABEL: placement}
            if issubclass(resource, NamespacedResource):
                listing = self._client.list(resource, namespace="*", labels=labels)
            else:
                listing = self._client.list(resource, labels=labels)
            try:
                async for found in listing:
                    obj = found.to_dict()
                    owned[ObjectKey.of(obj)] = obj
            except (ApiError, httpx2.HTTPError) as exc:
                raise _api_failure(f"listing the {name} objects of placement {placement!r}", exc) from exc
        return owned


def _unavailable(key: ObjectKey, obj: dict[str, Any]) -> str | None:
    if key.kind != "Deployment":
        return None
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    available = status.get("availableReplicas", 0)
    current = status.get("observedGeneration", 0) >= (obj.get("metadata") or {}).get("generation", 0)
    if not current or available < wanted:
        return f"{key}: {available}/{wanted} replicas available" + ("" if current else " (rollout not observed yet)")
    return None
