"""kubectl's object verbs: apply, get, describe, delete, patch, edit (create: cli.create)."""
from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cli import session
from cli.describe import describe as describe_text
from cli.errors import CliError
from cli.manifests import kind_info_of, parse_file, read_source
from cli.output import render_documents, to_yaml
from cli.patchtext import parse_patch, rejoin_brace_expansion
from cli.tables import columns_for, layout, qualified_name, render_table
from cli.watching import watch_kind
from resources.errors import ManifestError
from resources.kinds import KINDS, KindInfo
from resources.manifests import load_documents

NamespaceOpt = Annotated[Optional[str], typer.Option("--namespace", "-n", help="The namespace of namespaced objects.")]
FilenameOpt = Annotated[str, typer.Option("--filename", "-f", help="Manifest file, or - for stdin (multi-document YAML).")]
OUTPUT_FORMATS = ("yaml", "json", "wide", "name")


def _namespace(info: KindInfo, namespace: str | None) -> str | None:
    return (namespace or "default") if info.namespaced else None


def echo_outcome(info: KindInfo, name: str, outcome: str) -> None:
    """kubectl's `kind.group/name outcome` line."""
    typer.echo(f"{info.kind_group}/{name} {outcome}")


# --- apply -----------------------------------------------------------------------------------


def apply(ctx: typer.Context, filename: FilenameOpt, namespace: NamespaceOpt = None) -> None:
    """Create or update the objects of a manifest (multi-document YAML; `-f -` reads stdin)."""
    write_file(ctx, filename, namespace, create_only=False)


def write_file(ctx: typer.Context, filename: str, namespace: str | None, *, create_only: bool) -> None:
    """Apply (or create) every object of a manifest file, printing kubectl's line for each."""
    text, source = read_source(filename)
    hub = session.client(ctx)
    for obj in parse_file(text, source, namespace, verb="create" if create_only else "apply"):
        info = kind_info_of(obj)
        written = hub.apply(info, obj.to_dict(), create_only=create_only)
        echo_outcome(info, obj.name, written.outcome)


# --- get / describe -----------------------------------------------------------------------------


def get(
    ctx: typer.Context,
    words: Annotated[list[str], typer.Argument(help="KIND[,KIND] [NAME...] or KIND/NAME",
                                               metavar="KIND [NAME...]")],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="yaml, json, wide or name.")] = None,
    namespace: NamespaceOpt = None,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A")] = False,
    selector: Annotated[Optional[str], typer.Option("--selector", "-l", help="Label selector, e.g. env=canary.")] = None,
    show_labels: Annotated[bool, typer.Option("--show-labels", help="Add a LABELS column.")] = False,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="After listing, keep printing changes.")] = False,
    at: Annotated[Optional[str], typer.Option("--at", help="Show the object as it was at this RFC 3339 time.")] = None,
) -> None:
    """Show objects as a table (or -o yaml|json|name); `get csur NAME -w` shows live progress."""
    if output is not None and output not in OUTPUT_FORMATS:
        raise CliError(f'error: unable to match a printer suitable for the output format "{output}", '
                       f"allowed formats are: {','.join(OUTPUT_FORMATS)}")
    hub = session.client(ctx)
    if words and "," in words[0] and len(words) == 1 and not watch:
        kinds = [session.kind(word) for word in words[0].split(",") if word]
        found = [(info, *hub.list_objects(info, None if all_namespaces else _namespace(info, namespace), selector=selector))
                 for info in kinds]
        found = [(info, docs, now) for info, docs, now in found if docs]
        if not found:
            typer.echo("No resources found.", err=True)
        elif output in ("yaml", "json"):
            typer.echo(render_documents([d for _, docs, _ in found for d in docs], output, single=False), nl=False)
        else:
            texts = [_rendered(info, docs, now, output, show_labels=show_labels, all_namespaces=all_namespaces,
                               prefixed=True) for info, docs, now in found]
            typer.echo("\n".join(texts), nl=False)
        return
    info, names = session.split_kind_name(words)
    ns = None if all_namespaces else _namespace(info, namespace)
    if at is not None and not names:
        raise CliError("error: --at needs an object name: `fleetstage get KIND NAME --at 2025-01-01T12:00:00Z`")
    if watch:
        watch_kind(hub, info, names, ns, selector=selector, output=output, show_labels=show_labels)
        return
    if names:
        fetched = [hub.get(info, name, ns, at=at) for name in names]
        documents, now = [doc for doc, _ in fetched], fetched[-1][1]
    else:
        documents, now = hub.list_objects(info, ns, selector=selector)
    if not documents:
        where = f" in {ns} namespace" if ns else ""
        typer.echo(f"No resources found{where}.", err=True)
    elif output in ("yaml", "json"):
        typer.echo(render_documents(documents, output, single=len(names) == 1), nl=False)
    else:
        typer.echo(_rendered(info, documents, now, output, show_labels=show_labels, all_namespaces=all_namespaces,
                             prefixed=False), nl=False)


