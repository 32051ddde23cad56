"""The outbox's retry rules and the schedules' clean-up, on the real database."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from cli.worker import Worker
from shared.db import libpq_url
from shared.outbox import (
    FIRST_RETRY_SECONDS,
    LONGEST_WAIT_SECONDS,
    Kind,
    Message,
    Outcome,
    Result,
    finish,
    retry_delay,
)


class TestBackoff:
    def test_waits_grow_exponentially_with_jitter_and_a_ceiling(self) -> None:
        rng = random.Random(7)
        for attempts in range(1, 15):
            ceiling = min(LONGEST_WAIT_SECONDS, FIRST_RETRY_SECONDS * 3 ** (attempts - 1))
            waits = {retry_delay(attempts, rng) for _ in range(20)}
            assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
            assert len(waits) == 20  # jittered: failures together do not return together
        assert retry_delay(3, random.Random(1)) > retry_delay(1, random.Random(1))


async def _pending_row(database_url: str, age_hours: float) -> tuple[uuid.UUID, datetime]:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        row = await connection.fetchrow(
            "INSERT INTO participation.outbox (id, kind, topic, target, message_id, payload,"
            " created_at, due_at, attempts) VALUES ($1, 'mail', 'test.retry', 'nobody', $2,"
            " '{}', now() - make_interval(secs => $3), now() + interval '1 hour', 1)"
            " RETURNING id, due_at",
            uuid.uuid4(),
            f"<{uuid.uuid4()}@test>",
            age_hours * 3600,
        )
    finally:
        await connection.close()
    assert row is not None
    return row["id"], row["due_at"]


async def _record(engine: AsyncEngine, row_id: uuid.UUID, claimed_until: datetime) -> bool:
    message = Message(
        id=row_id,
        schema="participation",
        kind=Kind.MAIL,
        topic="test.retry",
        target="nobody",
        message_id="<x@test>",
        payload={},
        attempts=1,
        created_at=claimed_until,
        claimed_until=claimed_until,
    )
    async with engine.connect() as connection, connection.begin():
        return await finish(connection, message, Result(Outcome.RETRY, 503, "busy"))


async def _state(database_url: str, row_id: uuid.UUID) -> asyncpg.Record:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT failed_at, due_at - now() AS wait FROM participation.outbox WHERE id = $1",
            row_id,
        )
    finally:
        await connection.close()
    assert row is not None
    return row


async def _give_up(database_url: str, row_id: uuid.UUID) -> None:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute(
            "UPDATE participation.outbox SET failed_at = now() WHERE id = $1", row_id
        )
    finally:
        await connection.close()


class TestRetryWindow:
    async def test_a_message_is_retried_for_more_than_a_day_then_given_up(
        self, database_url: str, worker: Worker
    ) -> None:
        young, young_claim = await _pending_row(database_url, age_hours=25)
        old, old_claim = await _pending_row(database_url, age_hours=27)

        assert await _record(worker.engine, young, young_claim)
        assert await _record(worker.engine, old, old_claim)

        still_trying = await _state(database_url, young)
        await _give_up(database_url, young)  # it was made up: no worker should try it
        assert still_trying["failed_at"] is None
        assert 2.0 <= still_trying["wait"].total_seconds() <= 5.5
        assert (await _state(database_url, old))["failed_at"] is not None

    async def test_a_claim_that_outlived_its_lease_is_not_recorded(
        self, database_url: str, worker: Worker
    ) -> None:
        row_id, claimed_until = await _pending_row(database_url, age_hours=0)
        connection = await asyncpg.connect(libpq_url(database_url))
        try:  # another worker took it over once the lease ended
            await connection.execute(
                "UPDATE participation.outbox SET due_at = due_at + interval '1 minute'"
                " WHERE id = $1",
                row_id,
            )
        finally:
            await connection.close()
        assert not await _record(worker.engine, row_id, claimed_until)
        await _give_up(database_url, row_id)


class TestCleanUp:
    async def test_idempotency_keys_expire_after_a_day(
        self, database_url: str, worker: Worker
    ) -> None:
        old, fresh = f"old-{uuid.uuid4()}", f"fresh-{uuid.uuid4()}"
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            for key, age in ((old, timedelta(hours=25)), (fresh, timedelta(hours=1))):
                await connection.execute(
                    "INSERT INTO participation.idempotency_keys (caller, key, fingerprint,"
                    " status_code, content_type, headers, body, created_at) VALUES"
                    " ('test', $1, 'f', 201, 'application/json', '{}', ''::bytea,"
                    " now() - $2::interval)",
                    key,
                    age,
                )
            done = await worker.run_schedules()
            kept = await connection.fetch(
                "SELECT key FROM participation.idempotency_keys WHERE key = ANY($1::text[])",
                [old, fresh],
            )
        finally:
            await connection.close()
        assert done["idempotency-expiry:participation"] is not None
        assert [row["key"] for row in kept] == [fresh]
        assert "change-feed-pruning" in done
