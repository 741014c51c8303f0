"""The write side of the API: validate, turn a change into events or a command, then read your write.

- Hub objects (Namespace, ConfigMap, ...), strategies and member-cluster labels have no cross-object
  rules: their events go straight to the `fleet` stream, with generation = previous + 1 when anything
  but metadata changed. An unchanged object appends nothing.
- Placements, runs, approval status and their deletes are commands to the orchestrator (stream
  `placements`, keyed by the placement); its answer decides (CommandRejected -> 422 Invalid).
- A namespaced object needs its Namespace; deleting a Namespace deletes what is in it (one batch).
- Before answering, the write waits until the projections reflect it (read-your-writes). A hub object
  that a placement selects (itself or its Namespace) also waits, at most `snapshot_timeout`, for the
  orchestrator's decision about it (a new resource snapshot: same correlation id) to be readable.
- Writes of one object (kind, namespace, name) through one hub run one at a time, each from reading the
  current object to reading its write back: two concurrent applies of one ConfigMap get generations 2 and
  3, and of two same-named runs for different placements, the second is refused (a run's placement is
  immutable) instead of both being created. Hubs in several processes do not share these locks.
"""
from __future__ import annotations

import asyncio
import enum
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from eventstore import Event, EventStore
from fleetevents import commands, fleet
from fleetevents.streams import FLEET, PLACEMENTS, object_subject
from hub.commands import CommandBus, NoAnswerError
from hub.errors import ApiError, already_exists, invalid, method_not_allowed, not_found, timeout
from hub.mergepatch import merge_patch
from hub.objects import (
    approval_condition, comparable, kind_group, resource_name, stored_comparable, strip_server_fields, validate,
)
from hub.readmodel import Document, Offsets, ReadModel
from orchestrator.clock import Clock
from resources.kinds import KindInfo, lookup_kind
from resources.approval import ClusterApprovalRequest
from resources.cluster import MemberCluster
from resources.manifests import Resource
from resources.placement import ClusterResourcePlacement
from resources.strategy import ClusterStagedUpdateStrategy
from resources.updaterun import ClusterStagedUpdateRun
from resources.names import PLACEMENT_GROUP


class Outcome(str, enum.Enum):
    """What kubectl prints after `kind/name`."""

    CREATED = "created"
    CONFIGURED = "configured"
    UNCHANGED = "unchanged"
    PATCHED = "patched"
    DELETED = "deleted"


@dataclass(frozen=True)
class WriteResult:
    outcome: Outcome
    document: Document | None


def _without_metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "metadata"}


