"""The apply ledger: which command outcomes a target already holds, kept in the target itself.

One entry per (run, placement, snapshot index, delete) with the outcome reported for it and the log
position of its command (partition and offset of the `ClusterUpdateRequested` in `agents`). The agent
consults it before applying: a redelivered command re-reports the recorded outcome without applying
again (see `agents.member`).

Pruning (the ledger stays small). An entry is needed only while its command can be redelivered, that is
while the command's offset is not committed for the agent's consumer group. Recording an entry takes
`committed_before`, a position below which every offset of its partition is committed (the host passes
the first position of the batch being served; `agents.host` says why that holds), and drops, in the
same write, the entries of that partition at a lower offset. Entries of other partitions are dropped by
a later batch of their own partition. Entries written before positions were kept (no `partition` /
`offset`) still load and are kept for good: their offsets are unknown, so nothing proves them committed;
they are a fixed set (nothing adds to it), so the ledger stays bounded. A command sent again with the
key of a pruned entry (not a redelivery: a new command) is carried out again, a no-op when the target
holds its objects already.

Implementations: `FileLedger` (the directory target), `MemoryLedger` (does not survive the process:
in-memory targets) and `agents.targets.kubernetes.ConfigMapLedger`.

`FileLedger` appends one JSON line per entry and fsyncs it, so an entry survives a crash; a torn last
line (crash in the middle of the write) is ignored on load, which only means the command is applied
again (a no-op when the target already holds it) and recorded then. Each line also holds the
`committed_before` it was recorded with, so loading replays the lines in order and gets the same live
entries as before the restart. Dropped entries stay in the file as dead lines until they outnumber the
live ones (and at least `COMPACT_MIN_DEAD` of them): the file is then rewritten atomically with the live
entries only (temp file, fsync, rename, fsync of the directory), so an append stays one small write and
the file holds at most about twice the live entries plus `COMPACT_MIN_DEAD` lines. One process uses a
ledger file at a time (as for the directory target itself).
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, astuple, dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from agents.files import atomic_write
from eventstore import Position
from fleetevents.agents import ClusterUpdateRequested

log = logging.getLogger(__name__)

COMPACT_MIN_DEAD = 256
"""Dead lines a `FileLedger` keeps at least before compacting (a rewrite costs three fsyncs)."""


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
    """A command's outcome; `position` is where the command sits in `agents` (None: a legacy entry)."""

    key: LedgerKey
    outcome: Outcome
    position: Position | None = None

    def committed(self, committed_before: Position) -> bool:
        """Whether the command is known committed, every offset of `committed_before.partition` below
        `committed_before.offset` being committed (never for a legacy entry)."""
        return (
            self.position is not None
            and self.position.partition == committed_before.partition
            and self.position.offset < committed_before.offset
        )

    def to_json(self) -> dict[str, Any]:
        """The entry as a flat JSON object (the key's and the outcome's fields, then the position's)."""
        position = {} if self.position is None else asdict(self.position)
        return {**asdict(self.key), **asdict(self.outcome), **position}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LedgerEntry:
        """The entry `to_json` gave (KeyError or TypeError when a field is missing or of the wrong type)."""
        key = LedgerKey(raw["run"], raw["placement"], raw["resource_snapshot_index"], raw["delete"])
        position = Position(raw["partition"], raw["offset"]) if "offset" in raw else None
        return cls(key, Outcome(raw["succeeded"], raw["message"], raw["attempts"]), position)


def keep(entries: dict[LedgerKey, LedgerEntry], entry: LedgerEntry, committed_before: Position | None) -> None:
    """Add `entry` to the live `entries` (as the newest), dropping those whose command `committed_before`
    shows committed (none when it is None)."""
    if committed_before is not None:
        for key in [key for key, old in entries.items() if old.committed(committed_before)]:
            del entries[key]
    entries.pop(entry.key, None)
    entries[entry.key] = entry


class ApplyLedger(Protocol):
    """Where a target records the outcome of each command it carried out (see the module docstring)."""

    async def get(self, key: LedgerKey) -> Outcome | None: ...

    async def record(self, entry: LedgerEntry, committed_before: Position) -> None:
        """Keep `entry`; drop, in the same write, the entries `committed_before` shows committed."""

    async def entries(self) -> list[LedgerEntry]:
        """The live entries (oldest first, except in a ConfigMap, which orders them by name)."""


class MemoryLedger:
    """An `ApplyLedger` in memory: it does not survive the process (in-memory targets, benchmarks)."""

    def __init__(self) -> None:
        self._entries: dict[LedgerKey, LedgerEntry] = {}

    async def get(self, key: LedgerKey) -> Outcome | None:
        entry = self._entries.get(key)
        return None if entry is None else entry.outcome

    async def record(self, entry: LedgerEntry, committed_before: Position) -> None:
        keep(self._entries, entry, committed_before)

    async def entries(self) -> list[LedgerEntry]:
        return list(self._entries.values())


class FileLedger:
    """An `ApplyLedger` in a JSON-lines file (one fsynced line per entry, compacted now and then)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[LedgerKey, LedgerEntry] | None = None
        self._lines = 0
        """Complete lines in the file (live and dead)."""
        self._lock = asyncio.Lock()

    async def get(self, key: LedgerKey) -> Outcome | None:
        entry = (await self._loaded()).get(key)
        return None if entry is None else entry.outcome

    async def record(self, entry: LedgerEntry, committed_before: Position) -> None:
        async with self._lock:
            live = dict(await self._loaded())
            keep(live, entry, committed_before)
            dead = self._lines + 1 - len(live)
            if dead > max(len(live), COMPACT_MIN_DEAD):
                content = b"".join(_line(kept, None) for kept in live.values())
                await asyncio.to_thread(atomic_write, self.path, content)
                self._lines = len(live)
            else:
                await asyncio.to_thread(self._append, _line(entry, committed_before))
                self._lines += 1
            self._entries = live

    async def entries(self) -> list[LedgerEntry]:
        return list((await self._loaded()).values())

    async def _loaded(self) -> dict[LedgerKey, LedgerEntry]:
        if self._entries is None:
            self._entries, self._lines = await asyncio.to_thread(self._load)
        return self._entries

    def _load(self) -> tuple[dict[LedgerKey, LedgerEntry], int]:
        """The entries of the file and its number of complete lines."""
        entries: dict[LedgerKey, LedgerEntry] = {}
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return entries, 0
        complete = content[: content.rfind(b"\n") + 1]
        if len(complete) < len(content):
            log.warning("dropping the torn last line of apply ledger %s (interrupted write)", self.path)
            os.truncate(self.path, len(complete))
        lines = complete.splitlines()
        for number, line in enumerate(lines, 1):
            try:
                raw = orjson.loads(line)
                entry = LedgerEntry.from_json(raw)
                committed_before = Position(*raw["committed_before"]) if "committed_before" in raw else None
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                log.warning("ignoring unreadable line %d of apply ledger %s: %s", number, self.path, exc)
                continue
            keep(entries, entry, committed_before)
        return entries, len(lines)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def _line(entry: LedgerEntry, committed_before: Position | None) -> bytes:
    """The file line of `entry`, recorded with `committed_before` (None: a live entry rewritten by compaction)."""
    watermark = {} if committed_before is None else {"committed_before": astuple(committed_before)}
    return orjson.dumps({**entry.to_json(), **watermark}) + b"\n"
