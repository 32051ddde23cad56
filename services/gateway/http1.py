"""A lean HTTP/1.1 client for the gateway's upstreams: keep-alive connections on asyncio
protocols, responses parsed by httptools (the parser uvicorn serves with).

Why not aiohttp's client: measured with `bench/gateway.py`, its per-request work (URL and
header objects, auto headers, tracing hooks, timers) cost the gateway about as much CPU as
everything else it does for a proxied request. This client sends the caller's header bytes
as they are and hands back the parsed ones, and does nothing else: no redirects, cookies,
decompression or proxies. Bodies stream both ways with flow control.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import cast

import httptools

Headers = list[tuple[bytes, bytes]]
READ_BUFFER_LIMIT = 256 * 1024
# Idle connections older than this are not reused: servers close them (uvicorn after 5 s),
# and a request sent on a connection the server is closing at that moment would fail.
IDLE_SECONDS = 4.0


class UpstreamError(Exception):
    """The upstream could not be reached or broke off."""


class ConnectFailed(UpstreamError):
    """No connection could be made: nothing was sent."""


class Disconnected(UpstreamError):
    """The connection closed before a complete answer."""


class PoolBusy(UpstreamError):
    """Every connection stayed busy for as long as a request may wait for one: nothing
    was sent, and the service itself may be fine."""


class _Connection(asyncio.Protocol):
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._loop = asyncio.get_running_loop()
        self._head: asyncio.Future[None] | None = None
        self._data: asyncio.Event = asyncio.Event()
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._complete = False
        self._can_write: asyncio.Event = asyncio.Event()
        self._can_write.set()
        self.status = 0
        self.headers: Headers = []
        self.keep_alive = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._can_write.set()
        self._data.set()
        if self._head is not None and not self._head.done():
            self._head.set_exception(Disconnected("the connection closed before an answer"))

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(Disconnected(f"an invalid answer: {exc}"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        self.keep_alive = self._parser.should_keep_alive()
        if self._head is not None and not self._head.done():
            self._head.set_result(None)

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        self._data.set()
        if self._buffered > READ_BUFFER_LIMIT and self.transport is not None:
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        self._complete = True
        self._data.set()

    # used by the pool and the response
    def start(self) -> asyncio.Future[None]:
        self._parser = httptools.HttpResponseParser(self)
        self._head = self._loop.create_future()
        self._chunks.clear()
        self._buffered = 0
        self._complete = False
        self.headers = []
        return self._head

    def time_out(self) -> None:
        if self._head is not None and not self._head.done():
            self._head.set_exception(TimeoutError())

    def _fail(self, exc: Exception) -> None:
        if self._head is not None and not self._head.done():
            self._head.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()
        self._data.set()

    def send(self, data: bytes) -> bool:
        """Queue `data` for sending; False when the caller should wait for `drained()`."""
        if self.closed or self.transport is None:
            raise Disconnected("the connection closed while sending")
        self.transport.write(data)
        return self._can_write.is_set()

    async def drained(self) -> None:
        await self._can_write.wait()

    async def write(self, data: bytes) -> None:
        if not self.send(data):
            await self.drained()

    async def next_chunk(self) -> bytes | None:
        """The next piece of the body, or None at its end."""
        while not self._chunks:
            if self._complete:
                return None
            if self.closed:
                raise Disconnected("the connection closed in the middle of an answer")
            self._data.clear()
            await self._data.wait()
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._buffered <= READ_BUFFER_LIMIT // 2:
            self.resume_reading()
        return chunk

    def resume_reading(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    @property
    def complete(self) -> bool:
        return self._complete

    def take_body(self) -> bytes:
        """All of a complete answer's body that was not read yet."""
        body = b"".join(self._chunks)
        self._chunks.clear()
        self._buffered = 0
        return body

    @property
    def reusable(self) -> bool:
        return self._complete and self.keep_alive and not self.closed


