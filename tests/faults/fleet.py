"""`SplitFleet`: a fleet whose services each run as their own `fleetstage` process on one Kafka store,
so a test can SIGKILL any of them (or the broker under them) and start it again.

Processes (names used by `start`, `kill`, `restart`...): `orchestrator` (more: `start("orchestrator-2")`),
`projections`, `api` (with its own read-model file, as two runners may not share one) and `agent` (one
process simulating every member cluster, `--simulate N`, targets under `<workdir>/members/<cluster>`).
Logs go to `<workdir>/<name>.log`, appended across restarts.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from demo.fleet import fleetstage_command, free_port

STUCK_THRESHOLD = "24h"
"""Far beyond any run here: a restarted agent never turns a run `stuck` (informational, but noisy)."""


class FleetError(AssertionError):
    """A fleet process died or hung, or a wait timed out (the message carries the logs)."""


class SplitFleet:
    """The services of a fleet as separate processes (see the module docstring)."""

    def __init__(self, workdir: Path, store_url: str, clusters: int, *, time_scale: float) -> None:
        self.workdir = workdir
        self.store_url = store_url
        self.clusters = clusters
        self.time_scale = time_scale
        self.port = free_port()
        self.server = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FLEETSTAGE_SERVER": self.server, "NO_COLOR": "1"}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.killed: list[str] = []
        """Processes that were killed or left (their logs are shown on failure too)."""
        self._restarting: dict[str, asyncio.Lock] = {}
        self.crashes: list[str] = []
        """While `supervised`: processes that exited by themselves or did not stop on SIGTERM (with log tails)."""
        self._supervising = False

    # --- the processes -------------------------------------------------------------------------------
    def args(self, name: str) -> list[str]:
        """The `fleetstage` arguments of process `name`."""
        store = ["--store", self.store_url]
        scale = ["--time-scale", str(self.time_scale)]
        if name.startswith("orchestrator"):
            return ["orchestrator", *store, *scale, "--stuck-threshold", STUCK_THRESHOLD]
        if name == "projections":
            return ["projections", *store, "--projections-db", str(self.read_model("projections"))]
        if name == "api":
            return ["api", *store, *scale, "--port", str(self.port), "--projections-db", str(self.read_model("api")),
                    "--no-auth"]
        if name == "agent":
            return ["agent", *store, "--simulate", str(self.clusters), "--target", f"dir:{self.members_dir}",
                    "--heartbeat", "5s"]
        raise ValueError(f"unknown fleet process {name!r}: orchestrator[-N], projections, api or agent")

    async def start(self, name: str) -> None:
        """Start process `name` (it must not be running); for the API, wait until it answers."""
        if name in self.processes:
            raise FleetError(f"the {name} process is already running (pid {self.processes[name].pid})")
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path(name), "ab") as log:
            self.processes[name] = subprocess.Popen(
                [*fleetstage_command(), *self.args(name)], stdout=log, stderr=subprocess.STDOUT, env=self.env,
                stdin=subprocess.DEVNULL,
            )
        if name == "api":
            await self.wait_until(self.api_ready, "the API answers on " + self.server, 60)

    def kill(self, name: str) -> None:
        """SIGKILL process `name` and reap it."""
        proc = self.processes.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.killed.append(name)

    async def restart(self, name: str) -> None:
        """SIGKILL process `name` and start it again (one restart of a process at a time)."""
        async with self._restarting.setdefault(name, asyncio.Lock()):
            self.kill(name)
            await self.start(name)

    async def freeze(self, name: str, seconds: float) -> None:
        """SIGSTOP process `name` for `seconds` (the length of the fault, not a wait for something), then SIGCONT."""
        proc = self.processes[name]
        proc.send_signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(seconds)
        finally:
            proc.send_signal(signal.SIGCONT)

    async def leave(self, name: str, timeout: float = 30.0) -> None:
        """SIGTERM process `name` and wait until it exited cleanly (status 0). One that does not stop in
        `timeout` is SIGKILLed; that, or another status, fails (or, while `supervised`, is a crash)."""
        proc = self.processes.pop(name)
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        self.killed.append(name)
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
            self._crashed(f"{name} did not stop within {timeout:g}s of SIGTERM (SIGKILLed):\n{self.log_tail(name, 12)}")
        elif proc.returncode != 0:
            self._crashed(f"{name} exited with {proc.returncode} on SIGTERM:\n{self.log_tail(name, 12)}")

    def _crashed(self, what: str) -> None:
        if not self._supervising:
            raise FleetError(what)
        self.crashes.append(what)

    def stop(self, name: str, timeout: float = 15.0) -> int:
        """SIGTERM process `name` (SIGKILL after `timeout`); its exit status."""
        proc = self.processes.pop(name)
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    async def start_all(self) -> None:
        for name in ("projections", "api", "orchestrator", "agent"):
            await self.start(name)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    @asynccontextmanager
    async def supervised(self) -> AsyncIterator[None]:
        """Inside: a process that exits by itself is recorded in `crashes` and started again, as systemd or
        Kubernetes would (and one that ignores SIGTERM in `leave` is recorded and SIGKILLed), so a test can
        go on checking the other guarantees and report the crash after (`waves.crash_verdict`); `crashes`
        starts empty."""
        self.crashes.clear()
        self._supervising = True
        task = asyncio.create_task(self._supervise(), name="fleet-supervisor")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self._supervising = False

    async def _supervise(self) -> None:
        while True:
            for name, proc in list(self.processes.items()):
                if proc.poll() is not None:
                    self._crashed(f"{name} exited with {proc.returncode}:\n{self.log_tail(name, 12)}")
                    del self.processes[name]
                    await self.start(name)
            await asyncio.sleep(0.2)

    # --- files ------------------------------------------------------------------------------------------
    @property
    def members_dir(self) -> Path:
        return self.workdir / "members"

    def target_dir(self, cluster: str) -> Path:
        return self.members_dir / cluster

    def read_model(self, name: str) -> Path:
        return self.workdir / f"{name}.db"

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def log_text(self, name: str) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def log_tail(self, name: str, lines: int = 25) -> str:
        return "\n".join(self.log_text(name).splitlines()[-lines:])

    def logs(self) -> str:
        names = sorted({*self.processes, *self.killed})
        return "\n".join(f"--- {name}.log\n{self.log_tail(name)}" for name in names)

    # --- checks and waits --------------------------------------------------------------------------------
    def check_alive(self) -> None:
        """Fail when a process exited by itself (unless `supervised`, which restarts it)."""
        if self._supervising:
            return
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise FleetError(f"the {name} process exited with {proc.returncode}:\n{self.log_tail(name, 60)}")

    async def api_ready(self) -> bool:
        return await self.api_shows("/healthz")

    async def api_shows(self, path: str) -> bool:
        """Whether the API answers 200 on `path` (its read model has the object)."""
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(self.server + path)).status_code == 200
        except httpx.TransportError:
            return False

    async def wait_until(self, condition: Callable[[], Awaitable[bool] | bool], what: str, timeout: float) -> None:
        """Poll `condition` until it holds; fail naming `what`, with the logs, after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            held = condition()
            if held if isinstance(held, bool) else await held:
                return
            self.check_alive()
            if time.monotonic() > deadline:
                raise FleetError(f"timed out after {timeout:g}s waiting until {what}\n{self.logs()}")
            await asyncio.sleep(0.1)

    async def cli(self, *args: str, stdin: str | None = None) -> tuple[int, str]:
        """Run `fleetstage ARGS` against the API (without blocking the event loop); (exit status, output)."""
        proc = await asyncio.create_subprocess_exec(
            *fleetstage_command(), *args, env=self.env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), 120)
        return proc.returncode or 0, out.decode(errors="replace")
