"""The `fleetstage` command: kubectl's verbs against a hub, fleetstage's own verbs, and the services.

Hub address: `--server URL` or $FLEETSTAGE_SERVER (default http://127.0.0.1:8080); credentials and TLS:
`--token` or $FLEETSTAGE_TOKEN, `--token-file`, `--certificate-authority`, `--client-certificate`/`--client-key`
(cli.credentials). Every failure is one clear message on stderr and a non-zero exit status.
"""
from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from cli import create, fleet_commands, objects, services, token_commands, waiting
from cli.client import DEFAULT_SERVER, SERVER_ENV
from cli.credentials import (
    CertificateAuthorityOpt, ClientCertificateOpt, ClientKeyOpt, TokenFileOpt, TokenOpt,
)
from cli.errors import CliError
from eventstore.errors import EventStoreError


def hoist_options(argv: list[str], options: set[str]) -> list[str]:
    """The global `options` (each taking a value) moved before the command, so they may be given
    anywhere, as kubectl allows (`fleetstage get crp --server URL`)."""
    hoisted: list[str] = []
    rest: list[str] = []
    words = iter(argv)
    for word in words:
        if word in options:
            hoisted += [word, next(words, "")]
        elif word.split("=", 1)[0] in options and word.startswith("--"):
            hoisted.append(word)
        else:
            rest.append(word)
    return hoisted + rest


def global_options(group: Any, argv: list[str]) -> set[str]:
    """The root's value options (of the click group `group`) that the command in `argv` does not define."""
    mine = {opt for param in group.params if param.param_type_name == "option" and not param.is_flag
            for opt in param.opts}
    name = next((word for word in argv if not word.startswith("-")), None)
    command = group.commands.get(name or "")
    theirs = {opt for param in command.params for opt in param.opts} if command is not None else set()
    return mine - theirs


class FleetstageTyper(typer.Typer):
    """A Typer app that accepts the global options (`--server`, `--token`, ...) anywhere and prints
    CliErrors and event store failures as kubectl does (message on stderr, exit status 1)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and "args" not in kwargs:
            group = typer.main.get_command(self)
            kwargs["args"] = hoist_options(sys.argv[1:], global_options(group, sys.argv[1:]))
        try:
            return super().__call__(*args, **kwargs)
        except CliError as exc:
            print(exc.message, file=sys.stderr)
            sys.exit(exc.code)
        except EventStoreError as exc:
            # a service command that cannot open or keep its event store (unreachable broker, bad credentials)
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(1)


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
    token: TokenOpt = None,
    token_file: TokenFileOpt = None,
    certificate_authority: CertificateAuthorityOpt = None,
    client_certificate: ClientCertificateOpt = None,
    client_key: ClientKeyOpt = None,
) -> None:
    """fleetstage: kubectl verbs against a fleetstage hub."""


# kubectl's verbs
app.command()(objects.apply)
app.add_typer(create.create_app, name="create")
app.command()(objects.get)
app.command()(objects.describe)
app.command()(objects.delete)
app.command()(objects.patch)
app.command()(objects.edit)
app.command()(waiting.wait)
app.command("api-resources")(objects.api_resources)

# fleetstage's own verbs
app.command()(fleet_commands.approve)
app.command()(fleet_commands.history)
app.command("audit", hidden=True)(fleet_commands.history)
app.add_typer(fleet_commands.diff_app, name="diff")
app.command()(fleet_commands.deadletters)
app.add_typer(token_commands.token_app, name="token")

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