class Writer:
    """Applies, patches and deletes objects for the API (see the module docstring)."""

    def __init__(self, store: EventStore, read: ReadModel, bus: CommandBus, clock: Clock, *,
                 read_timeout: float = 10.0, snapshot_timeout: float = 3.0) -> None:
        self._store = store
        self._read = read
        self._bus = bus
        self._clock = clock
        self._read_timeout = read_timeout
        self._snapshot_timeout = snapshot_timeout
        self._locks: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def _one_at_a_time(self, kind: str, namespace: str | None, name: str) -> AsyncIterator[None]:
        """Hold the object's lock (made on first use, gone once no write holds or awaits it)."""
        key = (kind, namespace or "", name)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            yield

    # --- apply / create -----------------------------------------------------------------------

    async def apply(self, doc: Any, *, actor: str, create_only: bool = False) -> WriteResult:
        """Create or update the object `doc` describes (kubectl apply; `create_only`: kubectl create)."""
        obj = validate(doc)
        async with self._one_at_a_time(obj.kind, obj.namespace, obj.name):
            return await self._apply(obj, actor, create_only)

    async def _apply(self, obj: Resource, actor: str, create_only: bool) -> WriteResult:
        info = obj.kind_info
        current = await self._read.get(obj.kind, obj.name, obj.namespace)
        if current is not None and create_only:
            raise already_exists(resource_name(info) if info else obj.kind.lower(), obj.name)
        if obj.namespace and await self._read.get("Namespace", obj.namespace) is None:
            raise not_found("namespaces", obj.namespace)
        new = comparable(obj)
        old = stored_comparable(current) if current is not None else None
        if old == new:
            return WriteResult(Outcome.UNCHANGED, current)
        generation = 1
        if current is not None:
            previous = int((current.get("metadata") or {}).get("generation") or 1)
            generation = previous + 1 if _without_metadata(old or {}) != _without_metadata(new) else previous
        changed = await self._write(obj, current, strip_server_fields(obj.to_dict()), generation, actor)
        document = await self._read.get(obj.kind, obj.name, obj.namespace)
        if current is None:
            return WriteResult(Outcome.CREATED, document)
        return WriteResult(Outcome.CONFIGURED if changed else Outcome.UNCHANGED, document)

    async def _write(self, obj: Resource, current: Document | None, manifest: dict[str, Any],
                     generation: int, actor: str) -> bool:
        """Append the change; False when the orchestrator found nothing to change."""
        subject = object_subject(obj.kind, obj.name, obj.namespace)
        if isinstance(obj, ClusterResourcePlacement):
            return await self._command(commands.ApplyPlacement(manifest=manifest), obj.name, actor, obj.kind, obj.name)
        if isinstance(obj, ClusterStagedUpdateRun):
            # Run names are cluster-wide: an existing run's command goes to the placement that holds it, whose
            # orchestrator refuses a changed (immutable) spec.placementName.
            placement = (current.get("spec") or {}).get("placementName", "") if current else obj.spec.placement_name
            return await self._command(commands.ApplyRun(manifest=manifest), placement, actor, obj.kind, obj.name)
        if isinstance(obj, ClusterStagedUpdateStrategy):
            await self._append_fleet(fleet.StrategyApplied(manifest=manifest, generation=generation), subject, actor)
        elif isinstance(obj, ClusterApprovalRequest):
            raise method_not_allowed(
                "ClusterApprovalRequests are created by update runs; approve one with "
                "`fleetstage approve NAME` or `kubectl patch clusterapprovalrequests NAME --type=merge "
                "--subresource=status -p ...`"
            )
        elif isinstance(obj, MemberCluster):
            await self._relabel_member(obj, current, actor)
        else:
            change = fleet.HubResourceApplied(manifest=manifest, generation=generation)
            await self._append_fleet_batch([(change, subject)], actor, selected=await self._selected(obj))
        return True

    async def _relabel_member(self, obj: MemberCluster, current: Document | None, actor: str) -> None:
        if current is None:
            raise method_not_allowed(
                f'member cluster "{obj.name}" has not joined: a member joins when its agent starts '
                f"(`fleetstage agent --cluster {obj.name} --labels KEY=VALUE ...`)"
            )
        if _without_metadata(comparable(obj)) != _without_metadata(stored_comparable(current)):
            raise invalid(kind_group(obj.kind_info, obj.kind), obj.name,
                          "only metadata.labels of a MemberCluster can be changed on the hub", field="spec")
        labels = dict(obj.labels)
        event = fleet.MemberLabelsChanged(name=obj.name, labels=labels)
        await self._append_fleet(event, object_subject(obj.kind, obj.name), actor)

    # --- patch --------------------------------------------------------------------------------

    async def patch(self, info: KindInfo, name: str, namespace: str | None, patch: Any, *,
                    subresource: str | None, actor: str) -> WriteResult:
        """kubectl patch --type=merge [--subresource=status]."""
        async with self._one_at_a_time(info.kind, namespace, name):
            return await self._patch(info, name, namespace, patch, subresource, actor)

    async def _patch(self, info: KindInfo, name: str, namespace: str | None, patch: Any, subresource: str | None,
                     actor: str) -> WriteResult:
        current = await self._get_or_404(info, name, namespace)
        if not isinstance(patch, dict):
            raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
        if subresource == "status":
            return await self._patch_status(info, name, current, patch, actor)
        if subresource:
            raise ApiError(404, "NotFound",
                           f'the server could not find the requested resource: subresource "{subresource}"')
        _check_no_status_change(info, name, current, patch)
        merged = strip_server_fields(merge_patch(current, patch))
        _check_same_identity(info, name, namespace, merged)
        result = await self._apply(validate(merged), actor, create_only=False)
        outcome = Outcome.UNCHANGED if result.outcome is Outcome.UNCHANGED else Outcome.PATCHED
        return WriteResult(outcome, result.document)

    async def _patch_status(self, info: KindInfo, name: str, current: Document, patch: dict[str, Any],
                            actor: str) -> WriteResult:
        if info.kind != "ClusterApprovalRequest":
            raise method_not_allowed(f"the status of {info.kind} is written by fleetstage itself")
        merged = merge_patch(current, patch)
        raw = (merged.get("status") or {}).get("conditions") or []
        conditions = [approval_condition(c, i, name) for i, c in enumerate(raw)]
        if conditions == ((current.get("status") or {}).get("conditions") or []):
            return WriteResult(Outcome.UNCHANGED, current)
        placement = await self._placement_of_approval(current)
        changed = await self._command(commands.PatchApprovalStatus(name=name, conditions=conditions), placement,
                                      actor, info.kind, name, field_prefix="status.")
        return WriteResult(Outcome.PATCHED if changed else Outcome.UNCHANGED, await self._read.get(info.kind, name))

    # --- delete -------------------------------------------------------------------------------

    async def delete(self, info: KindInfo, name: str, namespace: str | None, *, actor: str) -> WriteResult:
        async with self._one_at_a_time(info.kind, namespace, name):
            return await self._delete(info, name, namespace, actor)

    async def _delete(self, info: KindInfo, name: str, namespace: str | None, actor: str) -> WriteResult:
        current = await self._get_or_404(info, name, namespace)
        kind = info.kind
        subject = object_subject(kind, name, namespace)
        if info.read_only:
            raise method_not_allowed(f"{kind} is read-only: fleetstage keeps every snapshot in its history")
        if kind == "ClusterResourcePlacement":
            await self._command(commands.DeletePlacement(name=name), name, actor, kind, name)
        elif kind == "ClusterStagedUpdateRun":
            placement = (current.get("spec") or {}).get("placementName", "")
            await self._command(commands.DeleteRun(name=name), placement, actor, kind, name)
        elif kind == "ClusterApprovalRequest":
            placement = await self._placement_of_approval(current)
            await self._command(commands.DeleteApproval(name=name), placement, actor, kind, name)
        elif kind == "ClusterStagedUpdateStrategy":
            await self._append_fleet(fleet.StrategyDeleted(name=name), subject, actor)
        elif kind == "MemberCluster":
            await self._append_fleet(fleet.MemberLeft(name=name), subject, actor)
        else:
            contents = await self._namespace_contents(name) if (info.group, kind) == ("", "Namespace") else []
            selected = (obj := _valid(current)) is not None and await self._selected(obj)
            await self._append_fleet_batch([_hub_deletion(doc) for doc in [*contents, current]], actor,
                                           selected=selected)
        return WriteResult(Outcome.DELETED, current)

    async def _namespace_contents(self, namespace: str) -> list[Document]:
        """Every hub object in `namespace` (deleted with it, as Kubernetes does)."""
        return [doc for kind in self._read.kinds() for doc in await self._read.list(kind, namespace)]

    # --- plumbing -----------------------------------------------------------------------------

    async def _get_or_404(self, info: KindInfo, name: str, namespace: str | None) -> Document:
        current = await self._read.get(info.kind, name, namespace if info.namespaced else None)
        if current is None:
            raise not_found(resource_name(info), name)
        return current

    async def _placement_of_approval(self, approval: Document) -> str:
        run_name = (approval.get("spec") or {}).get("parentStageRollout", "")
        run = await self._read.get("ClusterStagedUpdateRun", run_name)
        if run is None:
            raise not_found("clusterstagedupdateruns.placement.kubernetes-fleet.io", run_name)
        return (run.get("spec") or {}).get("placementName", "")

    async def _append_fleet(self, data: BaseModel, subject: str, actor: str) -> None:
        await self._append_fleet_batch([(data, subject)], actor)

    async def _append_fleet_batch(self, changes: Sequence[tuple[BaseModel, str]], actor: str, *,
                                  selected: bool = False) -> None:
        """Append `(payload, subject)` events to `fleet` atomically, then wait until they are readable (and,
        when a placement `selected` what changed, for the orchestrator's decision about the last one)."""
        now = self._clock.now()
        events = [Event(type=self._store.registry.type_of(type(data)), subject=subject, data=data, stream=FLEET,
                        actor=actor, time=now, source="fleetstage/api") for data, subject in changes]
        with self._bus.expecting(events[-1].id):
            positions = await self._store.append(events)
            ends: dict[int, int] = {}
            for position in positions:
                ends[position.partition] = max(ends.get(position.partition, 0), position.offset + 1)
            await self._read_your_write({FLEET: ends})
            decided = await self._bus.consequence(events[-1].id, self._snapshot_timeout) if selected else None
        if decided is not None:
            await self._read_your_write(decided.read_offsets)

    async def _selected(self, obj: Resource) -> bool:
        """Whether a placement selects the hub object `obj` or its Namespace (so a snapshot follows)."""
        target: Resource | None = obj
        if obj.namespace is not None:
            namespace = await self._read.get("Namespace", obj.namespace)
            target = _valid(namespace) if namespace is not None else None
        if target is None:
            return False
        placements = [_valid(doc) for doc in await self._read.list("ClusterResourcePlacement")]
        return any(isinstance(p, ClusterResourcePlacement) and p.selects(target) for p in placements)

    async def _command(self, data: BaseModel, placement: str, actor: str, kind: str, name: str, *,
                       field_prefix: str = "") -> bool:
        """Send a command about `kind` `name`; True when it changed something, an ApiError when rejected."""
        event = Event(type=self._store.registry.type_of(type(data)), subject=placement, data=data,
                      stream=PLACEMENTS, actor=actor, time=self._clock.now(), source="fleetstage/api")
        try:
            answer = await self._bus.submit(event)
        except NoAnswerError as exc:
            raise timeout(str(exc)) from None
        if isinstance(answer.event.data, commands.CommandRejected):
            raise rejection_error(kind, name, answer.event.data, field_prefix=field_prefix)
        await self._read_your_write(answer.read_offsets)
        return not isinstance(answer.event.data, commands.CommandUnchanged)

    async def _read_your_write(self, offsets: Offsets) -> None:
        try:
            await self._read.wait_for(offsets, self._read_timeout)
        except TimeoutError:
            raise timeout(
                f"the change was recorded, but the read side did not catch up within {self._read_timeout:g}s; "
                "is `fleetstage projections` running?"
            ) from None


