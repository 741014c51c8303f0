"""The `fleetstage` command: kubectl's verbs against a hub, fleetstage's own verbs, and the services.

Hub address: `--server URL` or $FLEETSTAGE_SERVER (default http://127.0.0.1:8080). Every failure is
one clear message on stderr and a non-zero exit status.
"""
from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from cli import fleet_commands, objects, services
from cli.client import DEFAULT_SERVER, SERVER_ENV
from cli.errors import CliError


class FleetstageTyper(typer.Typer):
    """A Typer app that prints CliErrors as kubectl does (message on stderr, exit status 1)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except CliError as exc:
            print(exc.message, file=sys.stderr)
            sys.exit(exc.code)


app = FleetstageTyper(
    name="fleetstage",
    help="Staged, approval-gated rollouts across a fleet of clusters (kubectl-compatible).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    server: Annotated[Optional[str], typer.Option(
        "--server", "-s", envvar=SERVER_ENV, help=f"The hub's URL (default {DEFAULT_SERVER}).")] = None,
) -> None:
    """fleetstage: kubectl verbs against a fleetstage hub."""


# kubectl's verbs
app.command()(objects.apply)
app.add_typer(objects.create_app, name="create")
app.command()(objects.get)
app.command()(objects.describe)
app.command()(objects.delete)
app.command()(objects.patch)
app.command()(objects.edit)
app.command("api-resources")(objects.api_resources)

# fleetstage's own verbs
app.command()(fleet_commands.approve)
app.command()(fleet_commands.history)
app.command("audit", hidden=True)(fleet_commands.history)
app.add_typer(fleet_commands.diff_app, name="diff")
app.command()(fleet_commands.deadletters)

# services
app.command()(services.hub)
app.command()(services.api)
app.command()(services.orchestrator)
app.add_typer(services.projections_app, name="projections")
app.command()(services.agent)
app.command()(services.up)
app.command()(services.down)
app.command()(services.demo)


if __name__ == "__main__":
    app()
