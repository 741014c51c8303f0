"""Per-invocation state shared by the commands: the hub client, and kind resolution with kubectl's errors."""
from __future__ import annotations

import typer

from cli.client import HubClient
from cli.credentials import bearer_token, tls_context
from cli.errors import CliError
from resources.errors import UnknownKindError
from resources.kinds import KindInfo, resolve_kind


def client(ctx: typer.Context) -> HubClient:
    """The hub client of this invocation (made once, closed when the command ends)."""
    root = ctx.find_root()
    if not isinstance(root.obj, HubClient):
        params = root.params
        token = bearer_token(params.get("token"), params.get("token_file"))
        tls = tls_context(params.get("certificate_authority"), params.get("client_certificate"),
                          params.get("client_key"))
        root.obj = root.with_resource(HubClient(params.get("server"), token=token, tls=tls))
    return root.obj


def kind(word: str) -> KindInfo:
    """The kind a command-line word names; unknown words fail with close matches."""
    try:
        return resolve_kind(word)
    except UnknownKindError as exc:
        raise CliError(f"error: {exc}") from None


def split_kind_name(words: list[str]) -> tuple[KindInfo, list[str]]:
    """`KIND NAME...` or `KIND/NAME`: the kind and the names."""
    if not words:
        raise CliError("error: you must specify the type of resource to get, e.g. `fleetstage get crp`")
    first, rest = words[0], words[1:]
    if "/" in first:
        word, _, name = first.partition("/")
        return kind(word), [name, *rest]
    return kind(first), rest
