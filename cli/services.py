"""Commands that run fleetstage's services: hub, api, orchestrator, projections, agent, up/down, demo."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Optional

import httpx
import typer

from cli.errors import CliError
from cli.hub_security import (
    ClientCaFileOpt, NoAuthOpt, TlsCertFileOpt, TlsPrivateKeyFileOpt, TokenAuthFileOpt, secure,
)
from orchestrator.clock import Clock, make_clock, parse_epoch
from hub.defaults import DATA_DIR, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_STORE, HOW_TO_MEMBERS
from resources.duration import parse_duration

if TYPE_CHECKING:
    from hub.runner import HubSettings

StoreOpt = Annotated[str, typer.Option("--store", envvar="FLEETSTAGE_STORE",
                                       help="Event store URL: sqlite:PATH (embedded), kafka://host:port?prefix=P.")]
HubStoreOpt = Annotated[Optional[str], typer.Option(
    "--store", envvar="FLEETSTAGE_STORE",
    help="Event store URL: sqlite:PATH (embedded), kafka://host:port?prefix=P [default: sqlite:DATA_DIR/fleet.db].")]
DataDirOpt = Annotated[Path, typer.Option("--data-dir", envvar="FLEETSTAGE_DATA_DIR",
                                          help="Local files: embedded store, read models, simulated members.")]
HostOpt = Annotated[str, typer.Option("--host", help="Address the API listens on.")]
PortOpt = Annotated[int, typer.Option("--port", help="Port the API listens on.")]
ScaleOpt = Annotated[float, typer.Option("--time-scale", help="Run the clock F times faster (60: a 1m wait takes 1s).")]
EpochOpt = Annotated[Optional[str], typer.Option(
    "--time-epoch", help="With --time-scale: the wall time at which the scaled clock starts (RFC 3339). "
    "Give every process of one fleet the same epoch so they agree on the time across restarts.")]
StuckOpt = Annotated[str, typer.Option("--stuck-threshold", help="When an updating cluster counts as stuck.")]
ProjectionsOpt = Annotated[Optional[Path], typer.Option("--projections-db", help="Read-model SQLite file.")]
LogOpt = Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")]

PID_FILE = "up.pid"
LOG_FILE = "up.log"


def _runner() -> ModuleType:
    """The server stack, imported only by the commands that run it (kubectl verbs start faster)."""
    from hub import runner

    return runner


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _duration(text: str, flag: str) -> timedelta:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise CliError(f"error: {flag}: {exc}") from None
    if value.total_seconds() <= 0:
        raise CliError(f'error: {flag} must be longer than 0s, got "{text}" (e.g. 5m)')
    return value


def _clock(time_scale: float, time_epoch: str | None) -> Clock:
    """The clock of a process from --time-scale and --time-epoch."""
    if time_scale <= 0:
        raise CliError(f"error: --time-scale must be > 0, got {time_scale:g}")
    try:
        return make_clock(time_scale, parse_epoch(time_epoch) if time_epoch else None)
    except ValueError as exc:
        raise CliError(f"error: {exc}") from None


def _settings(store: str | None, data_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
              time_scale: float = 1.0, stuck: str = "5m", projections_db: Path | None = None,
              time_epoch: str | None = None) -> HubSettings:
    return _runner().HubSettings(store_url=store, data_dir=data_dir, host=host, port=port,
                                 clock=_clock(time_scale, time_epoch),
                                 stuck_threshold=_duration(stuck, "--stuck-threshold"), projections_db=projections_db)


def hub(store: HubStoreOpt = None, data_dir: DataDirOpt = DATA_DIR, host: HostOpt = DEFAULT_HOST,
        port: PortOpt = DEFAULT_PORT, time_scale: ScaleOpt = 1.0, time_epoch: EpochOpt = None,
        stuck_threshold: StuckOpt = "5m", projections_db: ProjectionsOpt = None, log_level: LogOpt = "info",
        token_auth_file: TokenAuthFileOpt = None, no_auth: NoAuthOpt = False, tls_cert_file: TlsCertFileOpt = None,
        tls_private_key_file: TlsPrivateKeyFileOpt = None, client_ca_file: ClientCaFileOpt = None) -> None:
    """Run the hub: orchestrator, read models and API in one process."""
    _logging(log_level)
    settings = _settings(store, data_dir, host, port, time_scale, stuck_threshold, projections_db, time_epoch)
    secure(settings, token_auth_file=token_auth_file, no_auth=no_auth, tls_cert_file=tls_cert_file,
           tls_private_key_file=tls_private_key_file, client_ca_file=client_ca_file)
    _runner().run(_runner().serve_hub(settings))


def api(store: HubStoreOpt = None, data_dir: DataDirOpt = DATA_DIR, host: HostOpt = DEFAULT_HOST,
        port: PortOpt = DEFAULT_PORT, time_scale: ScaleOpt = 1.0, time_epoch: EpochOpt = None,
        projections_db: ProjectionsOpt = None, log_level: LogOpt = "info", token_auth_file: TokenAuthFileOpt = None, no_auth: NoAuthOpt = False,
        tls_cert_file: TlsCertFileOpt = None, tls_private_key_file: TlsPrivateKeyFileOpt = None,
        client_ca_file: ClientCaFileOpt = None) -> None:
    """Run the API and read models without an orchestrator (run `fleetstage orchestrator` beside it)."""
    _logging(log_level)
    settings = _settings(store, data_dir, host, port, time_scale, projections_db=projections_db, time_epoch=time_epoch)
    secure(settings, token_auth_file=token_auth_file, no_auth=no_auth, tls_cert_file=tls_cert_file,
           tls_private_key_file=tls_private_key_file, client_ca_file=client_ca_file)
    _runner().run(_runner().serve_hub(settings, orchestrate=False))


def orchestrator(store: StoreOpt = DEFAULT_STORE, time_scale: ScaleOpt = 1.0, time_epoch: EpochOpt = None,
                 stuck_threshold: StuckOpt = "5m", log_level: LogOpt = "info") -> None:
    """Run one orchestrator instance (several share the placements by partition)."""
    from orchestrator.cli import run_orchestrator

    _logging(log_level)
    _duration(stuck_threshold, "--stuck-threshold")
    _clock(time_scale, time_epoch)
    run_orchestrator(store, time_scale, stuck_threshold, time_epoch)


projections_app = typer.Typer(help="The read models: follow the log (default) or rebuild them.",
                              invoke_without_command=True)


@projections_app.callback()
def projections(ctx: typer.Context, store: HubStoreOpt = None, data_dir: DataDirOpt = DATA_DIR,
                projections_db: ProjectionsOpt = None, log_level: LogOpt = "info") -> None:
    """Keep the read models up to date (until Ctrl-C)."""
    if ctx.invoked_subcommand is None:
        _logging(log_level)
        _runner().run(_runner().serve_projections(_settings(store, data_dir, projections_db=projections_db)))


WorkersOpt = Annotated[Optional[int], typer.Option(
    "--workers", min=1, help="Processes that share the log's partitions out (default: one per CPU).")]


@projections_app.command("rebuild")
def projections_rebuild(store: HubStoreOpt = None, data_dir: DataDirOpt = DATA_DIR,
                        projections_db: ProjectionsOpt = None, workers: WorkersOpt = None,
                        log_level: LogOpt = "info") -> None:
    """Fold the whole log into fresh read models (stop the hub/api/projections processes first)."""
    _logging(log_level)  # progress lines of a rebuild in worker processes
    settings = _settings(store, data_dir, projections_db=projections_db)
    path = asyncio.run(_runner().rebuild_projections(settings, workers))
    typer.echo(f"read models rebuilt in {path}")


def parse_member(text: str) -> tuple[str, dict[str, str]]:
    """`member1=environment=canary,order=2` -> ("member1", {"environment": "canary", "order": "2"})."""
    from agents.cli import parse_labels

    name, _, labels = text.partition("=")
    if not name:
        raise CliError(f'error: bad --member "{text}": use NAME or NAME=key=value[,key=value]')
    try:
        return name, parse_labels(labels)
    except ValueError as exc:
        raise CliError(f"error: bad --member {text!r}: {exc}") from None


def up(
    member: Annotated[Optional[list[str]], typer.Option(
        "--member", help="NAME=key=value[,key=value] (repeatable); default: the how-to's member1..3.")] = None,
    detach: Annotated[bool, typer.Option(
        "--detach", "-d", help="Run in the background; stop with `fleetstage down`.")] = False,
    store: HubStoreOpt = None, data_dir: DataDirOpt = DATA_DIR, host: HostOpt = DEFAULT_HOST,
    port: PortOpt = DEFAULT_PORT, time_scale: ScaleOpt = 1.0, time_epoch: EpochOpt = None,
    stuck_threshold: StuckOpt = "5m", log_level: LogOpt = "info", token_auth_file: TokenAuthFileOpt = None,
) -> None:
    """A hub and simulated member clusters on the embedded store: follow the how-to in another terminal.
    The API is unauthenticated (a local demo) unless --token-auth-file is given."""
    members = [parse_member(m) for m in member] if member else list(HOW_TO_MEMBERS)
    settings = _settings(store, data_dir, host, port, time_scale, stuck_threshold, time_epoch=time_epoch)
    settings.members = members
    secure(settings, token_auth_file=token_auth_file, no_auth=token_auth_file is None)
    url = f"http://{host}:{port}"
    if detach:
        _detach(url, data_dir, sys.argv[1:])
        return
    _logging(log_level)
    names = ", ".join(f"{n} ({','.join(f'{k}={v}' for k, v in sorted(labels.items()))})" for n, labels in members)
    typer.echo(f"fleetstage hub on {url} with members {names}; store {settings.store}. Ctrl-C stops it.", err=True)
    _runner().run(_runner().serve_hub(settings))


def _detach(url: str, data_dir: Path, argv: list[str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = data_dir / LOG_FILE
    args = [sys.executable, "-m", "cli", *[a for a in argv if a not in ("--detach", "-d")]]
    with log_file.open("ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    (data_dir / PID_FILE).write_text(str(process.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CliError(f"error: the hub exited with status {process.returncode}; see {log_file}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                typer.echo(f"fleetstage hub running on {url} (pid {process.pid}, log {log_file}); "
                           "stop it with `fleetstage down`")
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise CliError(f"error: the hub did not answer on {url}/healthz within 60s; see {log_file}")


def down(data_dir: DataDirOpt = DATA_DIR) -> None:
    """Stop the hub `fleetstage up --detach` started."""
    pid_file = data_dir / PID_FILE
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        raise CliError(f"error: no detached hub found ({pid_file} is missing)") from None
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        typer.echo(f"the hub (pid {pid}) was not running")
        pid_file.unlink(missing_ok=True)
        return
    deadline = time.monotonic() + 30
    while _running(pid):
        if time.monotonic() > deadline:
            raise CliError(f"error: the hub (pid {pid}) did not stop within 30s of SIGTERM; see {data_dir / LOG_FILE}")
        time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    typer.echo(f"stopped the hub (pid {pid})")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def agent(
    store: StoreOpt = DEFAULT_STORE,
    cluster: Annotated[Optional[str], typer.Option("--cluster", help="The member cluster's name.")] = None,
    labels: Annotated[str, typer.Option("--labels", help="key=value[,key=value]")] = "",
    target: Annotated[str, typer.Option("--target", help="dir:PATH or kube:[KUBECONFIG]")] = f"dir:{DATA_DIR / 'members'}",
    heartbeat: Annotated[str, typer.Option("--heartbeat", help="Heartbeat interval.")] = "10s",
    fail_on: Annotated[Optional[list[str]], typer.Option("--fail-on", help="[CLUSTER@]OBJ[:TIMES]")] = None,
    hang_on: Annotated[Optional[list[str]], typer.Option("--hang-on", help="[CLUSTER@]OBJ:SECONDS")] = None,
    simulate: Annotated[Optional[int], typer.Option("--simulate", help="Simulate N members.")] = None,
    label_recipe: Annotated[Optional[list[str]], typer.Option(
        "--label-recipe", help="key=value:weight,... or key=#")] = None,
    labels_from: Annotated[Optional[Path], typer.Option("--labels-from", help="YAML: cluster name -> labels.")] = None,
    time_scale: ScaleOpt = 1.0,
    time_epoch: EpochOpt = None,
    log_level: LogOpt = "info",
) -> None:
    """Run a member agent (or a simulated fleet of them) that applies what the hub tells it."""
    from agents import cli as agents_cli
    from agents.fleet_simulator import DEFAULT_RECIPE, LabelRecipe, generate_members, load_members

    _logging(log_level)
    try:
        common = agents_cli.parse_labels(labels)
        options = {"heartbeat_interval": _duration(heartbeat, "--heartbeat").total_seconds(),
                   "faults": agents_cli.parse_faults(fail_on or [], hang_on or []),
                   "clock": _clock(time_scale, time_epoch)}
        if simulate is not None or labels_from is not None:
            if simulate is not None:
                recipe = LabelRecipe.parse(label_recipe) if label_recipe else DEFAULT_RECIPE
                members = generate_members(simulate, recipe)
            else:
                members = load_members(labels_from)  # type: ignore[arg-type]
            agents_cli.run_simulated(store, members, target, common_labels=common, **options)
        elif cluster is None:
            raise CliError("error: give --cluster NAME (one agent), --simulate N or --labels-from FILE")
        else:
            agents_cli.run_agent(store, cluster, common, target, **options)
    except ValueError as exc:
        raise CliError(f"error: {exc}") from None


def demo(
    time_scale: Annotated[float, typer.Option("--time-scale", help="Clock speed-up of the demo fleet.")] = 30.0,
    plain: Annotated[bool, typer.Option("--plain", help="Plain text output (no colours or live views).")] = False,
    store: Annotated[Optional[str], typer.Option(
        "--store", help="Event store URL (default: a temporary SQLite file).")] = None,
) -> None:
    """Play the how-to end to end on a temporary local fleet and check every outcome."""
    from demo.run import main

    raise typer.Exit(main(time_scale=time_scale, plain=plain, store=store))
