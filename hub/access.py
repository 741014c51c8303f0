"""Which role a hub API request needs, and the Kubernetes-style words to refuse it with.

- GET anything (objects, watches, `/fleetstage/v1/audit`, `/fleetstage/v1/deadletters`, `/metrics`): viewer.
- PATCH of a ClusterApprovalRequest's `status` subresource (approving a stage): approver.
- Any other POST, PUT, PATCH or DELETE (apply, create, edit, delete, `spec.state` of a run): operator.
- `/healthz` needs nothing (liveness probes and `fleetstage up --detach` poll it).
"""
from __future__ import annotations

from dataclasses import dataclass

from hub.errors import ApiError
from hub.paths import Target, parse_path
from hub.tokens import Identity, Role

PUBLIC_PATHS = frozenset({"/healthz"})
APPROVAL_KIND = "ClusterApprovalRequest"
_WRITE_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True)
class Access:
    """What a request does, in Kubernetes' authorisation words, and the role it needs."""

    verb: str
    role: Role
    target: Target | None = None
    path: str = ""

    @property
    def approves(self) -> bool:
        """A PATCH of an approval request's status: approving (or un-approving) a stage."""
        target = self.target
        return target is not None and target.info is not None and target.info.kind == APPROVAL_KIND \
            and self.verb == "patch" and target.subresource == "status"

    @property
    def resource(self) -> str:
        """`clusterapprovalrequests/status`, `configmaps`; the path for fleetstage's own endpoints."""
        if self.target is None:
            return self.path
        return self.target.plural + (f"/{self.target.subresource}" if self.target.subresource else "")

    def forbidden(self, identity: Identity) -> ApiError:
        """403 Forbidden naming the user, what was refused and the missing role."""
        has = ", ".join(identity.role_names()) or "no roles"
        why = f'requires the {self.role.value} role; user "{identity.name}" has {has}'
        target = self.target
        if target is None:
            return ApiError(403, "Forbidden", f'forbidden: User "{identity.name}" cannot {self.verb} path '
                                              f'"{self.path}": {why}')
        qualified = target.plural + (f".{target.group}" if target.group else "")
        subject = f'{qualified} "{target.name}"' if target.name else qualified
        scope = f' in the namespace "{target.namespace}"' if target.namespace else ""
        message = (f'{subject} is forbidden: User "{identity.name}" cannot {self.verb} resource "{self.resource}" '
                   f'in API group "{target.group}"{scope}: {why}')
        details = {"group": target.group, "kind": target.plural, **({"name": target.name} if target.name else {})}
        return ApiError(403, "Forbidden", message, details=details)


def required_access(method: str, path: str, *, watch: bool = False) -> Access | None:
    """What a request needs; None for a public path."""
    if path in PUBLIC_PATHS:
        return None
    target = _target(path)
    if method in ("GET", "HEAD"):
        verb = "get" if target is None or target.name else ("watch" if watch else "list")
        return Access(verb, Role.VIEWER, target, path)
    verb = _WRITE_VERBS.get(method, method.lower())
    access = Access(verb, Role.OPERATOR, target, path)
    return Access(verb, Role.APPROVER, target, path) if access.approves else access


def _target(path: str) -> Target | None:
    """The object a Kubernetes-shaped path names; None for fleetstage's own endpoints and bad paths."""
    parts = path.strip("/").split("/")
    try:
        if parts[0] == "api" and len(parts) >= 3:
            return parse_path("", parts[1], "/".join(parts[2:]))
        if parts[0] == "apis" and len(parts) >= 4:
            return parse_path(parts[1], parts[2], "/".join(parts[3:]))
    except ApiError:
        return None  # the API answers 404 for it once the caller may read
    return None
