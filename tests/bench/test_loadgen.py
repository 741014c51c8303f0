"""The load generator's minimal HTTP/1.1 client against a scripted loopback server: keep-alive reuse,
`Connection: close`, and an answer it cannot read (no Content-Length) raising ProtocolError."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bench.loadgen import KeepAliveConnection, ProtocolError

ANSWERS = {
    b"/keep": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\ncontent-type: text/plain\r\n\r\nkept",
    b"/close": b"HTTP/1.1 404 Not Found\r\nContent-Length: 6\r\nConnection: close\r\n\r\nclosed",
    b"/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
}


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[int]]]:
    """A server answering ANSWERS by path; yields its URL and the number of requests per connection."""
    served: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served.append(0)
        path = b""
        with contextlib.suppress(asyncio.IncompleteReadError):  # the client closed the connection
            while path != b"/close":
                path = (await reader.readuntil(b"\r\n\r\n")).split(b" ")[1]
                served[-1] += 1
                writer.write(ANSWERS[path])
        writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield f"http://127.0.0.1:{port}", served


async def test_requests_share_a_connection_until_the_server_closes_it(server: tuple[str, list[int]]) -> None:
    url, served = server
    connection = KeepAliveConnection(url)
    assert await connection.get("/keep") == (200, b"kept")
    assert await connection.get("/keep") == (200, b"kept")
    assert await connection.get("/close") == (404, b"closed")
    assert await connection.get("/keep") == (200, b"kept")
    connection.close()
    assert served == [3, 1]


async def test_an_answer_without_a_content_length_is_a_protocol_error(server: tuple[str, list[int]]) -> None:
    connection = KeepAliveConnection(server[0])
    with pytest.raises(ProtocolError, match="without a Content-Length"):
        await connection.get("/chunked")
    assert await connection.get("/keep") == (200, b"kept")
    connection.close()
