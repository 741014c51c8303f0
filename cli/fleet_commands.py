"""fleetstage's verbs beyond kubectl: approve, history/audit, diff snapshot, deadletters."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli import session
from cli.client import HubClient
from cli.errors import CliError
from cli.output import to_json, to_yaml
from cli.snapshotdiff import render_diff
from cli.tables import layout
from resources.base import format_time
from resources.duration import parse_duration


def approve(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The ClusterApprovalRequest, e.g. example-run-canary.")],
    message: Annotated[str, typer.Option("--message", "-m", help="Why it is approved.")] = "approved",
    reason: Annotated[str, typer.Option("--reason", help="A CamelCase reason.")] = "Approved",
) -> None:
    """Approve a stage: set Approved=True on the request (what the how-to's `kubectl patch` does)."""
    info = session.kind("clusterapprovalrequest")
    hub = session.client(ctx)
    request, now = hub.get(info, name)
    generation = (request.get("metadata") or {}).get("generation", 1)
    others = [c for c in (request.get("status") or {}).get("conditions") or [] if c.get("type") != "Approved"]
    approved = {"type": "Approved", "status": "True", "reason": reason, "message": message,
                "lastTransitionTime": format_time(now), "observedGeneration": generation}
    written = hub.patch(info, name, None, {"status": {"conditions": [*others, approved]}}, subresource="status")
    outcome = "approved" if written.outcome != "unchanged" else "already approved"
    typer.echo(f"{info.kind_group}/{name} {outcome}")


def history(
    ctx: typer.Context,
    placement: Annotated[Optional[str], typer.Option("--placement")] = None,
    run: Annotated[Optional[str], typer.Option("--run")] = None,
    cluster: Annotated[Optional[str], typer.Option("--cluster")] = None,
    actor: Annotated[Optional[str], typer.Option("--actor")] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="Event type, or a prefix ending in '.' or '*'.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="RFC 3339 time, or a duration ago (10m).")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="RFC 3339 time, or a duration ago (1h).")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 1000,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="json or yaml.")] = None,
) -> None:
    """The audit log: who changed what, and what the system did, oldest first."""
    hub = session.client(ctx)
    filters = {"placement": placement, "run": run, "cluster": cluster, "actor": actor, "type": type_,
               "since": _point_in_time(hub, since), "until": _point_in_time(hub, until), "limit": str(limit)}
    entries = hub.audit({k: v for k, v in filters.items() if v})
    if output == "json":
        typer.echo(to_json(entries), nl=False)
    elif output == "yaml":
        typer.echo(to_yaml(entries), nl=False)
    elif output is not None:
        raise CliError(f'error: unknown output format "{output}"; use json or yaml')
    elif not entries:
        typer.echo("No audit entries found.", err=True)
    else:
        rows = [["TIME", "ACTOR", "PLACEMENT", "EVENT"]]
        rows += [[e["time"][:19] + "Z", e.get("actor") or "", e.get("placement") or "", e.get("summary") or ""]
                 for e in entries]
        typer.echo(layout(rows), nl=False)


def _point_in_time(hub: HubClient, text: str | None) -> str | None:
    """An RFC 3339 time as given, or `10m`/`1h30m` meaning that long before the hub's now."""
    if text is None or not text[:1].isdigit() or "T" in text:
        return text
    try:
        ago = parse_duration(text)
    except ValueError:
        return text  # not a duration: the hub names what is wrong with the time
    return format_time(hub.now() - ago)


diff_app = typer.Typer(help="Compare versions.", no_args_is_help=True)


@diff_app.command("snapshot")
def diff_snapshot(
    ctx: typer.Context,
    placement: Annotated[str, typer.Argument(help="The ClusterResourcePlacement.")],
    old: Annotated[int, typer.Argument(help="Resource snapshot index A.")],
    new: Annotated[int, typer.Argument(help="Resource snapshot index B.")],
) -> None:
    """What changed from resource snapshot A to B of a placement (unified diff of each object)."""
    text = render_diff(session.client(ctx).diff_snapshots(placement, old, new))
    typer.echo(text or f"snapshots {old} and {new} of {placement} select the same content", nl=not text)


def deadletters(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="json.")] = None,
) -> None:
    """Records that could not be decoded, kept aside with the reason (newest last)."""
    letters = session.client(ctx).dead_letters(limit)
    if output == "json":
        typer.echo(to_json(letters), nl=False)
        return
    if not letters:
        typer.echo("No dead letters.", err=True)
        return
    rows = [["TIME", "STREAM", "PARTITION", "OFFSET", "REASON"]]
    rows += [[d["time"], d["stream"], str(d.get("partition", "")), str(d.get("offset", "")), d["reason"]]
             for d in letters]
    typer.echo(layout(rows), nl=False)
