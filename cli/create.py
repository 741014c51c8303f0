"""`create`: objects from a file (`create -f`), or a namespace or configmap from the command line."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cli import session
from cli.errors import CliError
from cli.objects import NamespaceOpt, echo_outcome, write_file

create_app = typer.Typer(help="Create an object from a file or from the command line.", no_args_is_help=False,
                         invoke_without_command=True)


@create_app.callback()
def create(ctx: typer.Context, filename: Annotated[Optional[str], typer.Option("--filename", "-f")] = None,
           namespace: NamespaceOpt = None) -> None:
    """`create -f FILE`, or `create namespace|configmap ...`."""
    if ctx.invoked_subcommand is None:
        if filename is None:
            raise CliError("error: must specify one of -f or a kind: `create namespace NAME`, `create configmap NAME`")
        write_file(ctx, filename, namespace, create_only=True)


def _created(ctx: typer.Context, word: str, doc: dict[str, Any]) -> None:
    info = session.kind(word)
    written = session.client(ctx).apply(info, doc, create_only=True)
    echo_outcome(info, doc["metadata"]["name"], written.outcome)


def create_namespace(ctx: typer.Context, name: str) -> None:
    """Create a namespace."""
    _created(ctx, "namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def _literal(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CliError(f"error: invalid literal source {text}, expected key=value")
    return key, value


def _file_entry(spec: str) -> tuple[str, str]:
    """`[key=]path` -> (key, file content); the key defaults to the file name."""
    key, sep, path = spec.partition("=")
    key, path = (key, path) if sep else (Path(spec).name, spec)
    try:
        return key, Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f'error: cannot read "{path}": {exc.strerror}') from None


def create_configmap(
    ctx: typer.Context,
    name: str,
    from_literal: Annotated[Optional[list[str]], typer.Option("--from-literal", help="key=value (repeatable).")] = None,
    from_file: Annotated[Optional[list[str]], typer.Option("--from-file", help="[key=]path (repeatable).")] = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Create a configmap from literal values or files."""
    data = dict([*map(_literal, from_literal or []), *map(_file_entry, from_file or [])])
    namespace = namespace or (ctx.parent.params.get("namespace") if ctx.parent else None) or "default"
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}}
    if data:
        doc["data"] = data
    _created(ctx, "configmap", doc)


for _name, _alias, _command in (("namespace", "ns", create_namespace), ("configmap", "cm", create_configmap)):
    create_app.command(_name)(_command)
    create_app.command(_alias, hidden=True)(_command)