def _rendered(info: KindInfo, documents: list[dict[str, Any]], now: datetime, output: str | None, *,
              show_labels: bool, all_namespaces: bool, prefixed: bool) -> str:
    """`-o name` lines or the table of one kind (NAME as `kind.group/name` when several kinds are shown)."""
    if output == "name":
        return "".join(f"{info.kind_group}/{doc['metadata']['name']}\n" for doc in documents)
    columns = columns_for(info.kind, wide=output == "wide", show_labels=show_labels,
                          with_namespace=all_namespaces and info.namespaced)
    if prefixed:
        columns = [qualified_name(info) if c.header == "NAME" else c for c in columns]
    return render_table(documents, columns, now)


def describe(
    ctx: typer.Context,
    words: Annotated[list[str], typer.Argument(metavar="KIND [NAME...]")],
    namespace: NamespaceOpt = None,
    selector: Annotated[Optional[str], typer.Option("--selector", "-l")] = None,
) -> None:
    """Show objects in detail."""
    info, names = session.split_kind_name(words)
    hub = session.client(ctx)
    ns = _namespace(info, namespace)
    if names:
        fetched = [hub.get(info, name, ns) for name in names]
        documents, now = [doc for doc, _ in fetched], fetched[-1][1]
    else:
        documents, now = hub.list_objects(info, ns, selector=selector)
    texts = [describe_text(doc, hub.audit(filters) if (filters := _event_filters(doc)) else [], now)
             for doc in documents]
    typer.echo("\n\n".join(texts), nl=False)


EVENTS_SHOWN = 20


def _event_filters(doc: dict[str, Any]) -> dict[str, str] | None:
    """The audit filter that finds the events about an object (None: the audit does not index its kind)."""
    name = doc["metadata"]["name"]
    by_kind = {
        "ClusterStagedUpdateRun": {"run": name},
        "ClusterResourcePlacement": {"placement": name},
        "ClusterApprovalRequest": {"run": (doc.get("spec") or {}).get("parentStageRollout", ""),
                                   "type": "fleetstage.approval."},
        "MemberCluster": {"cluster": name, "type": "fleetstage.member."},
    }
    filters = by_kind.get(doc.get("kind", ""))
    return {**filters, "limit": str(EVENTS_SHOWN)} if filters else None


# --- delete / patch / edit ----------------------------------------------------------------------


def delete(
    ctx: typer.Context,
    words: Annotated[Optional[list[str]], typer.Argument(metavar="KIND NAME...")] = None,
    filename: Annotated[Optional[str], typer.Option("--filename", "-f")] = None,
    namespace: NamespaceOpt = None,
    ignore_not_found: Annotated[bool, typer.Option("--ignore-not-found")] = False,
) -> None:
    """Delete objects by kind and name, or those of a manifest (-f)."""
    hub = session.client(ctx)
    targets: list[tuple[KindInfo, str, str | None]] = []
    if filename is not None:
        text, source = read_source(filename)
        targets = [(kind_info_of(o), o.name, o.namespace) for o in parse_file(text, source, namespace, verb="delete")]
    else:
        info, names = session.split_kind_name(words or [])
        if not names:
            raise CliError(f"error: resource name may not be empty: `fleetstage delete {info.singular} NAME`")
        targets = [(info, name, _namespace(info, namespace)) for name in names]
    for info, name, ns in targets:
        try:
            hub.delete(info, name, ns)
        except CliError as exc:
            if ignore_not_found and "(NotFound)" in exc.message:
                continue
            raise
        typer.echo(f'{info.kind_group} "{name}" deleted')


