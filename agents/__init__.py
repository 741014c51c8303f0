"""Member-cluster agents: join the fleet, apply the commands of their cluster to a target, report outcomes.

- `MemberAgent` (agents.agent): the agent of one cluster.
- `SimulatedFleet` (agents.fleet_simulator): many simulated clusters in one process, one subscription.
- Targets (agents.targets): a directory of YAML files, failure injection, a Kubernetes cluster.
- `run_agent` / `run_simulated` (agents.cli): the process entry points the `fleetstage agent` command calls.
"""
from agents.agent import MemberAgent, agent_group
from agents.applier import ApplySettings, RetryPolicy
from agents.ledger import FileLedger, LedgerEntry, LedgerKey, Outcome

__all__ = [
    "ApplySettings",
    "FileLedger",
    "LedgerEntry",
    "LedgerKey",
    "MemberAgent",
    "Outcome",
    "RetryPolicy",
    "agent_group",
]
