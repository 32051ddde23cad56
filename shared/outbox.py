"""The transactional outbox: every message that leaves the platform, written with its cause.

A service writes each outgoing message (a mail, a webhook delivery) as a row of its own
schema's `outbox` table, in the same transaction as the change that causes it: a rolled-back
change leaves no row, a committed one cannot lose its row. A trigger NOTIFYs the workers on
commit; they also poll, so a lost notification only delays a message.

A worker claims due rows in a short transaction (`FOR UPDATE SKIP LOCKED`, so two workers
never take the same row) by moving their `due_at` a lease ahead, then delivers outside any
transaction and records the outcome in another. No transaction stays open during a delivery:
an open transaction with an xid would hold back the change feed's visibility horizon
(`pg_snapshot_xmin`) for as long as a slow receiver takes. A worker killed mid-delivery
leaves its rows to come due again when the lease ends; the lease is far longer than the
longest delivery may take (its timeouts), and recording checks that the claim is still this
worker's. Delivery is at least once; every message carries an id fixed when it was written
(`Message-ID`, `webhook-id`), so receivers can tell a repeat. A failed attempt is retried
with exponential backoff and jitter until `RETRY_FOR` has passed since it was written.

The outbox is the queue itself (no separate job table): writing a message needs nothing but
the session a request already holds, and the guarantees are row locks in one database.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.db import CompiledQuery, Executor, fetch_compiled

CHANNEL = "magnet_outbox"
RETRY_FOR = timedelta(hours=26)
FIRST_RETRY_SECONDS = 5.0
LONGEST_WAIT_SECONDS = 4 * 3600.0
QUEUED_PREFIX = "queued_"


class Kind(StrEnum):
    MAIL = "mail"
    WEBHOOK = "webhook"


@cache
def outbox_table(schema: str) -> Table:
    return Table(
        "outbox",
        MetaData(schema=schema),
        Column("id", Uuid, primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("topic", String(60), nullable=False),
        Column("target", String(320), nullable=False),
        Column("message_id", String(200), nullable=False),
        Column("dedupe_key", String(200)),
        Column("payload", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), server_default=func.now()),
        Column("due_at", DateTime(timezone=True), server_default=func.now()),
        Column("attempts", Integer, server_default="0"),
        Column("last_attempt_at", DateTime(timezone=True)),
        Column("last_status", Integer),
        Column("last_error", String(500)),
        Column("sent_at", DateTime(timezone=True)),
        Column("failed_at", DateTime(timezone=True)),
    )


async def enqueue(
    session: Executor,
    schema: str,
    *,
    kind: Kind,
    topic: str,
    target: str,
    payload: Mapping[str, Any],
    message_id: str,
    dedupe_key: str | None = None,
) -> None:
    """Write one outgoing message in the caller's transaction (sent once it commits).

    With a `dedupe_key` already written, nothing more is written: a message that must go
    once per cause (a reminder per registration) stays once however often it is queued.
    """
    values = _values(kind, topic, target, payload, message_id)
    if dedupe_key is None:
        await fetch_compiled(session, _insert(schema), **values)
    else:
        await fetch_compiled(session, _insert_once(schema), dedupe_key=dedupe_key, **values)


@cache
def queued(schema: str) -> CTE:
    """The outbox insert as a CTE for the statement that writes a message's cause
    (`statement.add_cte(queued(schema))`): both are written in one round trip, in one
    transaction as `enqueue` writes them. Its parameters are `queued_values(...)`."""
    return _insert_statement(schema, prefix=QUEUED_PREFIX).cte("queued_message")


def queued_values(
    *, kind: Kind, topic: str, target: str, payload: Mapping[str, Any], message_id: str
) -> dict[str, Any]:
    """The parameters of `queued` for one message (named apart from the host statement's)."""
    values = _values(kind, topic, target, payload, message_id)
    return {QUEUED_PREFIX + name: value for name, value in values.items()}


def _values(
    kind: Kind, topic: str, target: str, payload: Mapping[str, Any], message_id: str
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "kind": kind.value,
        "topic": topic,
        "target": target,
        "message_id": message_id,
        # The driver's JSONB codec (set up by SQLAlchemy) takes the document as text.
        "payload": json.dumps(dict(payload)),
    }


def _insert_statement(schema: str, prefix: str = "") -> Insert:
    table = outbox_table(schema)
    return insert(table).values(
        {
            name: bindparam(prefix + name, type_=table.c[name].type)
            for name in ("id", "kind", "topic", "target", "message_id", "payload")
        }
    )


@cache
def _insert(schema: str) -> CompiledQuery:
    return CompiledQuery(_insert_statement(schema))


@cache
def _insert_once(schema: str) -> CompiledQuery:
    dedupe_key = bindparam("dedupe_key", type_=String(200))
    return CompiledQuery(
        _insert_statement(schema)
        .values(dedupe_key=dedupe_key)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


@dataclass(frozen=True)
class Message:
    id: uuid.UUID
    schema: str
    kind: Kind
    topic: str
    target: str
    message_id: str
    payload: dict[str, Any]
    attempts: int  # this one included
    created_at: datetime
    claimed_until: datetime


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a passing failure: try again later
    FAILED = "failed"  # will never succeed: stop trying


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    status: int | None = None
    error: str | None = None


def retry_delay(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt `attempts + 1`: exponential, capped, with full jitter on its
    upper half so that many messages failing together do not come back together."""
    growth = float(3 ** max(0, attempts - 1))
    ceiling = min(LONGEST_WAIT_SECONDS, FIRST_RETRY_SECONDS * growth)
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


_CLAIM = """
UPDATE {schema}.outbox AS claimed
SET due_at = clock_timestamp() + CAST(:lease AS interval), attempts = claimed.attempts + 1,
    last_attempt_at = now()
FROM (
    SELECT id FROM {schema}.outbox
    WHERE sent_at IS NULL AND failed_at IS NULL AND due_at <= now()
    ORDER BY due_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
) AS due
WHERE claimed.id = due.id
RETURNING claimed.id, claimed.kind, claimed.topic, claimed.target, claimed.message_id,
          claimed.payload, claimed.attempts, claimed.created_at, claimed.due_at
"""

_FINISH = """
UPDATE {schema}.outbox
SET last_status = :status, last_error = :error,
    sent_at = CASE WHEN :outcome = 'sent' THEN now() END,
    failed_at = CASE WHEN :outcome = 'failed'
                       OR (:outcome = 'retry' AND created_at < now() - CAST(:retry_for AS interval))
                     THEN now() END,
    due_at = now() + CAST(:delay AS interval)
WHERE id = :id AND due_at = :claimed_until
"""


async def claim(
    connection: AsyncConnection, schema: str, batch: int, lease: timedelta
) -> list[Message]:
    """Take up to `batch` due messages for `lease` (commit right after: a short transaction)."""
    rows = await connection.execute(
        text(_CLAIM.format(schema=schema)), {"batch": batch, "lease": lease}
    )
    return [
        Message(
            id=row.id,
            schema=schema,
            kind=Kind(row.kind),
            topic=row.topic,
            target=row.target,
            message_id=row.message_id,
            payload=row.payload,
            attempts=row.attempts,
            created_at=row.created_at,
            claimed_until=row.due_at,
        )
        for row in rows
    ]


async def finish(connection: AsyncConnection, message: Message, result: Result) -> bool:
    """Record the attempt's outcome; False when the claim was lost (its lease ran out)."""
    delay = 0.0 if result.outcome is not Outcome.RETRY else retry_delay(message.attempts)
    recorded = await connection.execute(
        text(_FINISH.format(schema=message.schema)),
        {
            "id": message.id,
            "outcome": result.outcome.value,
            "status": result.status,
            "error": (result.error or "")[:500] or None,
            "retry_for": RETRY_FOR,
            "delay": timedelta(seconds=delay),
            "claimed_until": message.claimed_until,
        },
    )
    return bool(getattr(recorded, "rowcount", 0))


_BACKLOG = """
SELECT kind, count(*) AS waiting, extract(epoch FROM now() - min(created_at)) AS oldest
FROM {schema}.outbox
WHERE sent_at IS NULL AND failed_at IS NULL
GROUP BY kind
"""


async def backlog(connection: AsyncConnection, schema: str) -> dict[str, tuple[int, float]]:
    """Per kind: how many messages wait, and the age in seconds of the oldest."""
    rows = await connection.execute(text(_BACKLOG.format(schema=schema)))
    return {row.kind: (int(row.waiting), float(row.oldest or 0.0)) for row in rows}


async def prune_sent(session: AsyncSession, schema: str, older_than: timedelta) -> int:
    """Forget messages sent or given up long ago (their payloads hold personal data)."""
    result = await session.execute(
        text(
            f"DELETE FROM {schema}.outbox WHERE coalesce(sent_at, failed_at) "  # noqa: S608
            "< now() - CAST(:age AS interval)"
        ),
        {"age": older_than},
    )
    return int(getattr(result, "rowcount", 0) or 0)
