"""Shows the demo as it runs: the how-to's words, each command, its real output, and each check."""
from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Iterator

from rich.console import Console
from rich.markup import escape


class Narrator:
    """Colour and a spinner on a terminal; `plain=True` (or no terminal) gives plain text for logs."""

    def __init__(self, plain: bool = False) -> None:
        self.plain = plain
        self.console = Console(
            highlight=False, no_color=plain, force_terminal=False if plain else None, soft_wrap=True
        )

    def section(self, title: str) -> None:
        if self.plain:
            self.console.print(f"\n== {title}")
        else:
            self.console.rule(f"[bold]{escape(title)}")

    def say(self, text: str) -> None:
        self.console.print(escape(text) if self.plain else f"[italic]{escape(text)}[/]")

    def command(self, shown: str, output: str) -> None:
        self.console.print(f"$ {shown}" if self.plain else f"[bold cyan]$ {escape(shown)}[/]")
        if output.strip():
            self.console.print(escape(output.rstrip("\n")), markup=not self.plain)

    def ok(self, text: str) -> None:
        self.console.print(f"  ok: {text}" if self.plain else f"  [green]✓[/] {escape(text)}")

    def fail(self, text: str) -> None:
        self.console.print(f"FAILED: {text}" if self.plain else f"[bold red]✗ {escape(text)}[/]")

    @contextmanager
    def waiting(self, what: str) -> Iterator[None]:
        if self.plain or not self.console.is_terminal:
            self.console.print(f"  ... waiting until {what}")
            yield
        else:
            with self.console.status(f"waiting until {escape(what)}"):
                yield
