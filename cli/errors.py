"""The one error type the CLI reports: a message for stderr and an exit code."""
from __future__ import annotations


class CliError(Exception):
    """Printed as one line (or a few) on stderr; the command exits with `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
