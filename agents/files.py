"""Atomic file replacement, shared by the directory target and the file ledger.

`atomic_write` writes a temp file next to the destination, fsyncs it, renames it over the destination
and fsyncs the directory: after a crash at any point the destination holds the old or the new content
in full, never a mix (a left-over temp file starts with `.` and is never read).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, content: bytes, *, fsync: bool = True) -> None:
    """Replace `path` with `content` (see the module docstring); `fsync=False` skips the fsyncs (tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if fsync:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
