"""Runs the hub's services, together or apart, against one event store URL.

- `serve_hub`: orchestrator + projections + API (uvicorn) in one process (`fleetstage hub`); with
  `orchestrate=False` the API and read models only (`fleetstage api`, beside `fleetstage orchestrator`
  processes); with `members`, also simulated member agents (`fleetstage up`).
- `hub_services`: what `serve_hub` runs around the API, for tests that drive the app in-process.
- `serve_projections` / `rebuild_projections`: the read models alone (`fleetstage projections [rebuild]`).

Local files go to the data directory (default `./.fleetstage`): the embedded event store `fleet.db`
(unless another store URL is given) and the read models (see `HubSettings`).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from agents.fleet_simulator import SimulatedFleet
from eventstore import EventStore
from eventstore.factory import open_store
from eventstore.kafka import KafkaEventStore
from fleetevents import registry
from fleetevents.streams import ALL_STREAMS
from hub.api import ApiServices, create_app
from hub.auth import HOW_TO_CREATE, AuthSetupError, Authenticator
from hub.tls import TlsSettings
from hub.commands import CommandBus
from hub.defaults import DATA_DIR, DEFAULT_HOST, DEFAULT_PORT
from hub.metrics import HubMetrics
from hub.supervisor import ServiceStopped, Stoppable, Supervisor
from hub.writes import Writer
from orchestrator.clock import Clock, SystemClock
from orchestrator.service import Orchestrator
from projections import rebuild
from projections.publisher import KafkaViewPublisher
from projections.runner import ProjectionRunner
from projections.store import default_path

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 2
"""How long a stopping API waits for open requests (watches never end by themselves)."""
KEEP_ALIVE_SECONDS = 75
"""Idle keep-alive connections stay open longer than clients keep them (httpx: 5 s), so a client never
sends a request on a connection the server is closing at that moment (uvicorn's default is also 5 s)."""


@dataclass
class HubSettings:
    """Where the hub keeps its data and listens, and how fast its clock runs.

    `data_dir` holds what is local to this hub: the embedded event store (unless `store_url` names
    another), the read models (unless `projections_db` is given) and simulated members' directories.
    """

    store_url: str | None = None
    data_dir: Path = DATA_DIR
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    clock: Clock = field(default_factory=SystemClock)
    """The hub's clock (`orchestrator.clock.make_clock`: scaled for demos and tests)."""
    stuck_threshold: timedelta = timedelta(minutes=5)
    projections_db: Path | None = None
    command_timeout: float = 10.0
    members: Sequence[tuple[str, dict[str, str]]] = field(default_factory=tuple)
    heartbeat_seconds: float = 5.0
    auth: Authenticator | None = None
    """How the API authenticates requests (`hub.auth.authenticator`); `serve_hub` refuses to serve without."""
    tls: TlsSettings | None = None
    """HTTPS (and mutual TLS) of the API (`hub.tls.tls_settings`); None: plain HTTP."""

    @property
    def store(self) -> str:
        """The event store URL: `store_url`, else the embedded file `<data_dir>/fleet.db`."""
        return self.store_url or f"sqlite:{self.data_dir / 'fleet.db'}"

    @property
    def members_dir(self) -> Path:
        """Where simulated members keep what they applied (`<data_dir>/members/<name>`)."""
        return self.data_dir / "members"

    def store_file(self) -> Path | None:
        """The file of an embedded (SQLite) event store, None for other backends."""
        scheme, _, rest = self.store.partition(":")
        if scheme not in ("sqlite", "embedded"):
            return None
        return Path(rest[2:] if rest.startswith("//") else rest)

    def read_model_path(self) -> Path:
        """`projections_db`, else `<data_dir>/<store file name>.projections.db` (`projections.db` for Kafka)."""
        if self.projections_db is not None:
            return self.projections_db
        store_file = self.store_file()
        return self.data_dir / (default_path(store_file).name if store_file is not None else "projections.db")


def _prepare_dirs(settings: HubSettings) -> None:
    for path in (settings.store_file(), settings.read_model_path()):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)


@contextlib.asynccontextmanager
async def _opened_store(settings: HubSettings) -> AsyncIterator[EventStore]:
    _prepare_dirs(settings)
    async with open_store(settings.store, registry) as store:
        await store.ensure_streams(ALL_STREAMS)
        yield store


@contextlib.asynccontextmanager
async def _projection_runner(store: EventStore, settings: HubSettings, clock: Clock) -> AsyncIterator[ProjectionRunner]:
    """The read models; on Kafka every document change also goes to its compacted view topic
    (`<prefix>view.<kind-plural>`, docs/projections.md) for consumers that do not query the API."""
    async with contextlib.AsyncExitStack() as stack:
        publisher = None
        if isinstance(store, KafkaEventStore):
            publisher = await stack.enter_async_context(KafkaViewPublisher.for_store(store))
        yield await stack.enter_async_context(
            ProjectionRunner(store, settings.read_model_path(), clock=clock.now, publisher=publisher))


