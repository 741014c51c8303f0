"""The hub's HTTP API (Starlette): Kubernetes-shaped object paths plus fleetstage's own endpoints.

Object paths (see hub.paths): GET get/list (`labelSelector`; `watch=true` streams newline-delimited
JSON watch events of later changes: open it, then list, to miss nothing; `at=TIME` reads the object as
it was), POST create, PUT apply, PATCH merge patch (`/status` subresource for approvals), DELETE. Writes answer with the object and the header
`X-Fleetstage-Outcome` (created, configured, unchanged, patched, deleted); errors are Kubernetes
`Status` documents. Every response carries `X-Fleetstage-Now`, the hub clock's time, for AGE columns.
Every request but `/healthz` is authenticated and authorised by role first (hub.auth); the actor of
what a request appends is its authenticated user.

Own endpoints: `/healthz`, `/metrics` (Prometheus), `/fleetstage/v1/audit` (filters: placement, run,
cluster, actor, type, since, until, limit), `/fleetstage/v1/diff?placement=P&from=A&to=B` (what changed
between two resource snapshots, old ones read from the log), `/fleetstage/v1/deadletters`.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.middleware import Middleware
from starlette.routing import Route

from eventstore import EventStore, StoreUnavailableError
from hub.auth import AccessControl, Authenticator, NoAuthentication, identity_of
from hub.denials import DenialRecorder
from hub.errors import ApiError, bad_request, not_found, unavailable
from hub.metrics import HubMetrics
from hub.paths import Target, parse_path
from hub.readmodel import Document, ReadModel
from hub.snapshotdiff import diff_snapshots
from hub.supervisor import Supervisor
from projections.selectors import parse_selector
from hub.objects import resource_name
from hub.writes import Outcome, Writer, WriteResult
from orchestrator.clock import Clock
from resources.base import format_time
from resources.kinds import KindInfo, lookup_kind

OUTCOME_HEADER = "X-Fleetstage-Outcome"
NOW_HEADER = "X-Fleetstage-Now"
AUDIT_FILTERS = ("placement", "run", "cluster", "actor", "type")
JSON = "application/json"


@dataclass
class ApiServices:
    """What the API talks to."""

    store: EventStore
    read: ReadModel
    writer: Writer
    clock: Clock
    metrics: HubMetrics
    supervisor: Supervisor


def _json(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


def _parse_time(text: str, param: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f'{param}: "{text}" is not an RFC 3339 time such as 2025-01-01T12:00:00Z') from None
    if value.tzinfo is None:
        raise bad_request(f'{param}: "{text}" has no time zone; add "Z" for UTC')
    return value


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None


class ObjectEndpoints:
    """GET/POST/PUT/PATCH/DELETE on the Kubernetes-shaped object paths."""

    def __init__(self, services: ApiServices) -> None:
        self.s = services

    async def core(self, request: Request) -> Response:
        return await self._dispatch(request, parse_path("", request.path_params["version"], request.path_params["rest"]))

    async def grouped(self, request: Request) -> Response:
        params = request.path_params
        return await self._dispatch(request, parse_path(params["group"], params["version"], params["rest"]))

    async def _dispatch(self, request: Request, target: Target) -> Response:
        now = {NOW_HEADER: format_time(self.s.clock.now())}
        try:
            response = await self._handle(request, target)
        except ApiError as exc:
            response = exc.response()
        except StoreUnavailableError as exc:  # e.g. the outcome of an append is unknown: say so, no 500
            response = unavailable(str(exc)).response()
        response.headers.update(now)
        return response

    async def _handle(self, request: Request, target: Target) -> Response:
        method = request.method
        actor = identity_of(request).name
        if method == "GET":
            return await self._get(request, target)
        if method in ("POST", "PUT"):
            doc = await _body(request)
            self._check_body(target, doc, named=method == "PUT")
            result = await self.s.writer.apply(doc, actor=actor, create_only=method == "POST")
            return self._written(result)
        info = target.require_info()
        if target.name is None:
            raise ApiError(405, "MethodNotAllowed", f"{method} needs an object name in the path")
        if method == "PATCH":
            patch = await _body(request)
            result = await self.s.writer.patch(info, target.name, target.namespace, patch,
                                               subresource=target.subresource, actor=actor)
            return self._written(result)
        if method == "DELETE":
            result = await self.s.writer.delete(info, target.name, target.namespace, actor=actor)
            return self._written(result)
        raise ApiError(405, "MethodNotAllowed", f"method {method} is not supported")

    @staticmethod
    def _check_body(target: Target, doc: Any, *, named: bool) -> None:
        if not isinstance(doc, dict):
            raise bad_request("the request body must be a JSON object (one Kubernetes object)")
        kind, api_version = doc.get("kind"), doc.get("apiVersion")
        if isinstance(kind, str) and isinstance(api_version, str):
            group = api_version.rpartition("/")[0]
            if group != target.group or lookup_kind(group, kind) != target.info:
                target.require_info()
                raise bad_request(f'the object is a {kind} ({api_version}), but the URL names '
                                  f'{target.plural}{"." + target.group if target.group else ""}')
        meta = doc.setdefault("metadata", {})
        if not isinstance(meta, dict):
            return  # validation names the field
        if target.namespace and target.info is not None and target.info.namespaced:
            given = meta.setdefault("namespace", target.namespace)
            if given != target.namespace:
                raise bad_request(
                    f'the namespace of the provided object ("{given}") does not match the namespace sent on '
                    f'the request ("{target.namespace}")'
                )
        if named and target.name and meta.get("name") != target.name:
            raise bad_request(
                f'the name of the object ("{meta.get("name")}") does not match the name on the URL ("{target.name}")'
            )

    @staticmethod
    def _written(result: WriteResult) -> Response:
        headers = {OUTCOME_HEADER: result.outcome.value}
        status = 201 if result.outcome is Outcome.CREATED else 200
        return _json(result.document or {}, status=status, headers=headers)

    async def _get(self, request: Request, target: Target) -> Response:
        info = target.require_info()
        query = request.query_params
        namespace = target.namespace if info.namespaced else None
        if target.name is not None:
            return await self._get_one(info, target.name, namespace, query.get("at"))
        selector = query.get("labelSelector") or None
        try:
            matches = parse_selector(selector)
        except ValueError as exc:
            raise bad_request(f"labelSelector: {exc}") from None
        if query.get("watch") in ("true", "1"):
            return StreamingResponse(self._watch(info, namespace, matches), media_type=JSON)
        items = await self.s.read.list_json(info.kind, namespace, label_selector=selector)
        return _json({
            "apiVersion": info.api_version,
            "kind": f"{info.kind}List",
            "metadata": {},
            "items": [orjson.Fragment(item) for item in items],
        })

    async def _get_one(self, info: KindInfo, name: str, namespace: str | None, at: str | None) -> Response:
        if at is not None:
            doc = await self.s.read.get_at(info.kind, name, _parse_time(at, "at"), namespace)
            body = None if doc is None else orjson.dumps(doc)
        else:
            body = await self.s.read.get_json(info.kind, name, namespace)
        if body is None:
            raise not_found(resource_name(info), name)
        return Response(body, media_type=JSON)

    async def _watch(self, info: KindInfo, namespace: str | None, matches: Any) -> AsyncIterator[bytes]:
        async for change, doc in self.s.read.watch(info.kind, namespace):
            if matches(_labels(doc)):
                yield orjson.dumps({"type": change, "object": doc}) + b"\n"


def _labels(doc: Document) -> dict[str, str]:
    return (doc.get("metadata") or {}).get("labels") or {}


class FleetstageEndpoints:
    """Endpoints beyond the Kubernetes API: health, metrics, audit history, dead letters."""

    def __init__(self, services: ApiServices) -> None:
        self.s = services

    async def healthz(self, request: Request) -> Response:
        """`ok`, or 503 naming the service that stopped (the process is about to exit, hub.supervisor)."""
        failure = self.s.supervisor.failure
        return PlainTextResponse("ok") if failure is None else PlainTextResponse(f"{failure}\n", status_code=503)

    async def metrics(self, request: Request) -> Response:
        body, content_type = await self.s.metrics.render(self.s.read, self.s.store)
        return Response(body, media_type=content_type)

    async def audit(self, request: Request) -> Response:
        query = request.query_params
        filters: dict[str, Any] = {k: query[k] for k in AUDIT_FILTERS if query.get(k)}
        for key in ("since", "until"):
            if query.get(key):
                filters[key] = _parse_time(query[key], key)
        if query.get("limit"):
            filters["limit"] = _int(query["limit"], "limit")
        return _json({"items": await self.s.read.audit(**filters)})

    async def diff(self, request: Request) -> Response:
        query = request.query_params
        if not query.get("placement"):
            raise bad_request("placement: required, e.g. ?placement=example-placement&from=0&to=1")
        old, new = _int(query.get("from", ""), "from"), _int(query.get("to", ""), "to")
        return _json(await diff_snapshots(self.s.store, self.s.read, query["placement"], old, new))

    async def deadletters(self, request: Request) -> Response:
        limit = _int(request.query_params.get("limit", "100"), "limit")
        letters = await self.s.store.dead_letters(limit)
        return _json({"items": [
            {
                "stream": letter.stream,
                "partition": letter.position.partition if letter.position else None,
                "offset": letter.position.offset if letter.position else None,
                "reason": letter.reason,
                "time": format_time(letter.time),
                "key": letter.key.decode(errors="replace") if letter.key else None,
                "value": letter.value.decode(errors="replace") if letter.value else None,
            }
            for letter in letters
        ]})


def _int(text: str, param: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise bad_request(f'{param}: "{text}" is not an integer') from None


def create_app(services: ApiServices, authenticator: Authenticator | None = None) -> Starlette:
    """The ASGI app of the hub API; without an `authenticator`, unauthenticated (hub.auth.NoAuthentication)."""
    objects = ObjectEndpoints(services)
    own = FleetstageEndpoints(services)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes = [
        Route("/healthz", own.healthz),
        Route("/metrics", own.metrics),
        Route("/fleetstage/v1/audit", own.audit),
        Route("/fleetstage/v1/diff", own.diff),
        Route("/fleetstage/v1/deadletters", own.deadletters),
        Route("/api/{version}/{rest:path}", objects.core, methods=methods),
        Route("/apis/{group}/{version}/{rest:path}", objects.grouped, methods=methods),
    ]
    access = Middleware(AccessControl, authenticator=authenticator or NoAuthentication(),
                        denials=DenialRecorder(services.store, services.read, services.clock))
    return Starlette(routes=routes, middleware=[access],
                     exception_handlers={ApiError: lambda request, exc: exc.response()})