def _valid(doc: Document) -> Resource | None:
    """The model of a stored document, None when it no longer validates."""
    try:
        return validate(strip_server_fields(doc))
    except ApiError:
        return None


def _check_no_status_change(info: KindInfo, name: str, current: Document, patch: Mapping[str, Any]) -> None:
    """Kubernetes ignores `status` in a patch of the main resource; refuse it instead of answering
    "patched (no change)" to a user who believes a stage is now approved."""
    if "status" not in patch or merge_patch(current, patch).get("status") == current.get("status"):
        return
    if info.kind == "ClusterApprovalRequest":
        message = (f"the status is changed through the status subresource: add --subresource=status "
                   f"(`fleetstage patch {info.plural} {name} --type=merge --subresource=status -p ...` "
                   f"or `fleetstage approve {name}`)")
    else:
        message = f"the status of {info.kind} is written by fleetstage itself"
    raise invalid(kind_group(info, info.kind), name, message, field="status")


def _check_same_identity(info: KindInfo, name: str, namespace: str | None, merged: Mapping[str, Any]) -> None:
    """A patch cannot rename an object or move it to another namespace (422, as Kubernetes answers)."""
    meta = merged.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    identity = {"name": name, **({"namespace": namespace} if info.namespaced else {})}
    for field, url_value in identity.items():
        value = meta.get(field)
        if value != url_value:
            raise invalid(kind_group(info, info.kind), name,
                          f'field is immutable: the {field} of the patched object ({value}) does not match the '
                          f"{field} on the URL ({url_value}); create a new object instead of renaming this one",
                          field=f"metadata.{field}")


