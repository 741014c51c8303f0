"""An open-loop HTTP load generator for the hub API (bench/apiload.py): requests leave on a fixed
schedule (`rate` per second, whatever the answers' latency), plus a few long-lived watch streams.

Latency is measured from each request's *scheduled* start to the end of its body, so a slow server
or a lagging client shows in the figures instead of silently lowering the rate (no coordinated
omission); the service time (from sending to the end of the body) is kept beside it, and
`max_dispatch_lag` says how late the client itself queued its worst request. Any non-2xx
answer or exception is an error, counted per request type with its first few messages kept.

The get/list requests go over `KeepAliveConnection`s, a minimal HTTP/1.1 client: httpx spends a few
milliseconds of CPU per request, so at a few hundred requests per second the generator itself, not the
server, would set the pace on a small machine. Watch streams use httpx.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

REQUEST_TIMEOUT = 10.0
KEPT_ERRORS = 5

Request = tuple[str, str]
"""(request type, path with query): what one scheduled request asks for."""


@dataclass
class Tally:
    """Latencies (seconds) and errors of one request type."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    service: list[float] = field(default_factory=list)
    """Seconds from sending each answered request to the end of its body (no queueing in the client)."""
    messages: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.messages) < KEPT_ERRORS:
            self.messages.append(message)

    def percentile(self, fraction: float, *, service: bool = False) -> float:
        """The nearest-rank percentile of the latencies (of the service times with `service`), 0.0 with none."""
        values = self.service if service else self.latencies
        if not values:
            return 0.0
        ordered = sorted(values)
        return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class WatchTally(Tally):
    """Watch streams: `latencies` are the times to open them (response headers); `events` received."""

    events: int = 0


@dataclass
class LoadResult:
    """What a bounded load run measured."""

    tallies: dict[str, Tally]
    watches: WatchTally
    seconds: float
    scheduled: int
    max_dispatch_lag: float

    @property
    def errors(self) -> int:
        return sum(t.errors for t in self.tallies.values()) + self.watches.errors

    def error_messages(self) -> list[str]:
        return [f"{name}: {m}" for name, t in {**self.tallies, "watch": self.watches}.items() for m in t.messages]


class KeepAliveConnection:
    """One keep-alive HTTP/1.1 connection sending GETs one at a time; (re)connects when needed.

    Only answers with a Content-Length are understood (what the hub sends to a get or a list);
    anything else raises ProtocolError and the connection is dropped.
    """

    def __init__(self, base_url: str) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError(f"{base_url}: the load generator speaks plain http://host:port only")
        self.host, self.port = url.hostname, url.port or 80
        self._head = f"HTTP/1.1\r\nHost: {url.netloc}\r\nAccept: application/json\r\n\r\n".encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        """(status, body) of `GET path`."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        try:
            writer.write(b"GET " + path.encode() + b" " + self._head)
            head = await reader.readuntil(b"\r\n\r\n")
            status, length, keep = _parse_head(head)
            body = await reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return status, body

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class ProtocolError(Exception):
    """An answer the minimal client does not understand."""


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """(status, Content-Length, keep the connection) of an HTTP/1.1 response head."""
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        raise ProtocolError(f"not an HTTP status line: {lines[0]!r}") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise ProtocolError(f"HTTP {status} without a Content-Length (headers: {', '.join(headers)})")
    return status, int(headers["content-length"]), headers.get("connection", "").lower() != "close"


async def _one(connection: KeepAliveConnection, path: str, due: float, tally: Tally) -> None:
    sent = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            status, body = await connection.get(path)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError) as exc:
        tally.error(f"GET {path}: {type(exc).__name__}: {exc}")
        return
    if not 200 <= status < 300:
        tally.error(f"GET {path}: HTTP {status}: {body[:200].decode(errors='replace')}")
        return
    done = time.perf_counter()
    tally.latencies.append(done - due)
    tally.service.append(done - sent)


async def _watch(client: httpx.AsyncClient, path: str, tally: WatchTally) -> None:
    """Hold one watch stream open until cancelled, counting the events it delivers."""
    opened = time.perf_counter()
    try:
        async with client.stream("GET", path) as response:
            if not response.is_success:
                await response.aread()
                tally.error(f"watch {path}: HTTP {response.status_code}: {response.text[:200]}")
                return
            tally.latencies.append(time.perf_counter() - opened)
            async for line in response.aiter_lines():
                if line:
                    tally.events += 1
            tally.error(f"watch {path}: the server ended the stream before the load did")
    except httpx.HTTPError as exc:
        tally.error(f"watch {path}: {type(exc).__name__}: {exc}")


async def _sender(base_url: str, queue: asyncio.Queue[tuple[str, float, Tally] | None]) -> None:
    """One connection's worth of sending: take due requests off `queue` until None."""
    connection = KeepAliveConnection(base_url)
    try:
        while (item := await queue.get()) is not None:
            path, due, tally = item
            await _one(connection, path, due, tally)
    finally:
        connection.close()


async def open_loop(base_url: str, rate: float, seconds: float, next_request: Callable[[int], Request],
                    watch_paths: Sequence[str], connections: int) -> LoadResult:
    """Send `rate` requests per second for `seconds` (request k is `next_request(k)`, due at k/rate) over
    `connections` keep-alive connections, while the `watch_paths` streams stay open on their own
    connections; wait for the stragglers, then close the watches.

    Due requests wait in a FIFO queue for a free sender, one per connection (that wait counts in their
    latency)."""
    tallies: dict[str, Tally] = {}
    watches = WatchTally()
    queue: asyncio.Queue[tuple[str, float, Tally] | None] = asyncio.Queue()
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(REQUEST_TIMEOUT, read=None)) as watcher:
        streams = [asyncio.create_task(_watch(watcher, path, watches)) for path in watch_paths]
        senders = [asyncio.create_task(_sender(base_url, queue)) for _ in range(connections)]
        total = int(rate * seconds)
        lag = 0.0
        start = time.perf_counter()
        for k in range(total):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lag = max(lag, time.perf_counter() - due)
            kind, path = next_request(k)
            queue.put_nowait((path, due, tallies.setdefault(kind, Tally())))
        for _ in senders:
            queue.put_nowait(None)
        await asyncio.gather(*senders)
        elapsed = time.perf_counter() - start
        for stream in streams:
            stream.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    return LoadResult(tallies, watches, elapsed, total, lag)
