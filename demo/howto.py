"""The how-to as a scenario: every command as the how-to writes it (`fleetstage` for `kubectl`), its real
output shown, and every outcome checked against what the how-to shows."""
from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import yaml

from demo import manifests
from demo.errors import ScenarioFailed
from demo.expected import first_difference, strip_times, succeeded_run_status
from demo.fleet import LocalFleet
from demo.narrator import Narrator
from demo.tables import parse_table, without

PLACEMENTS_API = "/apis/placement.kubernetes-fleet.io/v1beta1"
LATEST = "kubernetes-fleet.io/is-latest-snapshot"
SNAPSHOT_LABELS = (
    "kubernetes-fleet.io/is-latest-snapshot={latest},kubernetes-fleet.io/parent-CRP=example-placement,"
    "kubernetes-fleet.io/resource-index={index}"
)


def condition(doc: dict | None, type_: str) -> str | None:
    """The status ("True"/"False") of condition `type_` in a document, None when absent."""
    for cond in ((doc or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return cond.get("status")
    return None


Checkpoint = Callable[["HowTo", str], None]
"""What a scenario does at a named point of a run (given the how-to and the run's name), e.g. restart the hub."""


class HowTo:
    """Runs the how-to on a started LocalFleet, narrating and checking each step.

    `checkpoints` lets a scenario act at named points of every run and then carry on with the how-to:
    "initialized" (the run reported Initialized=True) and "approval-requested" (the canary approval
    request exists, not yet approved).
    """

    def __init__(self, fleet: LocalFleet, narrator: Narrator, *, wait_timeout: float = 120.0,
                 checkpoints: Mapping[str, Checkpoint] | None = None) -> None:
        self.fleet = fleet
        self.narrator = narrator
        self.wait_timeout = wait_timeout
        self.checkpoints = dict(checkpoints or {})
        self.approved_runs: list[str] = []
        self.checks = 0

    # building blocks -------------------------------------------------------------------------------
    def run(self, command: str, stdin: str | None = None, shown: str | None = None) -> str:
        """Run `fleetstage <command>`, show it and its output; a non-zero exit fails the scenario."""
        result = self.fleet.cli(shlex.split(command), stdin=stdin)
        display = shown or f"fleetstage {command}"
        if stdin is not None and shown is None:
            display += " << EOF\n" + stdin + "EOF"
        self.narrator.command(display, result.stdout + result.stderr)
        if result.returncode != 0:
            raise ScenarioFailed(f"`fleetstage {command}` exited with {result.returncode}: {result.stderr.strip()}")
        return result.stdout

    def check(self, ok: bool, what: str, detail: str = "") -> None:
        if not ok:
            self.narrator.fail(what)
            raise ScenarioFailed(f"{what}{': ' + detail if detail else ''}")
        self.checks += 1
        self.narrator.ok(what)

    def expect_output(self, output: str, expected: str) -> None:
        self.check(output.strip() == expected, f"output is {expected!r}", f"got {output.strip()!r}")

    def expect_table(self, output: str, expected: list[dict[str, str]]) -> None:
        rows = without(parse_table(output), "AGE")
        self.check(rows == expected, "table matches the how-to (ages aside)", f"got {rows}, expected {expected}")

    def wait(self, what: str, condition) -> None:
        with self.narrator.waiting(what):
            self.fleet.wait_for(condition, what, self.wait_timeout)

    def run_doc(self, name: str) -> dict | None:
        return self.fleet.api(f"{PLACEMENTS_API}/clusterstagedupdateruns/{name}")

    def approval_doc(self, name: str) -> dict | None:
        return self.fleet.api(f"{PLACEMENTS_API}/clusterapprovalrequests/{name}")

    def member_configmap(self, member: str) -> dict | None:
        path = self.fleet.target_dir(member) / "test-namespace" / "ConfigMap" / "test-cm.yaml"
        return yaml.safe_load(path.read_text()) if path.exists() else None

    @staticmethod
    def now() -> str:
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # the how-to ------------------------------------------------------------------------------------
    def play(self) -> None:
        self.prepare_resources()
        self.place()
        self.edit_configmap()
        self.apply_strategy()
        self.roll_out("example-run", "1", patch_with_file=False)
        self.check_members("value2")
        self.roll_out("example-run-2", "0", patch_with_file=True)
        self.check_members("value1")

    def prepare_resources(self) -> None:
        n = self.narrator
        n.section("Prerequisites: a namespace and a configmap on the hub")
        n.say("Member clusters: member1 (environment=canary, order=2), member2 (environment=staging), "
              "member3 (environment=canary, order=1).")
        self.expect_output(self.run("create ns test-namespace"), "namespace/test-namespace created")
        self.expect_output(self.run("create cm test-cm --from-literal=key=value1 -n test-namespace"),
                           "configmap/test-cm created")

    def place(self) -> None:
        n = self.narrator
        n.section("A ClusterResourcePlacement with an External strategy")
        self.expect_output(
            self.run("apply -f -", stdin=manifests.PLACEMENT),
            "clusterresourceplacement.placement.kubernetes-fleet.io/example-placement created",
        )
        n.say("Every cluster is scheduled (PickAll) but nothing is deployed yet: the CRP is not AVAILABLE.")
        self.wait("the placement is scheduled", lambda: condition(
            self.fleet.api(f"{PLACEMENTS_API}/clusterresourceplacements/example-placement"),
            "ClusterResourcePlacementScheduled") == "True")
        self.expect_table(self.run("get crp example-placement"), [
            {"NAME": "example-placement", "GEN": "1", "SCHEDULED": "True", "SCHEDULED-GEN": "1",
             "AVAILABLE": "", "AVAILABLE-GEN": ""}])
        n.section("Resource snapshots")
        self.expect_table(self.run("get clusterresourcesnapshots --show-labels"), [
            {"NAME": "example-placement-0-snapshot", "GEN": "1",
             "LABELS": SNAPSHOT_LABELS.format(latest="true", index=0)}])

    def edit_configmap(self) -> None:
        n = self.narrator
        n.say("Now change the configmap's value to value2 (the editor here is `sed`, standing in for a person).")
        self.fleet.env["EDITOR"] = "sed -i s/value1/value2/"
        self.run("edit cm test-cm -n test-namespace")
        shown = yaml.safe_load(self.run("get configmap test-cm -n test-namespace -o yaml"))
        self.check(shown.get("data") == {"key": "value2"}, "the hub's configmap holds key: value2", str(shown))
        self.wait("snapshot 1 exists", lambda: self.fleet.api(
            f"{PLACEMENTS_API}/clusterresourcesnapshots/example-placement-1-snapshot") is not None)
        self.expect_table(self.run("get clusterresourcesnapshots --show-labels"), [
            {"NAME": "example-placement-0-snapshot", "GEN": "1",
             "LABELS": SNAPSHOT_LABELS.format(latest="false", index=0)},
            {"NAME": "example-placement-1-snapshot", "GEN": "1",
             "LABELS": SNAPSHOT_LABELS.format(latest="true", index=1)}])
        snapshot = yaml.safe_load(self.run("get clusterresourcesnapshots example-placement-1-snapshot -o yaml"))
        selected = snapshot["spec"]["selectedResources"]
        self.check(
            [r["kind"] for r in selected] == ["Namespace", "ConfigMap"] and selected[1]["data"] == {"key": "value2"},
            "snapshot 1 holds the namespace and the configmap with value2", str(selected))

    def apply_strategy(self) -> None:
        self.narrator.section("A ClusterStagedUpdateStrategy: staging, a 1m wait, then canary in order, then approval")
        self.expect_output(
            self.run("apply -f -", stdin=manifests.STRATEGY),
            "clusterstagedupdatestrategy.placement.kubernetes-fleet.io/example-strategy created",
        )

    def start_run(self, run: str, index: str) -> None:
        """Create the run for snapshot `index` and check that it initializes as the how-to shows."""
        self.narrator.section(f"ClusterStagedUpdateRun {run}: resource snapshot {index}")
        self.expect_output(
            self.run("apply -f -", stdin=manifests.update_run(run, index)),
            f"clusterstagedupdaterun.placement.kubernetes-fleet.io/{run} created",
        )
        self.wait(f"{run} is initialized", lambda: condition(self.run_doc(run), "Initialized") == "True")
        rows = without(parse_table(self.run(f"get csur {run}")), "AGE", "SUCCEEDED")
        self.check(rows == [{"NAME": run, "PLACEMENT": "example-placement", "RESOURCE-SNAPSHOT": index,
                             "POLICY-SNAPSHOT": "0", "INITIALIZED": "True"}],
                   "the run is initialized with the how-to's columns", str(rows))
        self.reach("initialized", run)

    def reach(self, checkpoint: str, run: str) -> None:
        """Let the scenario act at `checkpoint` of `run` (see the class docstring)."""
        action = self.checkpoints.get(checkpoint)
        if action is not None:
            action(self, run)

    def roll_out(self, run: str, index: str, *, patch_with_file: bool) -> None:
        n = self.narrator
        self.start_run(run, index)
        approval = f"{run}-canary"
        started = time.monotonic()
        self.wait(f"stage canary waits for approval {approval}", lambda: self.approval_doc(approval) is not None)
        n.say(f"Stage staging finished after its 1m TimedWait (accelerated: {time.monotonic() - started:.1f}s); "
              "canary updated member3 then member1 and now waits for approval.")
        self.expect_table(self.run("get clusterapprovalrequest"), self.approval_rows(run, approved=False))
        self.reach("approval-requested", run)
        self.approve(approval, patch_with_file)
        self.wait(f"{approval} is accepted", lambda: condition(self.approval_doc(approval), "ApprovalAccepted") == "True")
        self.expect_table(self.run("get clusterapprovalrequest"), self.approval_rows(run, approved=True))
        self.wait(f"{run} succeeded", lambda: condition(self.run_doc(run), "Succeeded") == "True")
        self.expect_table(self.run(f"get csur {run}"), [
            {"NAME": run, "PLACEMENT": "example-placement", "RESOURCE-SNAPSHOT": index, "POLICY-SNAPSHOT": "0",
             "INITIALIZED": "True", "SUCCEEDED": "True"}])
        self.expect_table(self.run("get crp example-placement"), [
            {"NAME": "example-placement", "GEN": "1", "SCHEDULED": "True", "SCHEDULED-GEN": "1",
             "AVAILABLE": "True", "AVAILABLE-GEN": "1"}])
        document = yaml.safe_load(self.run(f"get csur {run} -o yaml"))
        actual = strip_times({"spec": document.get("spec"), "status": document.get("status")})
        diff = first_difference(actual, succeeded_run_status(run, index))
        self.check(diff is None, "the run's status document equals the how-to's", diff or "")
        self.approved_runs.append(run)

    def approval_rows(self, run: str, *, approved: bool) -> list[dict[str, str]]:
        """The how-to's approval table rows up to this run (earlier runs' requests stay approved)."""
        runs = [*self.approved_runs, run]
        return sorted((
            {"NAME": f"{r}-canary", "UPDATE-RUN": r, "STAGE": "canary",
             "APPROVED": "True" if approved or r != run else "",
             "APPROVALACCEPTED": "True" if approved or r != run else ""}
            for r in runs
        ), key=lambda row: row["NAME"])

    def approve(self, approval: str, with_file: bool) -> None:
        if with_file:
            path = self.fleet.workdir / "approval.json"
            path.write_text(manifests.approval_json(self.now()))
            self.narrator.say("Approve with the how-to's approval.json patch file:")
            out = self.run(f"patch clusterapprovalrequests {approval} --type=merge --subresource=status "
                           f"--patch-file {path}")
        else:
            patch = manifests.approval_patch(self.now())
            out = self.run(f"patch clusterapprovalrequests {approval} --type=merge -p {shlex.quote(patch)} "
                           "--subresource=status")
        self.expect_output(out, f"clusterapprovalrequest.placement.kubernetes-fleet.io/{approval} patched")

    def check_members(self, value: str) -> None:
        self.narrator.say(f"The configmap test-cm as found in each member cluster's target directory:")
        for member in sorted(m.name for m in self.fleet.members):
            found = self.member_configmap(member)
            data = (found or {}).get("data")
            self.narrator.command(f"cat {Path('members', member, 'test-namespace/ConfigMap/test-cm.yaml')}",
                                  yaml.safe_dump({"data": data}) if found else "(missing)")
            self.check(data == {"key": value}, f"{member} holds key: {value}", str(found))
