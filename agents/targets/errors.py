"""Errors a target raises while applying or removing a placement's objects."""
from __future__ import annotations


class TargetError(Exception):
    """An apply that cannot succeed as asked (a malformed object, a refused change): not retried.

    The message names the object and says what is wrong.
    """


class TransientTargetError(TargetError):
    """An apply that may succeed if tried again (I/O error, API server busy, not yet available)."""
