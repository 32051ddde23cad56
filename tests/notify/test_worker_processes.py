"""The guarantees that need real worker processes: killed mid-delivery, and two at once."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import httpx
import pytest

from shared.db import libpq_url
from shared.settings import Settings
from tests.conftest import TEST_SECRET
from tests.notify.test_mail import new_event, register
from tests.ports import free_port
from tests.receivers import WAIT_SECONDS, MailServer, unique_email
from tests.stack import stack_env, start_service, stop, wait_ready

pytestmark = pytest.mark.slow


@contextmanager
def worker_process(
    database_url: str, mail_server: MailServer, **settings: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = stack_env(
        database_url,
        {"worker": port},
        secret_key=TEST_SECRET,
        smtp_url=mail_server.url,
        worker_poll_seconds="0.5",
        **settings,
    )
    process = start_service("worker", port, env)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop({"worker": process})


async def outbox_row(database_url: str, registration_id: str) -> asyncpg.Record:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT message_id, attempts, sent_at FROM participation.outbox WHERE target = $1",
            f"registration:{registration_id}",
        )
    finally:
        await connection.close()
    assert row is not None
    return row


async def worker_transactions(database_url: str) -> int:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'magnet-worker'"
            " AND datname = current_database() AND (backend_xid IS NOT NULL"
            " OR state LIKE 'idle in transaction%')"
        )
    finally:
        await connection.close()
    return count


async def no_worker_transaction_at_some_point(database_url: str, seconds: float = 2.0) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while await worker_transactions(database_url) != 0:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


class TestKilledWorker:
    async def test_a_message_whose_worker_was_killed_mid_delivery_arrives_after_a_restart(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        database_url: str,
        mail_server: MailServer,
    ) -> None:
        victim = unique_email("killed")
        mail_server.hold_for = {victim}
        event = await new_event(participation, settings)
        # A short lease, so the test need not wait long for the claim of the killed worker.
        with worker_process(database_url, mail_server, outbox_lease_seconds="3") as (_, first):
            registration = await register(participation, event, victim)
            held = await asyncio.get_running_loop().run_in_executor(
                None, mail_server.held.wait, WAIT_SECONDS
            )
            assert held, "the worker never reached the SMTP DATA phase"
            # Mid-delivery the worker holds no transaction that would hold back the change
            # feed's horizon (pg_snapshot_xmin) for as long as a slow receiver takes. Other
            # messages left by earlier tests may be in their own short transactions at any
            # one instant: a transaction held through the delivery is there at every one.
            assert await no_worker_transaction_at_some_point(database_url)
            first.kill()  # SIGKILL: no cleanup, no rollback sent, the connection just drops
            first.wait()
        mail_server.hold_for = set()
        mail_server.release.set()
        assert mail_server.to(victim) == []
        row = await outbox_row(database_url, registration["id"])
        assert (row["attempts"], row["sent_at"]) == (1, None)  # claimed, never recorded

        with worker_process(database_url, mail_server, outbox_lease_seconds="3"):
            [message] = await mail_server.wait_for(victim)
        assert message["Message-ID"] == row["message_id"]
        delivered = await outbox_row(database_url, registration["id"])
        assert (delivered["attempts"], delivered["sent_at"] is not None) == (2, True)


class TestTwoWorkers:
    async def test_two_workers_never_send_one_message_twice(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        database_url: str,
        mail_server: MailServer,
    ) -> None:
        event = await new_event(participation, settings, capacity=200)
        addresses = [unique_email(f"pair-{index}") for index in range(40)]
        with (
            worker_process(database_url, mail_server) as (first_url, _),
            worker_process(database_url, mail_server) as (second_url, _),
        ):
            registered = await asyncio.gather(
                *(register(participation, event, address) for address in addresses)
            )
            for address in addresses:
                await mail_server.wait_for(address)
            async with httpx.AsyncClient() as client:
                metrics = [
                    (await client.get(f"{url}/metrics")).text for url in (first_url, second_url)
                ]
        for address in addresses:
            assert len(mail_server.to(address)) == 1, address
        rows = [await outbox_row(database_url, item["id"]) for item in registered]
        assert {row["attempts"] for row in rows} == {1}
        message_ids = [mail_server.to(address)[0]["Message-ID"] for address in addresses]
        assert len(set(message_ids)) == len(addresses)
        for text in metrics:
            assert 'magnet_outbox_waiting{kind="mail",outbox="participation"}' in text
            assert 'magnet_outbox_oldest_seconds{kind="mail",outbox="participation"}' in text
        sent = 'magnet_outbox_deliveries_total{kind="mail",outbox="participation",outcome="sent"}'
        assert any(sent in text for text in metrics)
