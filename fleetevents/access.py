"""Security events of the hub API (stream `fleet`, subject = the object concerned, e.g.
`ClusterApprovalRequest/example-run-canary`): refusals worth an audit entry. Orchestrators and read
models ignore them; the audit trail (`fleetstage audit`) shows them, with the refused user as actor."""
from fleetevents.base import Payload, registry


@registry.event("fleetstage.access.denied")
class AccessDenied(Payload):
    """The API refused a user an approval for want of the approver role (nothing else changed).

    `name` is the ClusterApprovalRequest; `run`, `stage` and `placement` are null when it does not exist.
    """

    name: str
    run: str | None
    stage: str | None
    placement: str | None
    verb: str
    resource: str
    missing_role: str
    roles: list[str]
    message: str
