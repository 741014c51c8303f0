"""HTTP client of the hub API: builds the Kubernetes-shaped paths and turns failures into CliErrors.

The hub's address comes from `--server`, else $FLEETSTAGE_SERVER, else DEFAULT_SERVER. A bearer
`token` (cli.credentials) is sent when given; `tls` verifies an https hub (and may present a client
certificate). A hub with a token file records the token's user as the actor; a hub started with
`--no-auth` records the claimed user: $FLEETSTAGE_USER, else the login name.
"""
from __future__ import annotations

import getpass
import os
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx
import orjson

from cli.errors import CliError
from resources.kinds import KindInfo

DEFAULT_SERVER = "http://127.0.0.1:8080"
SERVER_ENV = "FLEETSTAGE_SERVER"
USER_ENV = "FLEETSTAGE_USER"
OUTCOME_HEADER = "X-Fleetstage-Outcome"
NOW_HEADER = "X-Fleetstage-Now"
ACTOR_HEADER = "X-Fleetstage-Actor"

Document = dict[str, Any]


def server_url(given: str | None) -> str:
    return (given or os.environ.get(SERVER_ENV) or DEFAULT_SERVER).rstrip("/")


def current_user() -> str:
    return os.environ.get(USER_ENV) or getpass.getuser()


def kind_path(info: KindInfo, namespace: str | None = None, name: str | None = None) -> str:
    """The collection (or object) path of a kind, as the hub serves it."""
    prefix = f"/apis/{info.group}/{info.versions[0]}" if info.group else "/api/v1"
    scope = f"/namespaces/{namespace}" if info.namespaced and namespace else ""
    return f"{prefix}{scope}/{info.plural}" + (f"/{name}" if name else "")


class WatchIdle(Exception):
    """No change arrived on a watch within its idle timeout."""


@dataclass(frozen=True)
class Written:
    """A write's outcome (created, configured, unchanged, patched, deleted) and the object."""

    outcome: str
    document: Document


def _hub_time(response: httpx.Response) -> datetime:
    text = response.headers.get(NOW_HEADER)
    if not text:
        return datetime.now(timezone.utc)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class HubClient:
    """Synchronous client of one hub."""

    def __init__(self, server: str | None = None, *, timeout: float = 30.0, token: str | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.server = server_url(server)
        headers = {ACTOR_HEADER: current_user(), **({"Authorization": f"Bearer {token}"} if token else {})}
        self._http = httpx.Client(base_url=self.server, timeout=timeout, headers=headers,
                                  verify=tls if tls is not None else True)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "HubClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- requests -----------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, body: Any = None,
                 params: Mapping[str, str] | None = None) -> httpx.Response:
        content = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = self._http.request(method, path, content=content, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None
        if response.status_code >= 400:
            raise CliError(self._error_text(response))
        return response

    def _unreachable(self, exc: Exception) -> CliError:
        return CliError(
            f"error: cannot reach the fleetstage hub at {self.server} ({type(exc).__name__}: {exc}); "
            f"the address comes from --server or ${SERVER_ENV} (default {DEFAULT_SERVER}). "
            "Start a hub with `fleetstage up` (hub and demo member clusters) or `fleetstage hub`."
        )

    @staticmethod
    def _error_text(response: httpx.Response) -> str:
        try:
            status = response.json()
        except ValueError:
            return f"Error from server: HTTP {response.status_code}: {response.text.strip()}"
        reason = status.get("reason") or "Unknown"
        return f"Error from server ({reason}): {status.get('message') or response.text.strip()}"

    # --- objects ------------------------------------------------------------------------------

    def get(self, info: KindInfo, name: str, namespace: str | None = None, *,
            at: str | None = None) -> tuple[Document, datetime]:
        """One object (as it was at `at`, when given) and the hub's current time (for AGE)."""
        params = {"at": at} if at else None
        response = self._request("GET", kind_path(info, namespace, name), params=params)
        return response.json(), _hub_time(response)

    def find(self, info: KindInfo, name: str, namespace: str | None = None) -> Document | None:
        """One object, or None when it does not exist."""
        try:
            response = self._http.get(kind_path(info, namespace, name))
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise CliError(self._error_text(response))
        return response.json()

    def list_objects(self, info: KindInfo, namespace: str | None = None, *,
                     selector: str | None = None) -> tuple[list[Document], datetime]:
        """The objects of a kind and the hub's current time (for AGE)."""
        params = {"labelSelector": selector} if selector else None
        response = self._request("GET", kind_path(info, namespace), params=params)
        return response.json().get("items") or [], _hub_time(response)

    def now(self) -> datetime:
        """The hub clock's time (it may run faster than the wall clock: `--time-scale`)."""
        return _hub_time(self._request("GET", "/healthz"))

    def apply(self, info: KindInfo, document: Document, *, create_only: bool = False) -> Written:
        meta = document.get("metadata") or {}
        namespace = meta.get("namespace")
        if create_only:
            response = self._request("POST", kind_path(info, namespace), body=document)
        else:
            response = self._request("PUT", kind_path(info, namespace, meta.get("name")), body=document)
        return Written(response.headers.get(OUTCOME_HEADER, "configured"), response.json())

    def patch(self, info: KindInfo, name: str, namespace: str | None, patch: Any, *,
              subresource: str | None = None) -> Written:
        path = kind_path(info, namespace, name) + (f"/{subresource}" if subresource else "")
        response = self._request("PATCH", path, body=patch)
        return Written(response.headers.get(OUTCOME_HEADER, "patched"), response.json())

    def delete(self, info: KindInfo, name: str, namespace: str | None = None) -> Written:
        response = self._request("DELETE", kind_path(info, namespace, name))
        return Written(response.headers.get(OUTCOME_HEADER, "deleted"), response.json())

    @contextmanager
    def watch(self, info: KindInfo, namespace: str | None = None, *, selector: str | None = None,
              idle_timeout: float | None = None) -> Iterator[Iterator[tuple[str, Document]]]:
        """Open a watch now (so no change after this call is missed) and give its changes:
        (ADDED|MODIFIED|DELETED, object) until the hub closes the stream. With `idle_timeout`,
        WatchIdle is raised when no change arrives for that many seconds."""
        params = {"watch": "true", **({"labelSelector": selector} if selector else {})}
        timeout = httpx.Timeout(10.0, read=idle_timeout)
        try:
            with self._http.stream("GET", kind_path(info, namespace), params=params, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise CliError(self._error_text(response))
                yield self._changes(response)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None

    def _changes(self, response: httpx.Response) -> Iterator[tuple[str, Document]]:
        try:
            for line in response.iter_lines():
                if line.strip():
                    event = orjson.loads(line)
                    yield event["type"], event["object"]
        except httpx.ReadTimeout:
            raise WatchIdle() from None
        except httpx.TransportError as exc:
            raise CliError(f"error: the hub at {self.server} ended the watch ({type(exc).__name__}); "
                           "it may have been stopped") from None

    # --- fleetstage's own endpoints -----------------------------------------------------------

    def audit(self, filters: Mapping[str, str]) -> list[Document]:
        return self._request("GET", "/fleetstage/v1/audit", params=dict(filters)).json()["items"]

    def diff_snapshots(self, placement: str, old: int, new: int) -> Document:
        params = {"placement": placement, "from": str(old), "to": str(new)}
        return self._request("GET", "/fleetstage/v1/diff", params=params).json()

    def dead_letters(self, limit: int) -> list[Document]:
        return self._request("GET", "/fleetstage/v1/deadletters", params={"limit": str(limit)}).json()["items"]
