"""The worker under a PostgreSQL restart: it heals without being restarted itself, and what
was waiting in the outbox when the database went away is delivered once, not lost.

On a PostgreSQL of this module's own (it stops it), with the participation service and one
worker as real processes and a real SMTP server (aiosmtpd) in the test.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from cli.worker import LISTENER_NAME
from shared.db import libpq_url
from tests.conftest import TEST_SECRET, make_settings
from tests.notify.test_mail import new_event
from tests.notify.test_worker_processes import outbox_row
from tests.ports import free_port
from tests.quality.conftest import fresh_database
from tests.receivers import MailServer, unique_email
from tests.restartable import Database, restartable_database
from tests.stack import stack_env, start_service, stop, wait_ready

pytestmark = [pytest.mark.faults, pytest.mark.slow]

API = "/api/v1/participation"
OUTAGE_SECONDS = 1.0  # how long PostgreSQL stays down: any outage will do
LEASE_SECONDS = "10"  # a refusal recorded while the database is down comes due again soon
BOUND_SECONDS = 30.0  # an upper bound for a loaded machine, never an expectation


@dataclass
class RefusingMailServer(MailServer):
    """A mail server that can answer 451 (try again later) to every message for a while."""

    refusing: bool = False
    refused: set[str] = field(default_factory=set)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refusing:
            self.refused.update(str(address) for address in envelope.rcpt_tos)
            return "451 refused for now by the test"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    with restartable_database("magnet-worker-restart-") as database:
        yield database


@pytest.fixture(scope="module")
def restart_url(database: Database) -> Iterator[str]:
    yield from fresh_database(database.url)


@pytest.fixture(scope="module")
def smtp() -> Iterator[RefusingMailServer]:
    server = RefusingMailServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@dataclass
class Processes:
    participation_url: str
    worker: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def processes(restart_url: str, smtp: RefusingMailServer) -> Iterator[Processes]:
    ports = {"participation": free_port(), "worker": free_port()}
    env = stack_env(
        restart_url,
        ports,
        secret_key=TEST_SECRET,
        smtp_url=smtp.url,
        worker_poll_seconds="0.5",
        outbox_lease_seconds=LEASE_SECONDS,
    )
    running = {name: start_service(name, port, env) for name, port in ports.items()}
    try:
        for name, port in ports.items():
            wait_ready(f"http://127.0.0.1:{port}", running[name])
        yield Processes(f"http://127.0.0.1:{ports['participation']}", running["worker"])
    finally:
        stop(running)


@pytest.fixture
async def participation(processes: Processes) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=processes.participation_url, timeout=15) as client:
        yield client


async def register(
    participation: httpx.AsyncClient, event: dict[str, Any], address: str
) -> dict[str, Any]:
    """Register, retrying while the service itself still answers 503 after the restart
    (that the services heal is proved in tests/quality/test_faults.py)."""
    deadline = time.monotonic() + BOUND_SECONDS
    while True:
        response = await participation.post(
            f"{API}/events/{event['id']}/registrations",
            json={"name": "Ana Novak", "email": address, "consent": True, "language": "en"},
        )
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert response.status_code == 201, response.text
    registration: dict[str, Any] = response.json()
    return registration


async def restart(database: Database) -> None:
    await asyncio.to_thread(database.stop)
    await asyncio.sleep(OUTAGE_SECONDS)
    await asyncio.to_thread(database.start)


async def listeners(database_url: str) -> int:
    """How many worker connections LISTEN on this database now."""
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
            " AND datname = current_database()",
            LISTENER_NAME,
        )
    finally:
        await connection.close()
    return count


async def until_listening(database_url: str) -> None:
    deadline = time.monotonic() + BOUND_SECONDS
    while await listeners(database_url) != 1:
        assert time.monotonic() < deadline, "the worker never listened again"
        await asyncio.sleep(0.1)


class TestWorkerAcrossARestart:
    async def test_an_idle_worker_heals_and_sends_what_is_queued_after_the_restart(
        self,
        processes: Processes,
        participation: httpx.AsyncClient,
        database: Database,
        restart_url: str,
        smtp: RefusingMailServer,
    ) -> None:
        event = await new_event(participation, make_settings(restart_url))
        await until_listening(restart_url)
        await restart(database)
        # The stop ended the old LISTEN connection: the one counted now is a new one.
        await until_listening(restart_url)
        address = unique_email("after-restart")
        registration = await register(participation, event, address)

        [message] = await smtp.wait_for(address)
        row = await outbox_row(restart_url, registration["id"])
        assert message["Message-ID"] == row["message_id"]
        assert processes.worker.poll() is None, "the worker healed without being restarted"

    async def test_messages_pending_when_the_database_stops_arrive_once_each_after_it(
        self,
        processes: Processes,
        participation: httpx.AsyncClient,
        database: Database,
        restart_url: str,
        smtp: RefusingMailServer,
    ) -> None:
        event = await new_event(participation, make_settings(restart_url), capacity=20)
        addresses = [unique_email(f"pending-{index}") for index in range(6)]
        smtp.refusing = True
        registered = await asyncio.gather(
            *(register(participation, event, address) for address in addresses)
        )
        deadline = time.monotonic() + BOUND_SECONDS
        while not set(addresses) <= smtp.refused:
            assert time.monotonic() < deadline, "the worker never tried every message"
            await asyncio.sleep(0.05)
        assert all(smtp.to(address) == [] for address in addresses)  # all still waiting

        await asyncio.to_thread(database.stop)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(database.start)
        # Accepted only once the database is back, so no message can be accepted by the
        # receiver while its worker cannot record that (which would send it again).
        smtp.refusing = False

        for address in addresses:
            await smtp.wait_for(address)
        # The receiver has each message a moment before the worker records it as sent.
        deadline = time.monotonic() + BOUND_SECONDS
        while True:
            rows = [await outbox_row(restart_url, item["id"]) for item in registered]
            if all(row["sent_at"] is not None for row in rows):
                break
            assert time.monotonic() < deadline, "the worker never recorded every message sent"
            await asyncio.sleep(0.1)
        for address, row in zip(addresses, rows, strict=True):
            [message] = smtp.to(address)  # exactly one: a sent row is never sent again
            assert message["Message-ID"] == row["message_id"]
        assert len({row["message_id"] for row in rows}) == len(addresses)
        assert processes.worker.poll() is None, "the worker healed without being restarted"