class Response:
    """An answer whose head has arrived; read or stream the body, then `release()`."""

    def __init__(self, connection: _Connection, read_timeout: float | None, *, head_only: bool):
        self.status = connection.status
        self.headers = connection.headers
        self._connection: _Connection | None = connection
        self._read_timeout = read_timeout
        self._head_only = head_only

    @property
    def content_length(self) -> int | None:
        if self._head_only or self.status in (204, 304) or 100 <= self.status < 200:
            return 0
        for name, value in self.headers:
            if name == b"content-length":
                return int(value) if value.isdigit() else None
        return None

    async def chunks(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None or self._head_only:
            return
        while True:
            async with asyncio.timeout(self._read_timeout):
                chunk = await connection.next_chunk()
            if chunk is None:
                return
            yield chunk

    @property
    def complete(self) -> bool:
        """All of the answer has arrived (usual for small ones once the head is here)."""
        connection = self._connection
        return self._head_only or (connection is not None and connection.complete)

    async def read(self) -> bytes:
        try:
            if self._head_only or self._connection is None:
                return b""
            if self._connection.complete:
                return self._connection.take_body()
            return b"".join([chunk async for chunk in self.chunks()])
        finally:
            self.release()

    def release(self) -> None:
        """Give the connection back when the answer was read to its end, else close it."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        connection.pool.finish(connection, reuse=connection.reusable and not self._head_only)


class Pool:
    """Keep-alive connections to one `host:port`, most recently used first."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        limit: int,
        connect_timeout: float,
        queue_timeout: float | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.queue_timeout = queue_timeout
        self._host_header = f"{host}:{port}".encode()
        self._idle: list[_Connection] = []
        # Requests in flight (each holds one connection) beyond `limit` wait their turn, for
        # `queue_timeout` seconds at most.
        self.limit = limit
        self._in_flight = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    def load(self, what: str) -> int:
        """For the gauges: requests `in_flight` (each on a connection), `idle` connections,
        or requests `waiting` for one."""
        if what == "in_flight":
            return self._in_flight
        if what == "idle":
            return len(self._idle)
        return len(self._waiting)

    async def request(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[bytes, bytes]],
        body: AsyncIterator[bytes] | bytes | None = None,
        *,
        chunked: bool = False,
        read_timeout: float | None = None,
        queue_timeout: float | None = None,
    ) -> Response:
        """Send a request and wait (up to `read_timeout` seconds) for the head of its answer,
        and as long for each piece of its body.

        `body` is sent as it is: give a `content-length` header for it, or `chunked=True`.
        Raises `PoolBusy` when no connection frees up within `queue_timeout` (default: the
        pool's).
        """
        if self._in_flight < self.limit and not self._waiting:
            self._in_flight += 1
        else:
            await self._wait_for_slot(
                self.queue_timeout if queue_timeout is None else queue_timeout
            )
        try:
            connection = self._idle_connection() or await self._connect()
        except BaseException:
            self._give_slot()
            raise
        head = connection.start()
        try:
            if not connection.send(self._head_bytes(method, target, headers, chunked)):
                await connection.drained()
            if body is not None:
                # Not timed: the pace is the caller's, who is sending it.
                await self._send_body(connection, body, chunked=chunked)
            # A timer rather than `asyncio.timeout`: this runs on every proxied request.
            timer = (
                None
                if read_timeout is None
                else asyncio.get_running_loop().call_later(read_timeout, connection.time_out)
            )
            try:
                await head
            finally:
                if timer is not None:
                    timer.cancel()
        except BaseException:
            self.finish(connection, reuse=False)
            raise
        return Response(connection, read_timeout, head_only=method == "HEAD")

    def _head_bytes(
        self, method: str, target: str, headers: Iterable[tuple[bytes, bytes]], chunked: bool
    ) -> bytes:
        lines = [f"{method} {target} HTTP/1.1\r\nhost: ".encode(), self._host_header, b"\r\n"]
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        if chunked:
            lines.append(b"transfer-encoding: chunked\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    async def _send_body(
        self, connection: _Connection, body: AsyncIterator[bytes] | bytes, *, chunked: bool
    ) -> None:
        if isinstance(body, bytes):
            await connection.write(_chunk(body) + b"0\r\n\r\n" if chunked else body)
            return
        async for piece in body:
            await connection.write(_chunk(piece) if chunked else piece)
        if chunked:
            await connection.write(b"0\r\n\r\n")

    def _idle_connection(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_SECONDS:
                return connection
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self), self.host, self.port
                )
        except (OSError, TimeoutError) as exc:
            raise ConnectFailed(f"cannot connect: {exc or type(exc).__name__}") from exc
        return connection

    def finish(self, connection: _Connection, *, reuse: bool) -> None:
        """The request on `connection` is over: keep the connection for the next one or close it."""
        self._give_slot()
        if reuse:
            connection.resume_reading()  # a large answer may have paused it; the next needs it
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()

    async def _wait_for_slot(self, seconds: float | None) -> None:
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            async with asyncio.timeout(seconds):
                await turn  # the slot is handed over by `_give_slot`, still counted
        except BaseException as exc:
            if turn.done() and not turn.cancelled():
                self._give_slot()  # handed over just as the wait ended
            else:
                # Out of the queue, so that an abandoned turn never holds up later requests.
                with contextlib.suppress(ValueError):  # `_give_slot` may have skipped it
                    self._waiting.remove(turn)
            if isinstance(exc, TimeoutError):
                raise PoolBusy(f"no free connection within {seconds} s") from exc
            raise

    def _give_slot(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._in_flight -= 1

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data) if data else b""
