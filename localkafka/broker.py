"""LocalKafka: one real single-node KRaft broker in a work directory, with start/stop/pause/resume/restart."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from localkafka.cds import ClassArchive, class_archive
from localkafka.config import SCRAM_MECHANISM, BrokerConfig, free_port, new_cluster_id
from localkafka.jars import collect_jars
from localkafka.process import is_alive, launch, terminate, wait_stopped


QUICK_JIT = ("-XX:TieredStopAtLevel=1",)
"""JIT with the C1 compiler only. C2's optimising compilations were half the broker's busy CPU in the
many-runs benchmark (9.8 of 21.7 s over three cases; C1's 1.6 s), work a broker that lives for one test
session or benchmark never earns back on 2 cores. Only how the JVM compiles changes: not what the
broker does (docs/scaling.md, "Session 3: freeing the broker's CPU")."""


FEWER_YOUNG_PAUSES = (
    "-XX:+UnlockExperimentalVMOptions", "-XX:G1NewSizePercent=40", "-XX:-G1UseAdaptiveIHOP",
    "-XX:InitiatingHeapOccupancyPercent=85",
)
"""A young generation of at least 40% of the heap and no adaptive marking threshold: G1's young pauses
(7-40 ms, one every 0.5-1 s with the defaults) come every 2-2.5 s, with no concurrent mark cycles. Each
such pause was one slow hop of the reaction latency. Kafka p99 over 1,000 hops, quiet machine: 17.1 / 18.1
ms without, 16.1 / 13.5 / 17.0 / 18.2 ms with (docs/benchmarks.md, session 3): a small gain at most."""


class BrokerError(RuntimeError):
    """The broker could not be started (the message carries the tail of its log)."""


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not java.exists():
            raise BrokerError(f"JAVA_HOME={home} has no bin/java: point JAVA_HOME at a JDK 17+ or unset it")
        return str(java)
    found = shutil.which("java")
    if found is None:
        raise BrokerError("no `java` on PATH: install a JDK 17+ (apt-get install openjdk-17-jre-headless) or set JAVA_HOME")
    return found


async def _accepts_connections(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def answers_metadata(bootstrap: str, timeout: float = 2.0) -> bool:
    """True when a Kafka client can connect to `bootstrap` and fetch cluster metadata with a broker in it."""
    host, port = bootstrap.rsplit(":", 1)
    if not await _accepts_connections(host, int(port)):  # spares the client's connection-refused warnings
        return False
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        cluster = await asyncio.wait_for(admin.describe_cluster(), timeout)
        return bool(cluster.get("brokers")) and cluster.get("controller_id", -1) >= 0
    except (KafkaError, OSError, asyncio.TimeoutError):
        return False
    finally:
        await admin.close()


class LocalKafka:
    """A single-node Kafka broker (broker + controller in one JVM) living in `workdir`.

    `start()` always gives a fresh, empty broker and returns its bootstrap address; `restart()` keeps
    data and ports. With `scram_users` ({name: password}) the broker also has a SASL_PLAINTEXT listener
    (`sasl_bootstrap`) accepting those users with SCRAM-SHA-512. Usable as a (sync or async) context
    manager. `detach=True` lets the broker outlive this Python process (for `kafka-local start`);
    otherwise it dies with it.
    """

    def __init__(
        self,
        workdir: Path | str,
        *,
        port: int | None = None,
        heap: str = "512m",
        start_timeout: float = 90.0,
        stop_timeout: float = 20.0,
        detach: bool = False,
        overrides: Mapping[str, str] | None = None,
        scram_users: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.heap = heap
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.detach = detach
        self.config = BrokerConfig(
            broker_port=port or free_port(),
            controller_port=free_port(),
            data_dir=self.workdir / "data",
            overrides=tuple((overrides or {}).items()),
            sasl_port=free_port() if scram_users else None,
        )
        self._scram_users = dict(scram_users or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._archive: ClassArchive | None = None

    # -- information -------------------------------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        return self.config.bootstrap

    @property
    def sasl_bootstrap(self) -> str:
        """host:port of the SASL_PLAINTEXT (SCRAM-SHA-512) listener; needs `scram_users`."""
        if self.config.sasl_bootstrap is None:
            raise BrokerError("this broker has no SASL listener: create it with "
                              "LocalKafka(..., scram_users={name: password})")
        return self.config.sasl_bootstrap

    @property
    def log_path(self) -> Path:
        return self.workdir / "broker.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def running(self) -> bool:
        return self._proc is not None and is_alive(self._proc.pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no broker log yet)"

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> str:
        """Start a fresh broker and block until it serves metadata; returns the bootstrap address."""
        return _run_sync(self.astart())

    async def astart(self) -> str:
        """`start()` for async callers."""
        if self.running():
            raise BrokerError(f"the broker in {self.workdir} is already running (pid {self.pid})")
        shutil.rmtree(self.config.data_dir, ignore_errors=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path.unlink(missing_ok=True)
        return await self._boot()

    def stop(self) -> None:
        """SIGTERM, wait up to stop_timeout, then SIGKILL. A stopped broker is left as is."""
        if self._proc is not None:
            clean = terminate(self._proc.pid, self.stop_timeout, self._proc)
            self._proc = None
            if self._archive is not None:
                self._archive.publish(clean)
                self._archive = None

    def restart(self) -> str:
        """Stop and start again on the same ports, keeping every topic and offset."""
        return _run_sync(self.arestart())

    async def arestart(self) -> str:
        await asyncio.to_thread(self.stop)
        return await self._boot()

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): connections stay open but nothing answers. Returns once every
        thread of the broker has stopped, so a request sent after it gets no answer."""
        self._signal(signal.SIGSTOP)
        assert self._proc is not None
        if not wait_stopped(self._proc.pid, self.stop_timeout):
            raise BrokerError(f"the broker (pid {self._proc.pid}) did not stop within {self.stop_timeout} s of SIGSTOP")

    def resume(self) -> None:
        """Unfreeze a paused broker (SIGCONT)."""
        self._signal(signal.SIGCONT)

    def _signal(self, sig: signal.Signals) -> None:
        if self._proc is None:
            raise BrokerError("the broker is not running: start() it first")
        os.killpg(self._proc.pid, sig)

    async def _boot(self) -> str:
        libs = await asyncio.to_thread(collect_jars)
        server, log4j = self.config.write(self.workdir)
        java = _java()
        classpath = f"{libs}/*"
        jvm = [java, f"-Dlog4j2.configurationFile={log4j}", "-Djava.awt.headless=true",
               "-Djava.net.preferIPv4Stack=true", "-cp", classpath]
        if not (self.config.data_dir / "meta.properties").exists():
            await asyncio.to_thread(self._format, jvm, server)
        # A detached broker is stopped by another process, which could not publish its archive.
        self._archive = class_archive(java, libs, create=not self.detach)
        cmd = [jvm[0], "-Xms128m", f"-Xmx{self.heap}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
               *QUICK_JIT, *FEWER_YOUNG_PAUSES,
               "-XX:+ExitOnOutOfMemoryError", *self._archive.options, *jvm[1:], "kafka.Kafka", str(server)]
        self._proc = launch(cmd, self.log_path, detach=self.detach)
        try:
            await self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self.bootstrap

    def _format(self, jvm: list[str], server: Path) -> None:
        cmd = [jvm[0], "-Xmx256m", *jvm[1:], "kafka.tools.StorageTool", "format", "--standalone",
               "-t", new_cluster_id(), "-c", str(server), "--ignore-formatted"]
        for name, password in self._scram_users.items():  # KRaft stores SCRAM credentials in the metadata log
            cmd += ["--add-scram", f"{SCRAM_MECHANISM}=[name={name},password={password}]"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise BrokerError(f"formatting the KRaft storage failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")

    async def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        while not await answers_metadata(self.bootstrap):
            code = self._proc.poll()
            if code is not None:
                raise BrokerError(f"the broker exited with code {code} while starting; log {self.log_path}:\n{self.log_tail()}")
            if time.monotonic() >= deadline:
                raise BrokerError(f"the broker did not answer on {self.bootstrap} within {self.start_timeout:.0f}s; "
                                  f"log {self.log_path}:\n{self.log_tail()}")
            await asyncio.sleep(0.1)  # pause between two connection attempts

    # -- context managers --------------------------------------------------------------------------

    def __enter__(self) -> "LocalKafka":
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> "LocalKafka":
        await self.astart()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await asyncio.to_thread(self.stop)


def _run_sync(coro: Coroutine[Any, Any, str]) -> str:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise BrokerError("called from a running event loop: use the async variant (await astart()/arestart())")
