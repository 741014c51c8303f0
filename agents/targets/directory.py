"""`DirectoryTarget`: a member cluster simulated by a directory of YAML files, one per object.

Layout: `<dir>/<namespace>/<kind>/<name>.yaml`, cluster-scoped objects under `<dir>/_cluster/<kind>/`.
`<dir>/.fleetstage/placed.json` records which files each placement put there (for pruning) and
`<dir>/.fleetstage/ledger.jsonl` is the apply ledger (`agents.ledger.FileLedger`: fsynced appends,
entries of committed commands pruned and the file compacted now and then). Every other write is atomic
(`agents.files.atomic_write`: temp file, fsync, rename, fsync of the directory), and an unchanged object
is not rewritten.

Crash safety of `apply`: the placement's record is first widened to old + new files, then the files
are written, stale ones removed, and the record narrowed to the new files. A crash at any point leaves
every file the placement wrote listed in its record, so the redone apply prunes correctly; files never
listed (written by someone else) are never removed. If two placements hold the same object, it is
removed only when neither holds it any more.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import yaml

from agents.files import atomic_write
from agents.ledger import FileLedger
from agents.targets.base import Manifest
from agents.targets.errors import TargetError, TransientTargetError
from agents.targets.objects import ObjectKey, keyed

CLUSTER_SCOPE_DIR = "_cluster"
STATE_DIR = ".fleetstage"


def render(obj: Manifest) -> bytes:
    """The file content of an object (keys sorted, so equal objects give equal bytes)."""
    return yaml.safe_dump(dict(obj), sort_keys=True, default_flow_style=False).encode()


def _safe_component(value: str, key: ObjectKey, field: str) -> str:
    if value in (".", "..") or "/" in value or "\\" in value or "\0" in value or value.startswith("."):
        raise TargetError(f"{key}: {field} {value!r} cannot be a file name (no '/', no leading '.')")
    return value


class DirectoryTarget:
    """A `Target` writing YAML files under `root` (see the module docstring)."""

    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self._fsync = fsync
        self._state = self.root / STATE_DIR
        self._placed_path = self._state / "placed.json"
        self.ledger = FileLedger(self._state / "ledger.jsonl")
        self._lock = asyncio.Lock()

    def describe(self) -> str:
        return f"dir:{self.root}"

    def path_of(self, key: ObjectKey) -> Path:
        """Where the object's file lives."""
        scope = _safe_component(key.namespace, key, "metadata.namespace") if key.namespace else CLUSTER_SCOPE_DIR
        kind = _safe_component(key.kind, key, "kind")
        return self.root / scope / kind / f"{_safe_component(key.name, key, 'metadata.name')}.yaml"

    async def apply(self, placement: str, objects: Sequence[Manifest]) -> None:
        wanted = {self._relative(key): (key, obj) for key, obj in keyed(objects).items()}
        async with self._lock:
            await asyncio.to_thread(self._apply, placement, wanted)

    async def remove(self, placement: str) -> None:
        await self.apply(placement, [])

    async def read_back(self, placement: str) -> dict[ObjectKey, dict[str, Any]]:
        async with self._lock:
            return await asyncio.to_thread(self._read_back, placement)

    async def check_available(self, objects: Sequence[Manifest]) -> list[str]:
        return await asyncio.to_thread(self._check, keyed(objects))

    # --- blocking parts (run in a worker thread) --------------------------------------------------------

    def _apply(self, placement: str, wanted: Mapping[str, tuple[ObjectKey, Manifest]]) -> None:
        placed = self._load_placed()
        before = set(placed.get(placement, ()))
        if not before.issuperset(wanted):
            self._save_placed({**placed, placement: sorted(before | set(wanted))})
        for relative, (key, obj) in wanted.items():
            self._write_if_changed(key, self.root / relative, render(obj))
        held_elsewhere = {path for other, paths in placed.items() if other != placement for path in paths}
        for relative in sorted(before - set(wanted) - held_elsewhere):
            self._delete(self.root / relative)
        narrowed = {name: paths for name, paths in placed.items() if name != placement}
        if wanted:
            narrowed[placement] = sorted(wanted)
        if narrowed != self._load_placed():
            self._save_placed(narrowed)

    def _read_back(self, placement: str) -> dict[ObjectKey, dict[str, Any]]:
        found: dict[ObjectKey, dict[str, Any]] = {}
        for relative in self._load_placed().get(placement, ()):
            try:
                obj = yaml.safe_load((self.root / relative).read_bytes())
            except FileNotFoundError:
                continue
            found[ObjectKey.of(obj)] = obj
        return found

    def _check(self, objects: Mapping[ObjectKey, Manifest]) -> list[str]:
        problems = []
        for key, obj in objects.items():
            path = self.path_of(key)
            try:
                content = path.read_bytes()
            except FileNotFoundError:
                problems.append(f"{key}: not found at {path}")
                continue
            except OSError as exc:
                problems.append(f"{key}: cannot read {path}: {exc}")
                continue
            if content != render(obj):
                problems.append(f"{key}: {path} does not hold the applied content")
        return problems

    def _relative(self, key: ObjectKey) -> str:
        return self.path_of(key).relative_to(self.root).as_posix()

    def _write_if_changed(self, key: ObjectKey, path: Path, content: bytes) -> None:
        try:
            if path.read_bytes() == content:
                return
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise TransientTargetError(f"{key}: cannot read {path}: {exc}") from exc
        try:
            atomic_write(path, content, fsync=self._fsync)
        except OSError as exc:
            raise TransientTargetError(f"{key}: cannot write {path}: {exc}") from exc

    def _delete(self, path: Path) -> None:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise TransientTargetError(f"cannot remove {path}: {exc}") from exc
        for parent in (path.parent, path.parent.parent):
            if parent == self.root:
                break
            try:
                parent.rmdir()
            except OSError:
                break  # not empty (or gone): keep it

    def _load_placed(self) -> dict[str, list[str]]:
        try:
            return orjson.loads(self._placed_path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError) as exc:
            raise TransientTargetError(f"cannot read the placement record {self._placed_path}: {exc}") from exc

    def _save_placed(self, placed: Mapping[str, list[str]]) -> None:
        try:
            content = orjson.dumps(placed, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
            atomic_write(self._placed_path, content, fsync=self._fsync)
        except OSError as exc:
            raise TransientTargetError(f"cannot write the placement record {self._placed_path}: {exc}") from exc
