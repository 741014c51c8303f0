"""`get -w`: the table, then one row per change (kubectl), or a run's live progress (`get csur NAME -w`)."""
from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from datetime import datetime

import typer
from rich.console import Console
from rich.live import Live

from cli.client import Document, HubClient
from cli.output import to_json, to_yaml
from cli.progress import is_finished, progress_lines, progress_view
from cli.tables import PADDING, column_widths, columns_for, format_row
from resources.kinds import KindInfo

RUN_KIND = "ClusterStagedUpdateRun"


def watch_kind(hub: HubClient, info: KindInfo, names: list[str], namespace: str | None, *,
               selector: str | None, output: str | None, show_labels: bool) -> None:
    """Print the current objects, then every change until interrupted (a run's view ends with the run)."""
    with hub.watch(info, namespace, selector=selector) as stream:
        changes = _selected(stream, set(names))
        if info.kind == RUN_KIND and len(names) == 1 and output is None:
            _watch_run(hub, info, names[0], changes)
            return
        if names:
            fetched = [hub.get(info, name, namespace) for name in names]
            documents, hub_now = [doc for doc, _ in fetched], fetched[-1][1]
        else:
            documents, hub_now = hub.list_objects(info, namespace, selector=selector)
        if output in ("yaml", "json"):
            for doc in [*documents, *(doc for _, doc in changes)]:
                _print_document(doc, output)
            return
        _print_rows(hub, info, documents, hub_now, changes, wide=output == "wide", show_labels=show_labels)


def _print_rows(hub: HubClient, info: KindInfo, documents: list[Document], hub_now: datetime,
                changes: Iterator[tuple[str, Document]], *, wide: bool, show_labels: bool) -> None:
    columns = columns_for(info.kind, wide=wide, show_labels=show_labels)
    rows = [[c.header for c in columns]] + [[c.cell(doc, hub_now) for c in columns] for doc in documents]
    widths = column_widths(rows) if documents else []
    for row in rows if documents else []:
        typer.echo(format_row(row, widths))
    for _, doc in changes:
        row = [c.cell(doc, hub.now()) for c in columns]
        if not widths:  # nothing listed yet: the header goes with the first row, as kubectl does
            widths = column_widths([rows[0], row])
            typer.echo(format_row(rows[0], widths))
        widths = [max(w, len(cell) + PADDING) for w, cell in zip(widths, row)]
        typer.echo(format_row(row, widths))


def _print_document(doc: Document, output: str) -> None:
    typer.echo(to_yaml(doc) + "---" if output == "yaml" else to_json(doc).rstrip("\n"))


def _selected(changes: Iterator[tuple[str, Document]], names: set[str]) -> Iterator[tuple[str, Document]]:
    for change, doc in changes:
        if not names or (doc.get("metadata") or {}).get("name") in names:
            yield change, doc


def _watch_run(hub: HubClient, info: KindInfo, name: str, changes: Iterator[tuple[str, Document]]) -> None:
    first, _ = hub.get(info, name)
    updates = itertools.chain([first], (doc for _, doc in changes))
    if sys.stdout.isatty():
        with Live(progress_view(first), console=Console(), refresh_per_second=8) as live:
            for run in updates:
                live.update(progress_view(run))
                if is_finished(run):
                    break
        return
    printed: set[str] = set()
    for run in updates:
        for line in progress_lines(run):
            if line not in printed:
                printed.add(line)
                typer.echo(line)
        if is_finished(run):
            break
