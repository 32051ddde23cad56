"""Hostile clients on raw sockets, and an ordinary client timed beside them.

Used by the regression tests of the gateway's bounds (`test_hostile_clients.py`) and by
`bench/hostile.py`, which runs the same attacks at the scale they were reported at.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from tests.ports import free_port
from tests.stack import start_service, stop

HOST = "127.0.0.1"


@dataclass
class Answer:
    """What a hostile connection got back: the status (None without one), and whether the
    server closed the connection."""

    status: int | None
    raw: bytes
    closed: bool


async def read_answer(reader: asyncio.StreamReader, within: float) -> Answer:
    """Everything until the server closes the connection (or `within` seconds pass)."""
    raw = b""
    closed = False
    try:
        async with asyncio.timeout(within):
            while chunk := await reader.read(65536):
                raw += chunk
            closed = True
    except ConnectionError:
        closed = True
    except TimeoutError:
        pass
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else None
    return Answer(status, raw, closed)


@dataclass
class SlowSenders:
    """Connections that send a request slowly: `piece` every `interval` seconds."""

    port: int
    interval: float
    piece: bytes
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(
        default_factory=list
    )
    _task: asyncio.Task[None] | None = None

    async def open(self, count: int, head: bytes, first: bytes) -> None:
        for _ in range(count):
            reader, writer = await asyncio.open_connection(HOST, self.port)
            writer.write(head + first)
            self.connections.append((reader, writer))
        self._task = asyncio.create_task(self._trickle())

    async def _trickle(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            for reader, writer in self.connections:
                if not reader.at_eof() and not writer.is_closing():
                    with contextlib.suppress(ConnectionError):
                        writer.write(self.piece)

    async def answers(self, within: float) -> list[Answer]:
        return await asyncio.gather(*(read_answer(r, within) for r, _ in self.connections))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for _, writer in self.connections:
            writer.close()


async def slow_uploads(port: int, count: int, interval: float, path: str) -> SlowSenders:
    """`count` POSTs that declare a 1,000,000-byte body and send one byte per `interval`."""
    senders = SlowSenders(port, interval, b"a")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000000\r\n\r\n"
    ).encode()
    await senders.open(count, head, b"{")
    return senders


async def slow_heads(port: int, count: int, interval: float) -> SlowSenders:
    """`count` requests whose head never ends: one more header line per `interval`."""
    senders = SlowSenders(port, interval, b"x-slow: 1\r\n")
    head = f"GET /api/v1/catalog/entries HTTP/1.1\r\nHost: {HOST}\r\n".encode()
    await senders.open(count, head, b"")
    return senders


@dataclass
class Latencies:
    statuses: list[int]
    seconds: list[float]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000

    def summary(self) -> str:
        return f"p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms over {len(self.seconds)}"


async def ordinary_client(base_url: str, paths: list[str], rounds: int) -> Latencies:
    """An ordinary client's requests one after another, each timed (never asserted on)."""
    statuses: list[int] = []
    seconds: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for _ in range(rounds):
            for path in paths:
                started = time.perf_counter()
                response = await client.get(path)
                seconds.append(time.perf_counter() - started)
                statuses.append(response.status_code)
    return Latencies(statuses, seconds)


@asynccontextmanager
async def gateway_process(env: dict[str, str]) -> AsyncIterator[str]:
    """`magnet serve gateway` on a free port with `env`, once `/healthz` answers.

    Waits without blocking the loop: the stand-in services of a test run on it."""
    port = free_port()
    process = start_service("gateway", port, {**env, "MAGNET_GATEWAY_PORT": str(port)})
    url = f"http://{HOST}:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=1) as client:
            for _ in range(300):
                if process.poll() is not None:
                    raise RuntimeError(f"the gateway exited with {process.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise TimeoutError("the gateway did not start")
        yield url
    finally:
        stop({"gateway": process})
