"""`MemberAgent`: the agent of one member cluster.

It joins the fleet with its labels, heartbeats, applies the commands addressed to its cluster to its
target and reports each outcome (see `agents.host` for the life cycle, `agents.member` for the
per-command protocol). It consumes the `agents` stream as its own group `agent-<cluster>` and skips
the commands of other clusters: a group per agent keeps its position independent of every other agent
and lets the store commit the report together with the position (exactly once). Reading only the
partition of its cluster would save the skipping but would need a hand-kept position outside the
store's transactions.
"""
from __future__ import annotations

from collections.abc import Mapping

from agents.applier import ApplySettings
from agents.host import AgentHost
from agents.member import Member
from agents.targets.base import Target
from eventstore import EventStore
from orchestrator.clock import Clock


def agent_group(cluster: str) -> str:
    """The consumer group of the agent of `cluster`."""
    return f"agent-{cluster}"


class MemberAgent(AgentHost):
    """`async with MemberAgent(store, "member1", {"environment": "canary"}, DirectoryTarget(path)):`."""

    def __init__(
        self,
        store: EventStore,
        cluster: str,
        labels: Mapping[str, str],
        target: Target,
        *,
        heartbeat_interval: float = 10.0,
        clock: Clock | None = None,
        settings: ApplySettings | None = None,
    ) -> None:
        self.member = Member(cluster, dict(labels), target, settings or ApplySettings())
        super().__init__(
            store, [self.member], group=agent_group(cluster), heartbeat_interval=heartbeat_interval, clock=clock
        )

    @property
    def cluster(self) -> str:
        return self.member.name

    @property
    def target(self) -> Target:
        return self.member.target
