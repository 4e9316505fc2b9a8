"""`HttpPool` against a byte-scripted HTTP server on 127.0.0.1: keep-alive, idle expiry, the
ways a response can end or fail, and what each failure says about whether the request was sent.
Every test runs on asyncio's loop and on uvloop (the app's: its transports are not asyncio's
classes)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from yarl import URL

from ivr.app.loop import run
from ivr.ari.http11 import IDLE_S, ConnectFailed, ConnectionLost, HttpPool, _Connection
from tests.helpers import until

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
Answer = Callable[[bytes], list[bytes | None]]  # request head -> chunks to write; None: close


@dataclass
class Server:
    """Answers each request with `answer(head)`; records heads and connections."""

    answer: Answer = lambda head: [OK]
    heads: list[bytes] = field(default_factory=list)
    connections: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    url: URL = field(default_factory=lambda: URL("http://127.0.0.1"))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                self.heads.append(head + body)
                for chunk in self.answer(head):
                    if chunk is None:
                        writer.close()
                        return
                    writer.write(chunk)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[Server]:
    s = Server()
    srv = await asyncio.start_server(s.handle, "127.0.0.1", 0)
    s.url = URL(f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/ari")
    try:
        yield s
    finally:
        srv.close()
        for w in s.writers:
            w.close()
        await srv.wait_closed()


LOOPS = pytest.mark.parametrize("loop", ["asyncio", "uvloop"])


def on(loop: str, scenario: Callable[[Server], Awaitable[None]]) -> None:
    """Run `scenario` against a fresh server on a new loop of kind `loop`."""

    async def main() -> None:
        async with serving() as server:
            await scenario(server)

    run(loop, main())


def both_loops(scenario: Callable[[Server], Awaitable[None]]) -> Callable[[str], None]:
    """A test that runs `scenario` against a fresh server on asyncio's loop and on uvloop."""

    def test(loop: str) -> None:
        on(loop, scenario)

    test.__name__, test.__doc__ = scenario.__name__, scenario.__doc__
    return LOOPS(test)


def pool_for(server: Server, now: list[float] | None = None) -> HttpPool:
    clock = (lambda: now[0]) if now is not None else (lambda: 0.0)
    return HttpPool(server.url, {"Authorization": "Basic dTpw"}, clock=clock)


@both_loops
async def test_requests_reuse_one_keep_alive_connection_and_send_what_asterisk_reads(
    server: Server,
) -> None:
    pool = pool_for(server)
    for _ in range(5):
        assert await pool.request("POST", "/ari/channels/c1/answer") == (200, b"{}")
    assert await pool.request("GET", "/ari/asterisk/info") == (200, b"{}")
    body = b'{"variables":{"A":"1"}}'
    assert await pool.request("POST", "/ari/channels", body, "application/json") == (200, b"{}")
    await pool.close()
    assert (server.connections, pool.opened) == (1, 1)
    port = server.url.port
    assert (
        server.heads[0]
        == (
            f"POST /ari/channels/c1/answer HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "User-Agent: futures-ivr\r\nAuthorization: Basic dTpw\r\nContent-Length: 0\r\n\r\n"
        ).encode()
    )
    assert b"Content-Length" not in server.heads[5]  # a GET has no body
    assert server.heads[6].endswith(
        b"Content-Length: 23\r\nContent-Type: application/json\r\n\r\n" + body
    )


@both_loops
async def test_chunked_and_split_answers_are_read_whole(server: Server) -> None:
    server.answer = lambda head: [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"3\r\n[1,\r\n",
        b"2\r\n2]\r\n0\r\n\r\n",
    ]
    pool = pool_for(server)
    assert await pool.request("GET", "/ari/channels") == (200, b"[1,2]")
    server.answer = lambda head: [OK[:20], OK[20:45], OK[45:]]
    assert await pool.request("GET", "/ari/channels") == (200, b"{}")
    assert server.connections == 1
    await pool.close()


@both_loops
async def test_no_content_and_connection_close_answers(server: Server) -> None:
    server.answer = lambda head: [b"HTTP/1.1 204 No Content\r\n\r\n"]
    pool = pool_for(server)
    assert await pool.request("DELETE", "/ari/playbacks/pb-1") == (204, b"")
    server.answer = lambda head: [
        b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    ]
    assert await pool.request("DELETE", "/ari/playbacks/pb-2") == (404, b"")
    assert pool.connections == 0  # the server said close: not kept
    server.answer = lambda head: [OK]
    assert await pool.request("GET", "/ari/channels") == (200, b"{}")
    assert server.connections == 2
    await pool.close()


