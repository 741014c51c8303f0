"""Defaults shared by the hub runner and the CLI (kept import-light: the CLI reads them at start-up)."""
from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(".fleetstage")
DEFAULT_STORE = f"sqlite:{DATA_DIR / 'fleet.db'}"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
HOW_TO_MEMBERS: tuple[tuple[str, dict[str, str]], ...] = (
    ("member1", {"environment": "canary", "order": "2"}),
    ("member2", {"environment": "staging"}),
    ("member3", {"environment": "canary", "order": "1"}),
)
"""The how-to's fleet: what `fleetstage up` starts without `--member`."""
