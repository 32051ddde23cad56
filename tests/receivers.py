"""Real receivers for what the platform sends: an SMTP server (aiosmtpd) and an HTTP server
for webhooks, both in this process on free loopback ports, and the worker that feeds them.
Fixtures for every test directory (a plugin of tests/conftest.py)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI

from cli.worker import Worker, create_app
from shared.settings import Settings
from tests.conftest import make_settings
from tests.ports import free_port

WAIT_SECONDS = 60.0  # an upper bound for a loaded machine, never a measured expectation


@dataclass
class Received:
    at: float
    recipients: list[str]
    message: EmailMessage


@dataclass
class MailServer:
    """Collects every mail it accepts; can hold back mail to chosen recipients."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    hold_for: set[str] = field(default_factory=set)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipients = [str(address) for address in envelope.rcpt_tos]
        if self.hold_for & set(recipients):
            # A delivery stuck mid-DATA: the client has sent the message, no answer yet.
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 held back by the test and not accepted"
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(time.time(), recipients, message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [item.message for item in self.received if address in item.recipients]

    async def wait_for(self, address: str, count: int = 1) -> list[EmailMessage]:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"no mail to {address} in {WAIT_SECONDS} s"
            await asyncio.sleep(0.05)
        return self.to(address)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def mail_server() -> Iterator[MailServer]:
    server = MailServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        server.release.set()
        controller.stop()


def worker_settings(database_url: str, mail_server: MailServer, **overrides: Any) -> Settings:
    return make_settings(
        database_url, smtp_url=mail_server.url, worker_poll_seconds=0.5, **overrides
    )


@asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[Worker]:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        worker: Worker = app.state.worker
        yield worker


@pytest.fixture(scope="module")
async def worker(database_url: str, mail_server: MailServer) -> AsyncIterator[Worker]:
    async with running_worker(worker_settings(database_url, mail_server)) as running:
        yield running


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.org"


@dataclass
class Hook:
    headers: dict[str, str]
    body: bytes


@dataclass
class HookReceiver:
    """An HTTP server that records every POST and answers what `answers` says (then 200)."""

    port: int
    received: list[Hook] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(Hook(dict(request.headers), await request.read()))
        return web.Response(status=self.answers.pop(0) if self.answers else 200)

    async def wait_for(self, count: int, where: Callable[[Hook], bool] = bool) -> list[Hook]:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(matching := [hook for hook in self.received if where(hook)]) < count:
            assert time.monotonic() < deadline, f"fewer than {count} deliveries in time"
            await asyncio.sleep(0.05)
        return matching


@pytest.fixture
async def hook_receiver() -> AsyncIterator[HookReceiver]:
    receiver = HookReceiver(port=free_port())
    app = web.Application()
    app.router.add_post("/hooks", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", receiver.port)
    await site.start()
    try:
        yield receiver
    finally:
        await runner.cleanup()
