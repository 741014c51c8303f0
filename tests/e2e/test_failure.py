"""A member cluster that cannot apply: the how-to's first run stops at that cluster with the agent's
reason, the next cluster of the stage is never touched, and once the member is fixed a new run for the
same snapshot rolls the change out everywhere; deleting the placement then removes its objects from every
member — real hub and agent processes, embedded store and Kafka."""
import pytest

from demo.fleet import LocalFleet, Member
from demo.howto import HowTo, condition
from demo.manifests import MEMBERS
from demo.narrator import Narrator
from demo.tables import parse_table
from tests.e2e.support import (
    BACKENDS, SCENARIO_TIMEOUT, cluster, conditions, ledger,
    ledger_runs, stage, store_url,
)

MEMBERS_API = "/apis/cluster.kubernetes-fleet.io/v1beta1/memberclusters"
BROKEN = "member3"  # first in the canary stage (order=1); member1 (order=2) comes after it
FAULT = ["--fail-on", "ConfigMap/test-namespace/test-cm"]


def member(name: str) -> Member:
    return next(m for m in MEMBERS if m.name == name)


def restart_without_fault(howto: HowTo, name: str) -> None:
    """Stop the member's agent (it leaves the fleet), start it again without injected faults (it rejoins)."""
    fleet = howto.fleet

    def joined() -> str | None:
        return condition(fleet.api(f"{MEMBERS_API}/{name}"), "Joined")

    assert fleet.terminate(name) == 0, f"the agent of {name} did not stop cleanly on SIGTERM"
    howto.wait(f"{name} has left the fleet", lambda: joined() == "False")
    fleet.agent_args.pop(name)
    fleet.start_agent(member(name))
    howto.wait(f"{name} has joined the fleet again", lambda: joined() == "True")


@pytest.mark.timeout(SCENARIO_TIMEOUT)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_apply_stops_the_run_and_a_new_run_recovers(backend, tmp_path, request):
    url = store_url(backend, tmp_path, request)
    with LocalFleet(tmp_path, url, MEMBERS, time_scale=60, agent_args={BROKEN: FAULT}) as fleet:
        howto = HowTo(fleet, Narrator(plain=True), wait_timeout=60)
        howto.prepare_resources()
        howto.place()
        howto.edit_configmap()
        howto.apply_strategy()
        howto.start_run("example-run", "1")
        howto.wait("example-run has failed", lambda: condition(howto.run_doc("example-run"), "Succeeded") == "False")

        doc = howto.run_doc("example-run")
        canary = stage(doc, "canary")
        status, reason, message = conditions(cluster(canary, BROKEN))["Succeeded"]
        assert (status, reason) == ("False", "ClusterUpdatingFailed")
        assert "ConfigMap test-namespace/test-cm" in message and "injected failure" in message, message
        # the stage and the run fail with the cause: the cluster that failed
        for part, reason in [(canary, "StageUpdatingFailed"), (doc, "UpdateRunFailed")]:
            status, got, message = conditions(part)["Succeeded"]
            assert (status, got) == ("False", reason) and BROKEN in message, conditions(part)["Succeeded"]
        # the stage before it went through; the cluster after it was never started nor touched
        assert conditions(stage(doc, "staging"))["Succeeded"][:2] == ("True", "StageUpdatingSucceeded")
        assert "Started" not in conditions(cluster(canary, "member1"))
        assert howto.member_configmap("member1") is None
        assert ledger(fleet, "member1") == []
        # nothing further starts: no approval is asked for
        assert howto.approval_doc("example-run-canary") is None
        [failed] = ledger(fleet, BROKEN)
        assert (failed["run"], failed["succeeded"], failed["attempts"]) == ("example-run", False, 5)
        [row] = parse_table(howto.run("get csur example-run"))
        assert (row["INITIALIZED"], row["SUCCEEDED"]) == ("True", "False")

        restart_without_fault(howto, BROKEN)
        howto.roll_out("example-run-3", "1", patch_with_file=False)
        howto.check_members("value2")
        assert ledger_runs(fleet, BROKEN) == [("example-run", False), ("example-run-3", True)]
        assert ledger_runs(fleet, "member1") == [("example-run-3", True)]
        assert ledger_runs(fleet, "member2") == [("example-run", True), ("example-run-3", True)]

        # deleting the placement removes its objects from every member, as Fleet does, and says so in the ledger
        howto.run("delete crp example-placement")
        howto.wait("the placement's objects are gone from every member",
                   lambda: all(howto.member_configmap(m.name) is None for m in MEMBERS))
        for m in MEMBERS:
            assert ledger_runs(fleet, m.name)[-1] == ("", True), ledger(fleet, m.name)
            assert not (fleet.target_dir(m.name) / "test-namespace").exists()
