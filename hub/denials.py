"""Auditing refused approvals: a `fleetstage.access.denied` event on the `fleet` stream, actor = the user.

The event names the approval request and, when it exists, its run, stage and placement, so
`fleetstage audit --run R` and `--placement P` show the refusal beside the run's own events. The API
answers 403 only after the read side has it (read-your-writes), so the next `fleetstage audit` shows it.
"""
from __future__ import annotations

import logging

from eventstore import Event, EventStore
from fleetevents.access import AccessDenied
from fleetevents.streams import FLEET, object_subject
from hub.access import APPROVAL_KIND, Access
from hub.readmodel import ReadModel
from hub.tokens import Identity
from orchestrator.clock import Clock

log = logging.getLogger(__name__)

RUN_KIND = "ClusterStagedUpdateRun"


class DenialRecorder:
    """Appends the audit event of a refused approval."""

    def __init__(self, store: EventStore, read: ReadModel, clock: Clock, *, read_timeout: float = 10.0) -> None:
        self._store = store
        self._read = read
        self._clock = clock
        self._read_timeout = read_timeout

    async def record(self, identity: Identity, access: Access) -> None:
        name = access.target.name if access.target is not None and access.target.name else ""
        approval = await self._read.get(APPROVAL_KIND, name) if name else None
        spec = (approval or {}).get("spec") or {}
        run_name = spec.get("parentStageRollout")
        run = await self._read.get(RUN_KIND, run_name) if run_name else None
        data = AccessDenied(
            name=name,
            run=run_name,
            stage=spec.get("targetStage"),
            placement=((run or {}).get("spec") or {}).get("placementName"),
            verb=access.verb,
            resource=access.resource,
            missing_role=access.role.value,
            roles=identity.role_names(),
            message=f"approval refused: the {access.role.value} role is required",
        )
        event = Event(type=self._store.registry.type_of(AccessDenied), subject=object_subject(APPROVAL_KIND, name),
                      data=data, stream=FLEET, actor=identity.name, time=self._clock.now(),
                      source="fleetstage/api")
        [position] = await self._store.append([event])
        try:
            await self._read.wait_for({FLEET: {position.partition: position.offset + 1}}, self._read_timeout)
        except TimeoutError:
            log.warning("the refused approval of %s by %s is recorded, but the audit trail did not show it within "
                        "%gs; is `fleetstage projections` running?", name, identity.name, self._read_timeout)
