"""The services as separate processes (`fleetstage orchestrator`, `api`, `agent`, `projections rebuild`)
and `fleetstage up --detach` / `down`, on one embedded store."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.cli.procs import BIN, TIMEOUT, Shell, free_port, wait_healthy

APPLY = """kubectl create ns n1 >/dev/null
kubectl apply -f - << EOF
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata:
  name: p
spec:
  resourceSelectors: [{group: "", kind: Namespace, name: n1, version: v1}]
  strategy: {type: External}
---
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateStrategy
metadata:
  name: s
spec:
  stages: [{name: all, labelSelector: {}}]
---
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterStagedUpdateRun
metadata:
  name: r
spec: {placementName: p, stagedRolloutStrategyName: s}
EOF"""


@contextmanager
def service(workdir: Path, name: str, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """`fleetstage <args>` in the background; SIGTERM (a clean stop) when the block ends."""
    with (workdir / f"{name}.log").open("wb") as log:
        process = subprocess.Popen([str(BIN / "fleetstage"), *args], cwd=workdir, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=TIMEOUT) == 0, (workdir / f"{name}.log").read_text()


def test_orchestrator_api_and_agent_as_separate_processes_then_rebuild(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'events.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sh = Shell(tmp_path, {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "FLEETSTAGE_SERVER": url})
    api_args = ("api", "--no-auth", "--store", store, "--port", str(port))
    with service(tmp_path, "orchestrator", "orchestrator", "--store", store), \
            service(tmp_path, "agent", "agent", "--store", store, "--cluster", "m1", "--labels", "env=a",
                    "--target", f"dir:{tmp_path / 'm1'}", "--heartbeat", "1s"):
        with service(tmp_path, "api", *api_args) as api:
            wait_healthy(url, api, tmp_path / "api.log")
            sh.until("kubectl get memberclusters --show-labels", r"^m1 +True +True +\S+ +env=a$")
            sh(APPLY)
            sh.until("kubectl get csur r", r"^r +p +0 +True +True ")
        assert (tmp_path / "m1" / "_cluster" / "Namespace" / "n1.yaml").is_file()
        rebuilt = sh(f"fleetstage projections rebuild --store {store}").stdout
        assert rebuilt == f"read models rebuilt in {Path('.fleetstage') / 'events.projections.db'}\n"
        with service(tmp_path, "api-again", *api_args) as api:
            wait_healthy(url, api, tmp_path / "api-again.log")
            sh.until("kubectl get csur,crp", r"^clusterstagedupdaterun.placement.kubernetes-fleet.io/r +p +0 +True +True ")


def test_up_detached_then_down(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "FLEETSTAGE_SERVER": f"http://127.0.0.1:{port}"}
    sh = Shell(tmp_path, env)
    started = sh(f"fleetstage up --detach --port {port} --member solo=env=x,order=1").stdout
    pid = int((tmp_path / ".fleetstage" / "up.pid").read_text())
    try:
        assert started.startswith(f"fleetstage hub running on http://127.0.0.1:{port} (pid {pid}")
        sh.until("kubectl get memberclusters --show-labels", r"^solo +True +True +\S+ +env=x,order=1$")
        assert sh("fleetstage down").stdout == f"stopped the hub (pid {pid})\n"
        deadline = time.monotonic() + TIMEOUT
        while _alive(pid):
            assert time.monotonic() < deadline, "the detached hub did not stop"
            time.sleep(0.1)
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    assert not (tmp_path / ".fleetstage" / "up.pid").exists()


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
