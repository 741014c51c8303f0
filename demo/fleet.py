"""Starts a local fleet as separate processes (a hub and one agent per member cluster) and stops it.

Each process is the real `fleetstage` command; logs go to files in the work directory so a failure can
show what the hub or an agent said.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

import httpx

from demo.errors import ScenarioFailed


@dataclass(frozen=True)
class Member:
    name: str
    labels: dict[str, str] = field(default_factory=dict)

    def label_arg(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.labels.items())


def fleetstage_command() -> list[str]:
    """How to run the `fleetstage` console script of this installation."""
    script = Path(sys.executable).with_name("fleetstage")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalFleet:
    """A hub and member agents, each its own process, on one store URL."""

    def __init__(
        self,
        workdir: Path,
        store_url: str,
        members: list[Member],
        *,
        time_scale: float = 1.0,
        agent_args: dict[str, list[str]] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.workdir = workdir
        self.store_url = store_url
        self.members = members
        self.clock_args = ["--time-scale", str(time_scale),
                           "--time-epoch", datetime.now(timezone.utc).isoformat(timespec="seconds")]
        """Every process gets the same scaled clock, so they agree on the time across restarts."""
        self.agent_args = agent_args or {}
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.server = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {**os.environ, "FLEETSTAGE_SERVER": self.server, "NO_COLOR": "1"}

    # lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> "LocalFleet":
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_hub()
            for member in self.members:
                self.start_agent(member)
            self.wait_for(self.members_joined, "every member cluster joins the fleet", self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start_hub(self) -> None:
        self.spawn(
            "hub",
            ["hub", "--no-auth", "--store", self.store_url, "--port", str(self.port),
             *self.clock_args, "--projections-db", str(self.workdir / "projections.db")],
        )
        self.wait_for(self.hub_ready, "the hub answers on " + self.server, self.startup_timeout)

    def stop_hub(self) -> int | None:
        """Stop the hub with SIGTERM; its exit status (None when it was not running)."""
        return self.terminate("hub")

    def start_agent(self, member: Member) -> None:
        self.spawn(
            member.name,
            ["agent", "--store", self.store_url, "--cluster", member.name, "--labels", member.label_arg(),
             "--target", f"dir:{self.target_dir(member.name)}", *self.clock_args, *self.agent_args.get(member.name, [])],
        )

    def spawn(self, name: str, args: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [*fleetstage_command(), *args], stdout=log, stderr=subprocess.STDOUT, env=self.env,
            stdin=subprocess.DEVNULL,
        )
        log.close()

    def terminate(self, name: str, timeout: float = 15.0) -> int | None:
        """SIGTERM the process `name` (SIGKILL after `timeout`); its exit status, None if it was not running."""
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return None
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
        except BaseException:  # interrupted while waiting (Ctrl-C, a test timeout): leave nothing running
            proc.kill()
            raise

    def stop(self) -> None:
        try:
            for name in [n for n in self.processes if n != "hub"] + ["hub"]:
                self.terminate(name)
        finally:  # stopping was interrupted: kill what is left
            for proc in self.processes.values():
                proc.kill()
                proc.wait()
            self.processes.clear()

    # queries -------------------------------------------------------------------------------------
    def target_dir(self, member: str) -> Path:
        return self.workdir / "members" / member

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise ScenarioFailed(f"the {name} process exited with {proc.returncode}:\n{self.log_tail(name)}")

    def api(self, path: str) -> dict | None:
        """GET a document from the hub's API; None when it does not exist."""
        response = httpx.get(self.server + path, timeout=10)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def hub_ready(self) -> bool:
        try:
            return httpx.get(self.server + "/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def members_joined(self) -> bool:
        found = self.api("/apis/cluster.kubernetes-fleet.io/v1beta1/memberclusters") or {}
        names = {item["metadata"]["name"] for item in found.get("items", [])}
        return names >= {m.name for m in self.members}

    def wait_for(self, condition, what: str, timeout: float) -> None:
        """Poll `condition` until it holds; fail with `what` and the process logs after `timeout`."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while not condition():
            self.check_alive()
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {n}.log\n{self.log_tail(n)}" for n in ["hub", *[m.name for m in self.members]])
                raise ScenarioFailed(f"timed out after {timeout:.0f}s waiting until {what}\n{logs}")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def cli(self, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run one `fleetstage` command against this fleet's hub."""
        return subprocess.run(
            [*fleetstage_command(), *args], input=stdin, capture_output=True, text=True, env=self.env, timeout=120,
        )
