"""`fleetstage wait`: block until objects meet a condition or are deleted (kubectl wait)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Optional

import typer

from cli import session
from cli.client import Document, HubClient, WatchIdle
from cli.errors import CliError
from cli.tables import find_condition
from resources.duration import parse_duration
from resources.kinds import KindInfo

Check = Callable[[Document | None], bool]


def parse_for(text: str) -> tuple[Check, str]:
    """`condition=TYPE[=STATUS]` (STATUS default True, TYPE case-insensitive) or `delete`: the check and
    what kubectl prints when it holds."""
    if text == "delete":
        return (lambda doc: doc is None), "deleted"
    kind, _, rest = text.partition("=")
    if kind != "condition" or not rest:
        raise CliError(f'error: unrecognized --for "{text}": use condition=TYPE[=STATUS] or delete')
    type_, _, status = rest.partition("=")

    def met(doc: Document | None) -> bool:
        if doc is None:
            return False
        conditions = (doc.get("status") or {}).get("conditions") or []
        wanted = next((c["type"] for c in conditions if c.get("type", "").lower() == type_.lower()), type_)
        found = find_condition(doc, wanted)
        return found is not None and str(found.get("status", "")).lower() == (status or "True").lower()

    return met, "condition met"


def _wait_one(hub: HubClient, info: KindInfo, name: str, namespace: str | None, check: Check, deadline: float) -> None:
    remaining = max(deadline - time.monotonic(), 0.001)
    with hub.watch(info, namespace, idle_timeout=remaining) as changes:
        doc = hub.find(info, name, namespace)
        try:
            while not check(doc) and time.monotonic() < deadline:
                change, changed = next(changes)
                if (changed.get("metadata") or {}).get("name") == name:
                    doc = None if change == "DELETED" else changed
        except (WatchIdle, StopIteration):
            pass  # nothing more arrived in time: decided below
    if not check(doc):
        raise CliError(f"error: timed out waiting for the condition on {info.plural}/{name}")


def wait(
    ctx: typer.Context,
    words: Annotated[list[str], typer.Argument(metavar="KIND NAME... | KIND/NAME")],
    for_: Annotated[str, typer.Option("--for", help="condition=TYPE[=STATUS] or delete.")],
    timeout: Annotated[str, typer.Option("--timeout", help="Give up after this long (e.g. 30s, 5m).")] = "30s",
    namespace: Annotated[Optional[str], typer.Option("--namespace", "-n")] = None,
) -> None:
    """Wait until objects meet a condition (e.g. `--for=condition=Succeeded`) or are deleted."""
    check, outcome = parse_for(for_)
    try:
        seconds = parse_duration(timeout).total_seconds()
    except ValueError as exc:
        raise CliError(f"error: --timeout: {exc}") from None
    info, names = session.split_kind_name(words)
    if not names:
        raise CliError("error: wait needs object names: `fleetstage wait csur/example-run --for=condition=Succeeded`")
    hub = session.client(ctx)
    namespace = (namespace or "default") if info.namespaced else None
    deadline = time.monotonic() + seconds
    for name in names:
        _wait_one(hub, info, name, namespace, check, deadline)
        typer.echo(f"{info.kind_group}/{name} {outcome}")
