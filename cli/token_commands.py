"""`fleetstage token create NAME --role ROLE [--file tokens.yaml]`: add a user to a hub's token file.

The new token is printed once on stdout; the file keeps only its SHA-256 (`tokenSha256`), so it holds no
secret. The file is created readable by its owner only. Start the hub with `--token-auth-file FILE`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from cli.errors import CliError
from hub.tokens import Role, TokenFileError, digest, load_token_file, new_token

token_app = typer.Typer(help="The hub's token file: who may use the API, with which roles.", no_args_is_help=True)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The user name (recorded as the actor of what the user does).")],
    role: Annotated[list[str], typer.Option("--role", "-r", help="viewer, operator or approver (repeatable).")],
    file: Annotated[Path, typer.Option("--file", "-f", help="The token file (created if missing).")] = Path(
        "tokens.yaml"),
) -> None:
    """Add NAME with a new random token to the token file and print the token (it is not stored)."""
    roles = [_role(text) for text in role]
    users = _existing_users(file)
    token = new_token()
    users.append({"name": name, "tokenSha256": digest(token), "roles": [r.value for r in roles]})
    text = yaml.safe_dump({"users": users}, sort_keys=False)
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    typer.echo(f'added user "{name}" ({", ".join(r.value for r in roles)}) to {file}; '
               "the token (shown only now):", err=True)
    typer.echo(token)


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise CliError(f'error: --role: "{text}" is not a role; use {", ".join(r.value for r in Role)}') from None


def _existing_users(file: Path) -> list[dict[str, Any]]:
    """The entries already in `file` (checked), or none when it does not exist yet."""
    if not file.exists():
        return []
    try:
        load_token_file(file)
    except TokenFileError as exc:
        raise CliError(f"error: {exc}") from None
    return list(yaml.safe_load(file.read_text())["users"])
