"""A small HTTP/1.1 server (on h11) standing in for a service, to test the proxy's wire work.

What it answers depends on the path's last segment:
- `/echo…`: 200 JSON with the method, target, headers and the body's length and SHA-256;
- `/big?size=N`: N bytes of a known pattern, chunked, in 64 KiB pieces;
- `/close`: an answer with `Connection: close`;
- `/hang`: nothing, ever;
- `/broken`: a head promising 100 bytes, then 10 bytes and a closed connection;
- `/garbage`: bytes that are not HTTP.
It counts the connections it accepted and keeps every request it read.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import h11

CHUNK = 64 * 1024


def pattern(size: int) -> bytes:
    return (b"0123456789abcdef" * (size // 16 + 1))[:size]


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class UpstreamServer:
    connections: int = 0
    open_connections: int = 0
    most_open: int = 0
    requests: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> UpstreamServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_connections += 1
        self.most_open = max(self.most_open, self.open_connections)
        try:
            await self._conversation(reader, writer, h11.Connection(h11.SERVER))
        except (ConnectionError, h11.ProtocolError, asyncio.CancelledError):
            pass
        finally:
            self.open_connections -= 1
            writer.close()

    async def _conversation(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: h11.Connection
    ) -> None:
        request: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(CHUNK))
            elif isinstance(event, h11.Request):
                request, body = event, bytearray()
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                received = Received(
                    request.method.decode(),
                    request.target.decode(),
                    {k.decode(): v.decode() for k, v in request.headers},
                    bytes(body),
                )
                self.requests.append(received)
                if not await self._answer(received, conn, writer):
                    return
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
            else:  # ConnectionClosed, or PAUSED after a close
                return

    async def _answer(
        self, received: Received, conn: h11.Connection, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False when the connection must end now."""
        # Matched on the last segment: behind the gateway paths start with /api/v1/<service>.
        path = "/" + urlsplit(received.target).path.rsplit("/", 1)[-1]
        if path == "/hang":
            await asyncio.sleep(3600)
        if path == "/garbage":
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
            await writer.drain()
            return False
        if path == "/broken":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
            await writer.drain()
            return False
        if path == "/big":
            size = int(parse_qs(urlsplit(received.target).query)["size"][0])
            writer.write(conn.send(h11.Response(status_code=200, headers=[])))
            for start in range(0, size, CHUNK):
                writer.write(conn.send(h11.Data(data=pattern(size)[start : start + CHUNK])))
                await writer.drain()
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            return True
        payload = json.dumps(
            {
                "method": received.method,
                "target": received.target,
                "headers": received.headers,
                "length": len(received.body),
                "sha256": hashlib.sha256(received.body).hexdigest(),
            }
        ).encode()
        headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(payload))),
            ("server", "upstream"),
            ("x-upstream", "yes"),
        ]
        if path == "/close":
            headers.append(("connection", "close"))
        writer.write(conn.send(h11.Response(status_code=200, headers=headers)))
        if received.method != "HEAD":
            writer.write(conn.send(h11.Data(data=payload)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()
        return True