@contextlib.asynccontextmanager
async def hub_services(store: EventStore, clock: Clock, settings: HubSettings, *,
                       orchestrate: bool = True) -> AsyncIterator[ApiServices]:
    """Everything the API needs, running on `store`: the read models, the command bus, the orchestrator
    (`orchestrate`) and simulated member agents (`settings.members`)."""
    async with contextlib.AsyncExitStack() as stack:
        watched: list[tuple[str, Stoppable]] = []
        if orchestrate:
            orchestrator = Orchestrator(store, clock=clock, stuck_threshold=settings.stuck_threshold)
            watched.append(("orchestrator", await stack.enter_async_context(orchestrator)))
        read = await stack.enter_async_context(_projection_runner(store, settings, clock))
        watched.append(("read models", read))
        if settings.members:
            fleet = SimulatedFleet(store, list(settings.members), settings.members_dir,
                                   heartbeat_interval=settings.heartbeat_seconds, clock=clock)
            watched.append(("simulated members", await stack.enter_async_context(fleet)))
        bus = await stack.enter_async_context(CommandBus(store, timeout=settings.command_timeout))
        watched.append(("command answers' reader", bus))
        writer = Writer(store, read, bus, clock)
        supervisor = await stack.enter_async_context(Supervisor())  # stops watching first, before the services stop
        for name, service in watched:
            supervisor.watch(name, service)
        yield ApiServices(store=store, read=read, writer=writer, clock=clock, metrics=HubMetrics(),
                          supervisor=supervisor)


async def serve_hub(settings: HubSettings, *, orchestrate: bool = True) -> None:
    """Serve the API until SIGINT/SIGTERM, with the services of `hub_services` (AuthSetupError without
    `settings.auth`: authentication is off only when asked for, with `hub.auth.NoAuthentication`)."""
    if settings.auth is None:
        raise AuthSetupError(HOW_TO_CREATE)
    clock = settings.clock
    async with _opened_store(settings) as store, hub_services(store, clock, settings, orchestrate=orchestrate) as services:
        config = api_config(create_app(services, settings.auth), settings)
        scheme = "https" if config.is_ssl else "http"
        log.info("fleetstage API on %s://%s:%s (store %s)", scheme, settings.host, settings.port, settings.store)
        settings.auth.announce()
        server = _Server(config)
        serving = asyncio.create_task(server.serve(), name="API")
        stopping = asyncio.create_task(services.supervisor.stopped(), name="supervision")
        await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not stopping.done():
            stopping.cancel()
            return await serving
        server.should_exit = True  # answer what is in flight, then stop: the process exits with status 1
        await serving
        raise stopping.result()


def api_config(app: ASGIApp, settings: HubSettings) -> uvicorn.Config:
    """How uvicorn serves the API: `settings`' address and TLS; HTTP parsed by httptools (a dependency,
    picked by uvicorn's `http="auto"`; h11, in pure Python, costs several times more CPU per request)."""
    tls = settings.tls.uvicorn_options() if settings.tls is not None else {}
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="off",
                          http="auto", timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
                          timeout_keep_alive=KEEP_ALIVE_SECONDS, **tls)


class _Server(uvicorn.Server):
    """uvicorn, stopped by SIGINT/SIGTERM without re-raising the signal afterwards (uvicorn's default),
    so the services around it shut down cleanly (members leave the fleet, read models commit)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            self._captured_signals.clear()


async def serve_projections(settings: HubSettings) -> None:
    """Keep the read models up to date until cancelled."""
    clock = settings.clock
    async with _opened_store(settings) as store:
        async with _projection_runner(store, settings, clock) as read, Supervisor() as supervisor:
            supervisor.watch("read models", read)
            await _until_stopped(supervisor)


async def _until_stopped(supervisor: Supervisor) -> None:
    """Return on SIGINT or SIGTERM; raise ServiceStopped if a watched service stops first."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(supervisor.stopped())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if supervisor.failure is not None:
        raise supervisor.failure


async def rebuild_projections(settings: HubSettings, workers: int | None = None) -> Path:
    """Fold the whole log into a fresh read-model file and put it in place of the old one (stop the
    processes that serve the read models first), in `workers` processes (default: one per CPU).
    Returns the file's path."""
    target = settings.read_model_path()
    fresh = target.with_name(target.name + ".rebuild")
    for leftover in _sqlite_files(fresh):
        leftover.unlink(missing_ok=True)
    async with _opened_store(settings) as store:
        await rebuild(store, fresh, store_url=settings.store, workers=workers)
    for old in _sqlite_files(target):
        old.unlink(missing_ok=True)
    fresh.replace(target)
    return target


def _sqlite_files(path: Path) -> list[Path]:
    """A SQLite database file and its WAL companions."""
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def run(coroutine: "asyncio.Future[None] | object") -> None:
    """Run a serve function until Ctrl-C; if one of its services stops by itself, log why and exit with
    status 1, for a supervisor to start the process again (hub.supervisor)."""
    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(coroutine)  # type: ignore[arg-type]
        except ServiceStopped as exc:
            log.error("%s; exiting with status 1 so that the process is started again (it resumes from the log)",
                      exc, exc_info=exc.__cause__)
            raise SystemExit(1) from None
