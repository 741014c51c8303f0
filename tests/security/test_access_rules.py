"""Which role each kind of request needs (hub.access), and the words of a refusal."""
from __future__ import annotations

import pytest

from hub.access import required_access
from hub.tokens import Identity, Role

FLEET = "/apis/placement.kubernetes-fleet.io/v1beta1"


@pytest.mark.parametrize("method, path, watch, verb, role", [
    ("GET", f"{FLEET}/clusterstagedupdateruns/r", False, "get", Role.VIEWER),
    ("GET", f"{FLEET}/clusterstagedupdateruns", False, "list", Role.VIEWER),
    ("GET", f"{FLEET}/clusterstagedupdateruns", True, "watch", Role.VIEWER),
    ("GET", "/fleetstage/v1/audit", False, "get", Role.VIEWER),
    ("GET", "/metrics", False, "get", Role.VIEWER),
    ("PUT", f"{FLEET}/clusterstagedupdateruns/r", False, "update", Role.OPERATOR),
    ("PATCH", f"{FLEET}/clusterstagedupdateruns/r", False, "patch", Role.OPERATOR),
    ("POST", "/api/v1/namespaces", False, "create", Role.OPERATOR),
    ("DELETE", f"{FLEET}/clusterapprovalrequests/r-canary", False, "delete", Role.OPERATOR),
    ("PATCH", f"{FLEET}/clusterapprovalrequests/r-canary", False, "patch", Role.OPERATOR),
    ("PATCH", f"{FLEET}/clusterapprovalrequests/r-canary/status", False, "patch", Role.APPROVER),
    ("PATCH", "/apis/other.example/v1/clusterapprovalrequests/r-canary/status", False, "patch", Role.OPERATOR),
    ("POST", "/no/such/path", False, "create", Role.OPERATOR),
])
def test_reads_need_viewer_writes_operator_and_approving_approver(method: str, path: str, watch: bool, verb: str,
                                                                   role: Role) -> None:
    access = required_access(method, path, watch=watch)
    assert access is not None and (access.verb, access.role) == (verb, role)


def test_healthz_needs_nothing() -> None:
    assert required_access("GET", "/healthz") is None


def test_a_refusal_names_the_user_what_was_refused_and_the_missing_role() -> None:
    nobody = Identity.of("nobody", ())
    metrics = required_access("GET", "/metrics")
    assert metrics is not None
    refused = metrics.forbidden(nobody)
    assert (refused.code, refused.reason) == (403, "Forbidden")
    assert refused.message == ('forbidden: User "nobody" cannot get path "/metrics": requires the viewer role; '
                               'user "nobody" has no roles')
    listing = required_access("GET", f"{FLEET}/clusterstagedupdateruns")
    assert listing is not None and listing.forbidden(nobody).message.startswith(
        'clusterstagedupdateruns.placement.kubernetes-fleet.io is forbidden: User "nobody" cannot list resource '
        '"clusterstagedupdateruns" in API group "placement.kubernetes-fleet.io": requires the viewer role')
