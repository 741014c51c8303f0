"""Class-data sharing for the broker JVM: the classes Kafka loads at start-up are archived once and
mapped by later starts (as the official image does), which saves about a third of the start time.

The archive is written when a broker that ran without one stops cleanly (`-XX:ArchiveClassesAtExit`
into a private file, renamed into place afterwards, so concurrent brokers never see a partial one).
It is keyed by the JVM and the jar set, since it only fits the exact classpath and JVM build.
"""
from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ClassArchive:
    """The JVM options of one broker start, and what to do with the archive once it has stopped."""

    options: tuple[str, ...]
    pending: Path | None  # written at exit by this JVM, to be published as `final`
    final: Path

    def publish(self, clean_exit: bool) -> None:
        """Move the archive this JVM wrote into place (only after a clean exit: a killed JVM's file is partial)."""
        if self.pending is None:
            return
        if clean_exit and self.pending.is_file() and self.pending.stat().st_size > 0:
            os.replace(self.pending, self.final)
        else:
            self.pending.unlink(missing_ok=True)


def class_archive(java: str, libs: Path, *, create: bool) -> ClassArchive:
    """Use the archive of this JVM and jar set when there is one; else create it at exit if `create`."""
    stamp = libs / ".pom-sha256"
    key = f"{os.path.realpath(java)}|{libs.resolve()}|{stamp.read_text() if stamp.exists() else ''}"
    final = libs.parent / f"kafka-{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"
    if final.is_file():
        return ClassArchive((f"-XX:SharedArchiveFile={final}",), None, final)
    if not create:
        return ClassArchive((), None, final)
    _remove_orphans(final.parent)
    pending = final.with_suffix(f".{uuid.uuid4().hex}.tmp")
    return ClassArchive((f"-XX:ArchiveClassesAtExit={pending}",), pending, final)


ORPHAN_AGE = 3600.0
"""Seconds after which an unpublished archive is an orphan (its test run was killed)."""


def _remove_orphans(directory: Path) -> None:
    for leftover in directory.glob("kafka-*.tmp"):
        try:
            if time.time() - leftover.stat().st_mtime > ORPHAN_AGE:
                leftover.unlink()
        except FileNotFoundError:  # another run removed it meanwhile
            continue
