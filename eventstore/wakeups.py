"""Cross-process wake-ups for the embedded store: a commit in one process wakes, at once, the readers and
subscriptions of the same database file in the other processes.

Every open store binds a Unix datagram socket in the directory `<database file>.wake/`; after a commit
others may be waiting for, the writer sends one byte to every other socket there, and the receiver fires
its change signal. Nothing depends on a wake-up arriving: readers look again after their idle timeout
anyway, so a dropped datagram (the receiver's buffer is full: it has wake-ups pending already) or a
stale socket (its process died; removed by the first send that finds nobody there) only costs latency.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MAX_SOCKET_PATH = 107
"""Longest Unix socket path (sun_path is 108 bytes with its terminating NUL)."""


class Wakeups:
    """This store's socket in `directory`; `on_wake` is called (on the event loop) when another store
    of the same file committed. Use `open()` / `close()`."""

    def __init__(self, directory: Path, on_wake: Callable[[], None]) -> None:
        self.directory = directory
        self._on_wake = on_wake
        self._name = uuid.uuid4().hex[:12]
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> bool:
        """Bind this store's socket and start listening; False (and nothing bound) when the platform, the
        length of the path or the file system does not allow it: the caller then has to look for changes
        itself."""
        path = self.directory / self._name
        if not hasattr(socket, "AF_UNIX") or len(os.fsencode(path)) > MAX_SOCKET_PATH:
            log.info("no cross-process wake-ups for %s (no Unix sockets, or the path is too long)", self.directory)
            return False
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            sock.setblocking(False)
            sock.bind(str(path))
        except OSError as exc:
            sock.close()
            log.warning("no cross-process wake-ups for %s: %r", self.directory, exc)
            return False
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._drain)
        self._socket = sock
        return True

    def close(self) -> None:
        sock, self._socket = self._socket, None
        if sock is None:
            return
        assert self._loop is not None
        self._loop.remove_reader(sock.fileno())
        sock.close()
        (self.directory / self._name).unlink(missing_ok=True)
        try:
            self.directory.rmdir()  # the last one out tidies up
        except OSError:
            pass  # other stores still use it

    def notify(self) -> None:
        """Wake every other store of this file (never blocks)."""
        sock = self._socket
        if sock is None:
            return
        try:
            peers = [name for name in os.listdir(self.directory) if name != self._name]
        except OSError as exc:
            log.warning("could not list the stores to wake in %s: %r", self.directory, exc)
            return
        for name in peers:
            path = self.directory / name
            try:
                sock.sendto(b"\0", str(path))
            except BlockingIOError:
                pass  # its buffer is full of wake-ups it has not read yet
            except ConnectionRefusedError:
                path.unlink(missing_ok=True)  # nobody listens there any more: a process that died
            except FileNotFoundError:
                pass  # closed meanwhile
            except OSError as exc:  # the commit is done: a wake-up that cannot go only costs latency
                log.warning("could not wake %s: %r", path, exc)

    def _drain(self) -> None:
        assert self._socket is not None
        try:
            while self._socket.recv(64):
                pass
        except BlockingIOError:
            pass
        self._on_wake()
