"""The how-to's commands, verbatim with `kubectl` as a shell function running `fleetstage`, against a
real `fleetstage up` process (hub + simulated members, embedded store, clock 60x: the 1m wait is 1s)."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

import pytest

from demo import manifests
from tests.cli.procs import BIN, TIMEOUT, Shell, free_port, wait_healthy

AGE = r"\S+"

SHELL_NOW = "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
"""The how-to's approval time: the shell's `date` at the moment of the patch."""
INLINE_SHELL_NOW = f"'{SHELL_NOW}'"
"""The same inside the how-to's inline patch, which leaves and re-enters a single-quoted word around it."""


def kubectl_apply(manifest: str) -> str:
    """The how-to's `kubectl apply -f - << EOF` of `manifest`."""
    return f"kubectl apply -f - << EOF\n{manifest}EOF"


PLACEMENT = kubectl_apply(manifests.PLACEMENT)
STRATEGY = kubectl_apply(manifests.STRATEGY)
PATCH_INLINE = (
    "kubectl patch clusterapprovalrequests example-run-canary --type=merge"
    f" -p {manifests.approval_patch(INLINE_SHELL_NOW)} --subresource=status"
)
PATCH_FILE = (
    f"cat << EOF > approval.json\n{manifests.approval_json(SHELL_NOW)}EOF\n"
    "kubectl patch clusterapprovalrequests example-run-2-canary --type='merge' --subresource=status"
    " --patch-file approval.json"
)


