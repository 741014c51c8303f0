"""The apply ledger: which command outcomes a target already holds, kept in the target itself.

One entry per (run, placement, snapshot index, delete) with the outcome reported for it. The agent
consults it before applying: a redelivered command re-reports the recorded outcome without applying
again. `FileLedger` appends one JSON line per entry and fsyncs it, so an entry survives a crash; a torn
last line (crash in the middle of the write) is ignored on load, which only means the command is
applied again (a no-op when the target already holds it) and recorded then.
"""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import orjson

from fleetevents.agents import ClusterUpdateRequested

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LedgerKey:
    """What a command asks for: the run's snapshot of the placement (or its removal)."""

    run: str
    placement: str
    resource_snapshot_index: int
    delete: bool = False

    @classmethod
    def of(cls, command: ClusterUpdateRequested) -> LedgerKey:
        return cls(command.run, command.placement, command.resource_snapshot_index, command.delete)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the agent reported for a command (after its own retries)."""

    succeeded: bool
    message: str
    attempts: int


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    key: LedgerKey
    outcome: Outcome


class ApplyLedger(Protocol):
    """Where a target records the outcome of each command it carried out."""

    async def get(self, key: LedgerKey) -> Outcome | None: ...

    async def record(self, key: LedgerKey, outcome: Outcome) -> None: ...

    async def entries(self) -> list[LedgerEntry]: ...


class FileLedger:
    """An `ApplyLedger` in a JSON-lines file (one fsynced line per entry)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[LedgerKey, Outcome] | None = None
        self._lock = asyncio.Lock()

    async def get(self, key: LedgerKey) -> Outcome | None:
        return (await self._loaded()).get(key)

    async def record(self, key: LedgerKey, outcome: Outcome) -> None:
        async with self._lock:
            entries = await self._loaded()
            line = orjson.dumps({**asdict(key), **asdict(outcome)}) + b"\n"
            await asyncio.to_thread(self._append, line)
            entries[key] = outcome

    async def entries(self) -> list[LedgerEntry]:
        return [LedgerEntry(key, outcome) for key, outcome in (await self._loaded()).items()]

    async def _loaded(self) -> dict[LedgerKey, Outcome]:
        if self._entries is None:
            self._entries = await asyncio.to_thread(self._load)
        return self._entries

    def _load(self) -> dict[LedgerKey, Outcome]:
        entries: dict[LedgerKey, Outcome] = {}
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return entries
        complete = content[: content.rfind(b"\n") + 1]
        if len(complete) < len(content):
            log.warning("dropping the torn last line of apply ledger %s (interrupted write)", self.path)
            os.truncate(self.path, len(complete))
        for number, line in enumerate(complete.splitlines(), 1):
            try:
                raw = orjson.loads(line)
                key = LedgerKey(raw["run"], raw["placement"], raw["resource_snapshot_index"], raw["delete"])
                entries[key] = Outcome(raw["succeeded"], raw["message"], raw["attempts"])
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                log.warning("ignoring unreadable line %d of apply ledger %s: %s", number, self.path, exc)
        return entries

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