@both_loops
async def test_an_idle_connection_is_not_reused_after_the_idle_time(server: Server) -> None:
    now = [1000.0]
    pool = pool_for(server, now)
    await pool.request("GET", "/ari/channels")
    now[0] += IDLE_S - 0.1
    await pool.request("GET", "/ari/channels")
    assert server.connections == 1
    now[0] += IDLE_S  # longer than Asterisk would keep it is never risked
    await pool.request("GET", "/ari/channels")
    assert server.connections == 2
    assert pool.connections == 1  # the old one was closed
    await pool.close()


@both_loops
async def test_a_connection_the_server_closed_while_idle_is_not_used(server: Server) -> None:
    pool = pool_for(server)
    await pool.request("GET", "/ari/channels")
    server.writers[0].close()  # Asterisk's session_keep_alive ran out
    await until(lambda: pool.connections == 0)
    assert await pool.request("GET", "/ari/channels") == (200, b"{}")
    assert server.connections == 2
    await pool.close()


@both_loops
async def test_a_connection_lost_before_the_answer_ended_fails_as_sent(server: Server) -> None:
    server.answer = lambda head: [OK[:-1], None]  # one byte short, then closed
    pool = pool_for(server)
    with pytest.raises(ConnectionLost) as caught:
        await pool.request("POST", "/ari/channels/c1/play")
    assert caught.value.sent
    assert str(caught.value) == "the connection closed before the response ended"
    server.answer = lambda head: [b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"]
    with pytest.raises(ConnectionLost) as caught:
        await pool.request("POST", "/ari/channels/c1/play")
    assert str(caught.value) == "a malformed HTTP response"
    assert pool.connections == 0
    await pool.close()


@both_loops
async def test_a_request_cancelled_by_its_deadline_closes_its_connection(server: Server) -> None:
    answered = asyncio.Event()

    def late(head: bytes) -> list[bytes | None]:
        answered.set()
        return []  # never answers this one

    server.answer = late
    pool = pool_for(server)
    request = asyncio.create_task(pool.request("POST", "/ari/channels/c1/answer"))
    await until(answered.is_set)
    request.cancel()  # what the transport's deadline does
    with pytest.raises(asyncio.CancelledError):
        await request
    assert pool.connections == 0  # a late answer can never be read as the next request's
    server.answer = lambda head: [OK]
    assert await pool.request("GET", "/ari/channels") == (200, b"{}")
    assert server.connections == 2
    await pool.close()


@LOOPS
def test_refused_connection_fails_as_not_sent(loop: str) -> None:
    async def scenario() -> None:
        probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        pool = HttpPool(URL(f"http://127.0.0.1:{port}/ari"), {})
        with pytest.raises(ConnectFailed) as caught:
            await pool.request("POST", "/ari/channels/c1/answer")
        assert not caught.value.sent
        assert str(caught.value) == "Connection refused"

    run(loop, scenario())


@LOOPS
def test_a_connection_closed_as_it_was_accepted_fails_as_not_sent(loop: str) -> None:
    class Transport(asyncio.Transport):
        def __init__(self) -> None:
            super().__init__()
            self.written: list[bytes] = []

        def write(self, data: bytes | bytearray | memoryview) -> None:  # pragma: no cover
            self.written.append(bytes(data))

        def close(self) -> None:
            pass

    async def scenario() -> None:
        conn = _Connection()
        transport = Transport()
        conn.connection_made(transport)
        conn.connection_lost(None)  # Asterisk's sessionlimit: closed before a byte was read
        with pytest.raises(ConnectFailed) as caught:
            await conn.send(b"POST /ari/channels/c1/answer HTTP/1.1\r\n\r\n")
        assert str(caught.value) == "the server closed the connection at once"
        assert transport.written == []

    run(loop, scenario())


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8088/ari", "127.0.0.1:8088"),
        ("http://[::1]:8088/ari", "[::1]:8088"),
        ("http://pbx.example/ari", "pbx.example"),
        ("https://pbx.example:443/ari", "pbx.example"),
    ],
)
def test_the_host_header_names_the_server_as_http_says(url: str, host: str) -> None:
    head = HttpPool(URL(url), {})._head
    assert head.startswith(f"Host: {host}\r\n".encode())