def _hub_deletion(doc: Document) -> tuple[BaseModel, str]:
    meta = doc.get("metadata") or {}
    namespace = meta.get("namespace") or None
    data = fleet.HubResourceDeleted(api_version=doc.get("apiVersion", "v1"), kind=doc["kind"], name=meta["name"],
                                    namespace=namespace)
    return data, object_subject(doc["kind"], meta["name"], namespace)


def rejection_error(kind: str, name: str, rejection: commands.CommandRejected, *,
                    field_prefix: str = "") -> ApiError:
    """The API error of an orchestrator's rejection: NotFound for a vanished object, else Invalid with
    the field path as the user wrote it (`field_prefix` places a command's field in the object)."""
    message = rejection.message
    if rejection.field == "name" and message.endswith("not found"):
        return ApiError(404, "NotFound", message, details={"name": name})
    for lead in (f'{kind} "{name}" is invalid: ', f'{kind} "{name}": '):
        message = message.split(lead, 1)[1] if lead in message else message
    if rejection.field and message.startswith(f"{rejection.field}: "):
        message = message[len(rejection.field) + 2:]
    field = field_prefix + rejection.field if rejection.field else ""
    return invalid(kind_group(lookup_kind(PLACEMENT_GROUP, kind), kind), name, message, field=field)
