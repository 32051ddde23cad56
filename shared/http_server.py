"""Uvicorn's httptools protocol with bounds on how a request's head arrives.

Uvicorn waits for a request's head without a time limit (its keep-alive timeout only runs
between requests, and only until the next byte) and without a size limit, so a client that
opens connections and sends a header line now and then, or a megabyte of headers, holds
them and the memory for as long as it likes. Here a head must arrive whole within
`MAGNET_HEADER_TIMEOUT_SECONDS` of the connection opening or of its first byte (else 408,
or a silent close for a connection that never sent anything) and stay within
`MAGNET_MAX_HEADER_BYTES` and `MAGNET_MAX_HEADERS` (else 431). These answers, and the 400
for a head that cannot be parsed, are problems and close the connection. Bodies are
bounded where they are read (the gateway's proxy).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from http import HTTPStatus

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shared.problems import PROBLEM_MEDIA_TYPE, problem_type
from shared.settings import get_settings

LINGER_SECONDS = 2.0


class _HeadRefused(Exception):
    """Stops the parser: the head broke a bound (the protocol answers with its refusal)."""


def problem_bytes(status: int, slug: str, detail: str) -> bytes:
    """A complete HTTP/1.1 problem response that closes the connection."""
    phrase = HTTPStatus(status).phrase
    body = json.dumps(
        {"type": problem_type(slug), "title": phrase, "status": status, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        f"content-type: {PROBLEM_MEDIA_TYPE}\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-request-id: {uuid.uuid4().hex}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    header_timeout: float = 10.0
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100

    _head_timer: asyncio.TimerHandle | None = None
    _reading_head = False
    _head_bytes = 0
    _header_count = 0
    _refusal: bytes | None = None
    _discarding = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True
        self._head_bytes = self._header_count = 0
        self._start_head_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count(len(url), headers=0)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._count(len(name) + len(value) + 4, headers=1)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if not self._discarding:
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """What uvicorn answers to a head the parser refused, as a problem.

        Then the rest of what the client sends is read and dropped for a moment before the
        connection closes: closing with unread data would reset the connection, and the
        client, still sending, might never read the answer."""
        self.transport.write(self._refusal or problem_bytes(400, "bad-request", msg))
        self._discarding = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _count(self, size: int, *, headers: int) -> None:
        self._head_bytes += size
        self._header_count += headers
        if self._head_bytes > self.max_header_bytes or self._header_count > self.max_headers:
            detail = (
                f"A request's head is limited to {self.max_header_bytes} bytes "
                f"and {self.max_headers} header fields."
            )
            self._refusal = problem_bytes(431, "request-header-fields-too-large", detail)
            raise _HeadRefused

    def _start_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._start_head_timer()  # an earlier answer is still being written: wait for it
            return
        if self._reading_head:
            detail = f"The request's head did not arrive within {self.header_timeout:g} s."
            self.transport.write(problem_bytes(408, "request-timeout", detail))
        self.transport.close()


class _BoundsFromSettings(BoundedHttpToolsProtocol):
    """Bounds read from the settings of the environment, once per process.

    `magnet serve` names these classes by import path, so that each of `--workers N`
    processes (started by spawning, not forking) builds the same protocol itself."""

    headroom = 1

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        settings = get_settings()
        self.header_timeout = settings.header_timeout_seconds
        self.max_header_bytes = settings.max_header_bytes * self.headroom
        self.max_headers = settings.max_headers * self.headroom
        super().connection_made(transport)


class GatewayHttpProtocol(_BoundsFromSettings):
    """The public edge: the bounds as configured."""


class ServiceHttpProtocol(_BoundsFromSettings):
    """A service behind the gateway receives what the gateway admitted plus the headers it
    adds, and must not refuse that: twice the bounds."""

    headroom = 2
