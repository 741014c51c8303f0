"""The hub's token file: who may use the API (bearer token -> user name and roles).

Format (YAML; keep the file private, e.g. `chmod 600`):

    users:
    - name: alice                 # recorded as the actor of everything alice does
      token: 8Kq3...              # a secret of at least 16 characters (`fleetstage token` makes one)
      roles: [operator]
    - name: carol
      tokenSha256: 5e88...        # or only the SHA-256 (hex) of the token, so the file holds no secret
      roles: [approver]

Roles: `viewer` reads (get, list, watch, audit/history, dead letters, metrics); `operator` also writes
(apply, create, edit, patch, delete; starting and stopping runs through `spec.state`); `approver` also
approves (PATCH of a ClusterApprovalRequest's `status`, `fleetstage approve`). Operator and approver
include viewer; neither includes the other. A user may have several tokens (one entry each).

Tokens are kept only as SHA-256 digests once loaded, so no secret is held in a form that could be logged.
"""
from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MIN_TOKEN_LENGTH = 16


class Role(str, enum.Enum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    APPROVER = "approver"


IMPLIED: dict[Role, frozenset[Role]] = {
    Role.VIEWER: frozenset({Role.VIEWER}),
    Role.OPERATOR: frozenset({Role.OPERATOR, Role.VIEWER}),
    Role.APPROVER: frozenset({Role.APPROVER, Role.VIEWER}),
}


@dataclass(frozen=True)
class Identity:
    """Who sent a request: a user name and the roles granted (with the roles they imply)."""

    name: str
    roles: frozenset[Role]

    @classmethod
    def of(cls, name: str, granted: Iterable[Role]) -> "Identity":
        """`name` with the `granted` roles and the roles they imply."""
        return cls(name, frozenset(role for given in granted for role in IMPLIED[given]))

    def has(self, role: Role) -> bool:
        return role in self.roles

    def role_names(self) -> list[str]:
        return sorted(role.value for role in self.roles)


class TokenFileError(ValueError):
    """The token file is missing or not valid; the message names the file, the entry and the field."""


class _User(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Annotated[str, Field(min_length=1)]
    token: Annotated[str | None, Field(min_length=MIN_TOKEN_LENGTH)] = None
    token_sha256: Annotated[str | None, Field(alias="tokenSha256", pattern=r"^[0-9a-fA-F]{64}$")] = None
    roles: Annotated[list[Role], Field(min_length=1)]

    @model_validator(mode="after")
    def _one_token(self) -> "_User":
        if (self.token is None) == (self.token_sha256 is None):
            raise ValueError("give exactly one of token or tokenSha256")
        return self

    def digest(self) -> str:
        return digest(self.token) if self.token is not None else (self.token_sha256 or "").lower()


class _TokenFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: Annotated[list[_User], Field(min_length=1)]


def digest(token: str) -> str:
    """The SHA-256 (hex) of a token, as `tokenSha256` holds it."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random token (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


class TokenTable:
    """The identities of the tokens of one token file."""

    def __init__(self, by_digest: dict[str, Identity], source: Path, *, holds_secrets: bool) -> None:
        self._by_digest = by_digest
        self.source = source
        self.holds_secrets = holds_secrets
        """Whether the file has plain `token`s (rather than only `tokenSha256`)."""

    def identify(self, token: str) -> Identity | None:
        """The identity a token stands for, or None for a token the file does not list."""
        return self._by_digest.get(digest(token))

    def user_count(self) -> int:
        return len({identity.name for identity in self._by_digest.values()})


def load_token_file(path: Path) -> TokenTable:
    """Read and check a token file (see the module docstring for the format)."""
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise TokenFileError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise TokenFileError(f"the token file {path} is not valid YAML: {exc}") from None
    try:
        parsed = _TokenFile.model_validate(raw)
    except ValidationError as exc:
        raise TokenFileError(f"the token file {path} is not valid: {_problems(exc)}") from None
    by_digest: dict[str, Identity] = {}
    for i, user in enumerate(parsed.users):
        key = user.digest()
        if key in by_digest:
            raise TokenFileError(f"the token file {path} is not valid: users[{i}]: the same token as "
                                 f'user "{by_digest[key].name}"; give every entry its own token')
        by_digest[key] = Identity.of(user.name, user.roles)
    return TokenTable(by_digest, path, holds_secrets=any(user.token is not None for user in parsed.users))


def _problems(exc: ValidationError) -> str:
    """`users[1].roles[0]: Input should be 'viewer', 'operator' or 'approver'` (the token value never shows)."""
    parts = []
    for error in exc.errors(include_input=False):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
        parts.append(f"{where or 'the file'}: {error['msg']}")
    return "; ".join(parts)