@pytest.fixture(scope="module")
def sh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    workdir = tmp_path_factory.mktemp("howto")
    port = free_port()
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "FLEETSTAGE_SERVER": f"http://127.0.0.1:{port}",
           "FLEETSTAGE_USER": "alice"}
    log = (workdir / "hub.log").open("w")
    hub = subprocess.Popen([str(BIN / "fleetstage"), "up", "--port", str(port), "--time-scale", "60"],
                           cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", hub, workdir / "hub.log")
        yield Shell(workdir, env)
    finally:
        hub.terminate()
        hub.wait(timeout=TIMEOUT)
        log.close()


def test_howto_rollout_and_rollback(sh: Shell) -> None:
    assert sh("kubectl create ns test-namespace").stdout == "namespace/test-namespace created\n"
    assert sh("kubectl create cm test-cm --from-literal=key=value1 -n test-namespace").stdout == \
        "configmap/test-cm created\n"
    assert sh(PLACEMENT).stdout == "clusterresourceplacement.placement.kubernetes-fleet.io/example-placement created\n"
    assert sh(PLACEMENT).stdout == \
        "clusterresourceplacement.placement.kubernetes-fleet.io/example-placement unchanged\n"
    assert re.fullmatch(
        "NAME                GEN   SCHEDULED   SCHEDULED-GEN   AVAILABLE   AVAILABLE-GEN   AGE\n"
        f"example-placement   1     True        1                                           {AGE}\n",
        sh("kubectl get crp example-placement").stdout)
    sh.until("kubectl get clusterresourcesnapshots --show-labels",
             r"^example-placement-0-snapshot +1 +\S+ +kubernetes-fleet.io/is-latest-snapshot=true,"
             r"kubernetes-fleet.io/parent-CRP=example-placement,kubernetes-fleet.io/resource-index=0$")

    assert sh('EDITOR="sed -i s/value1/value2/" kubectl edit cm test-cm -n test-namespace').stdout == \
        "configmap/test-cm edited\n"
    assert "\ndata:\n  key: value2\nkind: ConfigMap\n" in \
        sh("kubectl get configmap test-cm -n test-namespace -o yaml").stdout
    assert sh("EDITOR=true kubectl edit cm test-cm -n test-namespace").stdout == "Edit cancelled, no changes made.\n"
    snapshots = sh.until("kubectl get clusterresourcesnapshots --show-labels", r"^example-placement-1-snapshot ")
    assert ("is-latest-snapshot=false,kubernetes-fleet.io/parent-CRP=example-placement,"
            "kubernetes-fleet.io/resource-index=0") in snapshots
    assert "key: value2" in sh("kubectl get clusterresourcesnapshots example-placement-1-snapshot -o yaml").stdout

    assert sh(STRATEGY).stdout == \
        "clusterstagedupdatestrategy.placement.kubernetes-fleet.io/example-strategy created\n"
    assert sh(kubectl_apply(manifests.FIRST_RUN)).stdout == \
        "clusterstagedupdaterun.placement.kubernetes-fleet.io/example-run created\n"
    assert re.fullmatch(
        "NAME          PLACEMENT           RESOURCE-SNAPSHOT   POLICY-SNAPSHOT   INITIALIZED   SUCCEEDED   AGE\n"
        f"example-run   example-placement   1                   0                 True                      {AGE}\n",
        sh("kubectl get csur example-run").stdout)

    watch = subprocess.Popen(["fleetstage", "get", "csur", "example-run", "-w"], cwd=sh.cwd, env=sh.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert watch.stdout is not None
        seen = []
        for line in watch.stdout:
            seen.append(line.rstrip("\n"))
            if "waiting for approval" in line:
                break
        assert "example-run: stage staging: member2 succeeded" in seen
        assert seen[-1] == \
            "example-run: stage canary: Approval: waiting for approval: fleetstage approve example-run-canary"
        assert re.fullmatch(
            "NAME                 UPDATE-RUN    STAGE    APPROVED   APPROVALACCEPTED   AGE\n"
            f"example-run-canary   example-run   canary                                 {AGE}\n",
            sh("kubectl get clusterapprovalrequest").stdout)
        assert sh(PATCH_INLINE).stdout == \
            "clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-canary patched\n"
        rest, _ = watch.communicate(timeout=TIMEOUT)
    finally:
        watch.kill()
    assert watch.returncode == 0 and rest.splitlines()[-1] == "example-run: succeeded"
    assert re.fullmatch(
        "NAME                 UPDATE-RUN    STAGE    APPROVED   APPROVALACCEPTED   AGE\n"
        f"example-run-canary   example-run   canary   True       True               {AGE}\n",
        sh("kubectl get clusterapprovalrequest").stdout)
    assert re.search(r"^example-run +example-placement +1 +0 +True +True +\S+$",
                     sh("kubectl get csur example-run").stdout, re.MULTILINE)
    assert re.search(r"^example-placement +1 +True +1 +True +1 +\S+$",
                     sh("kubectl get crp example-placement").stdout, re.MULTILINE)
    member_cm = sh.cwd / ".fleetstage" / "members" / "member1" / "test-namespace" / "ConfigMap" / "test-cm.yaml"
    assert "key: value2" in member_cm.read_text()

    sh(kubectl_apply(manifests.ROLLBACK_RUN))
    sh.until("kubectl get clusterapprovalrequest", r"^example-run-2-canary ")
    assert sh(PATCH_FILE).stdout == \
        "clusterapprovalrequest.placement.kubernetes-fleet.io/example-run-2-canary patched\n"
    sh.until("kubectl get csur example-run-2", r"^example-run-2 +example-placement +0 +0 +True +True ")
    assert "key: value1" in member_cm.read_text()
    status = sh("kubectl get csur example-run-2 -o yaml").stdout
    assert "    reason: UpdateRunSucceeded\n" in status and "approvalRequestName: example-run-2-canary" in status

    history = sh("fleetstage history --run example-run-2 --actor alice --since 24h").stdout
    assert "run.created ClusterStagedUpdateRun example-run-2" in history
    assert sh("fleetstage history --run example-run-2 --since 2999-01-01T00:00:00Z").stderr == \
        "No audit entries found.\n"
    diff = sh("fleetstage diff snapshot example-placement 0 1").stdout
    assert "-  key: value1\n+  key: value2\n" in diff


def test_errors_are_one_clear_line_and_a_failure_status(sh: Shell) -> None:
    missing = sh("kubectl get csur nothing-here", check=False)
    assert missing.returncode == 1
    assert missing.stderr == ('Error from server (NotFound): clusterstagedupdateruns.placement.kubernetes-fleet.io '
                              '"nothing-here" not found\n')
    unknown = sh("kubectl get csurr", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith('error: the server doesn\'t have a resource type "csurr"; did you mean "csur"')
    invalid = sh("kubectl apply -f - <<EOF\napiVersion: placement.kubernetes-fleet.io/v1beta1\n"
                 "kind: ClusterStagedUpdateStrategy\nmetadata:\n  name: bad\nspec:\n  stages:\n"
                 "    - name: Staging\nEOF", check=False)
    assert invalid.returncode == 1
    assert invalid.stderr.startswith(
        'error: STDIN: document 1: ClusterStagedUpdateStrategy "bad": spec.stages[0].name: ')
    unreachable = sh("FLEETSTAGE_SERVER=http://127.0.0.1:9 kubectl get crp", check=False)
    assert unreachable.returncode == 1
    assert "cannot reach the fleetstage hub at http://127.0.0.1:9" in unreachable.stderr
    assert "`fleetstage up`" in unreachable.stderr


QUICK = """kubectl create ns other-ns >/dev/null
kubectl apply -f - << EOF
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata:
  name: other-placement
spec:
  resourceSelectors:
    - {group: "", kind: Namespace, name: other-ns, version: v1}
  strategy:
    type: External
---
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: one-stage
spec:
  stages:
    - name: all
      labelSelector: {}
      afterStageTasks:
        - type: Approval
EOF"""

QUICK_RUN = """kubectl apply -f - << EOF
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: quick-run
spec:
  placementName: other-placement
  stagedRolloutStrategyName: one-stage
EOF"""


def test_approve_watch_tables_describe_and_delete(sh: Shell) -> None:
    assert sh(QUICK).stdout == (
        "clusterresourceplacement.placement.kubernetes-fleet.io/other-placement created\n"
        "clusterstagedupdatestrategy.placement.kubernetes-fleet.io/one-stage created\n"
    )
    watch = subprocess.Popen(["fleetstage", "get", "clusterapprovalrequests", "-l",
                              "kubernetes-fleet.io/targetUpdateRun=quick-run", "-w"],
                             cwd=sh.cwd, env=sh.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sh(QUICK_RUN)
        sh.until("kubectl get careq quick-run-all", r"^quick-run-all ")
        assert sh('fleetstage approve quick-run-all --message "ship it"').stdout == \
            "clusterapprovalrequest.placement.kubernetes-fleet.io/quick-run-all approved\n"
        assert watch.stdout is not None
        rows = []
        for line in watch.stdout:
            rows.append(line.rstrip("\n"))
            if re.match(r"quick-run-all +quick-run +all +True +True ", line):
                break
    finally:
        watch.kill()
        watch.wait()
    assert rows[0].split() == ["NAME", "UPDATE-RUN", "STAGE", "APPROVED", "APPROVALACCEPTED", "AGE"]
    assert sh("kubectl wait csur/quick-run --for=condition=succeeded --timeout=30s").stdout == \
        "clusterstagedupdaterun.placement.kubernetes-fleet.io/quick-run condition met\n"
    too_soon = sh("kubectl wait csur quick-run --for=condition=Succeeded=False --timeout=1s", check=False)
    assert too_soon.returncode == 1
    assert too_soon.stderr == "error: timed out waiting for the condition on clusterstagedupdateruns/quick-run\n"
    assert sh("kubectl get memberclusters -l environment=canary -o name").stdout == (
        "membercluster.cluster.kubernetes-fleet.io/member1\nmembercluster.cluster.kubernetes-fleet.io/member3\n")
    described = sh("kubectl describe careq quick-run-all").stdout
    assert described.startswith("Name:        quick-run-all\n")
    assert re.search(r"^    Message: +ship it$", described, re.MULTILINE)
    assert re.search(r"^  Normal +approval\.granted +\S+ +alice +name=quick-run-all ", described, re.MULTILINE)
    assert sh("kubectl delete csur quick-run").stdout == \
        'clusterstagedupdaterun.placement.kubernetes-fleet.io "quick-run" deleted\n'
    assert sh("kubectl wait careq/quick-run-all --for=delete").stdout == \
        "clusterapprovalrequest.placement.kubernetes-fleet.io/quick-run-all deleted\n"
    gone = sh("kubectl get careq quick-run-all", check=False)
    assert gone.returncode == 1 and "(NotFound)" in gone.stderr
