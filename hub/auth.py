"""Authentication and role-based authorisation of the hub API (ASGI middleware in front of every route).

- `TokenAuthenticator`: `Authorization: Bearer TOKEN`, looked up in the hub's token file (hub.tokens);
  a missing or unknown token is 401 Unauthorized. `X-Fleetstage-Actor` is ignored: the actor of every
  event the API appends is the authenticated user.
- `NoAuthentication` (`--no-auth`, local demos only): every caller has every role and the actor is what
  the client claims in `X-Fleetstage-Actor` (the CLI sends $FLEETSTAGE_USER or the login name).

`AccessControl` asks hub.access which role a request needs: without it the answer is 403 Forbidden
naming the user and the role, and a refused approval is also audited (hub.denials). The identity of an
admitted request is `identity_of(request)`. `authenticator()` builds one from the command-line options and
refuses to build none: a hub without a token file must say `--no-auth`.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.access import required_access
from hub.denials import DenialRecorder
from hub.errors import ApiError
from hub.tokens import Identity, Role, TokenTable, load_token_file

log = logging.getLogger(__name__)

ACTOR_HEADER = "X-Fleetstage-Actor"
ANONYMOUS = "anonymous"
TOKEN_FILE_OPTION = "--token-auth-file"
HOW_TO_CREATE = (
    f"the hub needs a token file ({TOKEN_FILE_OPTION} FILE) saying who may use the API, or --no-auth to run "
    "without authentication (local demos only). Create one entry per user with "
    "`fleetstage token create alice --role operator --file tokens.yaml` (it prints alice's token once), then "
    f"start the hub with `{TOKEN_FILE_OPTION} tokens.yaml` and give clients the token with --token or "
    "$FLEETSTAGE_TOKEN"
)


class AuthSetupError(ValueError):
    """The hub cannot decide how to authenticate (no token file and no --no-auth, or a bad file)."""


class Authenticator(Protocol):
    """Turns a request's headers into an Identity, or raises a 401 ApiError."""

    def identify(self, headers: Headers) -> Identity: ...

    def announce(self) -> None:
        """Log how requests are authenticated (a warning when they are not)."""
        ...


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "Unauthorized", message)


class TokenAuthenticator:
    """Bearer tokens of a token file."""

    def __init__(self, table: TokenTable) -> None:
        self._table = table

    def identify(self, headers: Headers) -> Identity:
        header = headers.get("authorization")
        if not header:
            raise unauthorized("no bearer token: send the header \"Authorization: Bearer TOKEN\" (fleetstage: "
                               "--token, --token-file or $FLEETSTAGE_TOKEN)")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized(f'the Authorization header must be "Bearer TOKEN", not a {scheme} credential')
        identity = self._table.identify(token.strip())
        if identity is None:
            raise unauthorized("the bearer token is not valid for this hub: check --token, --token-file or "
                               "$FLEETSTAGE_TOKEN (the hub's token file lists the valid ones)")
        return identity

    def announce(self) -> None:
        source = self._table.source
        log.info("authentication: bearer tokens of %d user(s) from %s", self._table.user_count(), source)
        if self._table.holds_secrets and source.stat().st_mode & 0o077:
            log.warning("the token file %s holds tokens and others may read it: `chmod 600 %s`, or keep only "
                        "tokenSha256 entries", source, source)


class NoAuthentication:
    """`--no-auth`: everyone may do everything, as whoever they claim to be."""

    def identify(self, headers: Headers) -> Identity:
        return Identity.of(headers.get(ACTOR_HEADER) or ANONYMOUS, tuple(Role))

    def announce(self) -> None:
        log.warning("authentication is OFF (--no-auth): anyone who can reach the API can change the fleet and "
                    "approve stages, and the actor recorded is whatever the client claims. Use a token file "
                    "(%s) anywhere but a local demo.", TOKEN_FILE_OPTION)


def authenticator(token_file: Path | None, *, no_auth: bool) -> Authenticator:
    """The authenticator the hub's options ask for; AuthSetupError when they ask for none or both."""
    if no_auth and token_file is not None:
        raise AuthSetupError(f"give {TOKEN_FILE_OPTION} or --no-auth, not both")
    if no_auth:
        return NoAuthentication()
    if token_file is None:
        raise AuthSetupError(HOW_TO_CREATE)
    try:
        return TokenAuthenticator(load_token_file(token_file))
    except ValueError as exc:
        raise AuthSetupError(str(exc)) from None


class AccessControl:
    """ASGI middleware: authenticate, authorise by role, audit refused approvals, then call the app."""

    def __init__(self, app: ASGIApp, *, authenticator: Authenticator, denials: DenialRecorder) -> None:
        self.app = app
        self.authenticator = authenticator
        self.denials = denials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        access = required_access(request.method, request.url.path,
                                 watch=request.query_params.get("watch") in ("true", "1"))
        if access is None:
            await self.app(scope, receive, send)
            return
        try:
            identity = self.authenticator.identify(request.headers)
        except ApiError as exc:
            response = exc.response()
            response.headers["WWW-Authenticate"] = 'Bearer realm="fleetstage"'
            await response(scope, receive, send)
            return
        if not identity.has(access.role):
            log.info("refused %s %s to %s: the %s role is required", request.method, request.url.path,
                     identity.name, access.role.value)
            if access.approves:
                await self.denials.record(identity, access)
            await access.forbidden(identity).response()(scope, receive, send)
            return
        scope.setdefault("state", {})["identity"] = identity
        await self.app(scope, receive, send)


def identity_of(request: Request) -> Identity:
    """Who sent an admitted request (set by AccessControl)."""
    identity = getattr(request.state, "identity", None)
    if not isinstance(identity, Identity):
        raise RuntimeError(f"{request.url.path} was not admitted by AccessControl: add it to the app's middleware")
    return identity