def patch(
    ctx: typer.Context,
    words: Annotated[list[str], typer.Argument(metavar="KIND NAME")],
    patch_text: Annotated[Optional[str], typer.Option("--patch", "-p", help="The merge patch (JSON or YAML).")] = None,
    patch_file: Annotated[Optional[str], typer.Option("--patch-file", help="A file holding the patch.")] = None,
    patch_type: Annotated[str, typer.Option("--type", help="Only merge is supported.")] = "merge",
    subresource: Annotated[Optional[str], typer.Option("--subresource", help="status, for approvals.")] = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Merge-patch an object; `--subresource=status` approves a ClusterApprovalRequest (see the how-to)."""
    if patch_type.strip("'\"") != "merge":
        raise CliError(f'error: --type "{patch_type}" is not supported; use --type=merge')
    info, rest = session.split_kind_name(words)
    if not rest:
        raise CliError("error: patch needs KIND NAME")
    name, fragments = rest[0], rest[1:]
    if (patch_text is None) == (patch_file is None):
        raise CliError("error: give the patch with exactly one of -p or --patch-file")
    if patch_file is not None:
        text, _ = read_source(patch_file)
    else:
        # The how-to's unquoted `-p {...}` arrives brace-expanded by the shell: rejoin its pieces.
        text = rejoin_brace_expansion([patch_text or "", *fragments]) if fragments else patch_text or ""
    written = session.client(ctx).patch(info, name, _namespace(info, namespace), parse_patch(text),
                                        subresource=subresource)
    suffix = " (no change)" if written.outcome == "unchanged" else ""
    echo_outcome(info, name, "patched" + suffix)


EDIT_HEADER = (
    "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
    "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
    "# reopened with the relevant failures.\n#\n"
)


def _editor() -> list[str]:
    return shlex.split(os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi")


def _read_edited(path: Path) -> Any:
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    try:
        documents = [doc for _, doc in load_documents(text, source=str(path))]
    except ManifestError as exc:
        raise CliError(f"error: {exc}; your changes are in {path}") from None
    return documents[0] if documents else None


def edit(ctx: typer.Context, words: Annotated[list[str], typer.Argument(metavar="KIND NAME")],
         namespace: NamespaceOpt = None) -> None:
    """Edit an object in $KUBE_EDITOR or $EDITOR and apply the result."""
    info, names = session.split_kind_name(words)
    if len(names) != 1:
        raise CliError("error: edit needs exactly one object: `fleetstage edit KIND NAME`")
    hub = session.client(ctx)
    ns = _namespace(info, namespace)
    original, _ = hub.get(info, names[0], ns)
    fd, name = tempfile.mkstemp(prefix=f"fleetstage-edit-{names[0]}-", suffix=".yaml")
    path = Path(name)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(EDIT_HEADER + to_yaml(original))
    try:
        completed = subprocess.run([*_editor(), str(path)], check=False)
    except OSError as exc:
        raise CliError(f"error: cannot start the editor {_editor()[0]!r} ($KUBE_EDITOR / $EDITOR): {exc}") from None
    if completed.returncode != 0:
        raise CliError(f"error: the editor exited with status {completed.returncode}; your changes are in {path}")
    edited = _read_edited(path)
    if edited is None or edited == original:
        path.unlink()
        typer.echo("Edit cancelled, no changes made.")
        return
    try:
        written = hub.apply(info, edited)
    except CliError as exc:
        raise CliError(f"{exc.message}; your changes are in {path}", exc.code) from None
    path.unlink()
    echo_outcome(info, names[0], "edited" if written.outcome != "unchanged" else "unchanged")


def api_resources() -> None:
    """List the kinds fleetstage knows (kubectl api-resources)."""
    rows = [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
    rows += [[k.plural, ",".join(k.short_names), k.api_version, str(k.namespaced).lower(), k.kind] for k in KINDS]
    typer.echo(layout(rows), nl=False)
