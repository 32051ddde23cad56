"""Mail to registrants and bookers, queued in the outbox by the change that causes it.

Only what the message is about is queued (a registration or booking id, a waitlist
position); the worker writes the mail when it sends it (`services.participation.mails`),
from the rows as they are then, so an address erased meanwhile is never mailed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, TypedDict

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Executor
from shared.outbox import Kind, enqueue, queued_values

SCHEMA = "participation"
MAIL_DOMAIN = "magnet-celje.si"
REMINDER_AHEAD = timedelta(hours=24)


class Topic:
    CONFIRMED = "registration.confirmed"
    WAITLISTED = "registration.waitlisted"
    PROMOTED = "registration.promoted"
    REMINDER = "registration.reminder"
    EVENT_MOVED = "event.moved"
    EVENT_CANCELLED = "event.cancelled"
    BOOKING_PENDING = "booking.pending"
    BOOKING_CONFIRMED = "booking.confirmed"
    BOOKING_REJECTED = "booking.rejected"
    BOOKING_CANCELLED = "booking.cancelled"


class Message(TypedDict):
    kind: Kind
    topic: str
    target: str
    payload: dict[str, Any]
    message_id: str


def new_message_id() -> str:
    return f"<{uuid.uuid4()}@{MAIL_DOMAIN}>"


def _registration(registration_id: uuid.UUID, topic: str, details: dict[str, Any]) -> Message:
    return {
        "kind": Kind.MAIL,
        "topic": topic,
        "target": f"registration:{registration_id}",
        "payload": {"registration_id": str(registration_id), **details},
        "message_id": new_message_id(),
    }


def _booking(booking_id: uuid.UUID, topic: str) -> Message:
    return {
        "kind": Kind.MAIL,
        "topic": topic,
        "target": f"booking:{booking_id}",
        "payload": {"booking_id": str(booking_id)},
        "message_id": new_message_id(),
    }


async def registration_notice(
    session: Executor, registration_id: uuid.UUID, topic: str, **details: Any
) -> None:
    await enqueue(session, SCHEMA, **_registration(registration_id, topic, details))


def registration_queued(registration_id: uuid.UUID, topic: str, **details: Any) -> dict[str, Any]:
    """`registration_notice`'s message as the parameters of a statement that carries
    `shared.outbox.queued` (the registration's own INSERT)."""
    return queued_values(**_registration(registration_id, topic, details))


async def booking_notice(session: Executor, booking_id: uuid.UUID, topic: str) -> None:
    await enqueue(session, SCHEMA, **_booking(booking_id, topic))


def booking_queued(booking_id: uuid.UUID, topic: str) -> dict[str, Any]:
    """`booking_notice`'s message as the parameters of a statement carrying `queued`."""
    return queued_values(**_booking(booking_id, topic))


_EVENT_NOTICES = """
INSERT INTO participation.outbox (id, kind, topic, target, message_id, dedupe_key, payload)
SELECT gen_random_uuid(), 'mail', :topic, 'registration:' || id::text,
       '<' || gen_random_uuid()::text || '@magnet-celje.si>', :dedupe || id::text,
       jsonb_build_object('registration_id', id::text)
FROM participation.registrations
WHERE event_id = :event_id AND status = ANY(:statuses) AND email IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
"""


async def event_notices(session: AsyncSession, event_id: uuid.UUID, topic: str) -> None:
    """One mail to everyone holding or waiting for a seat of the event."""
    await session.execute(
        text(_EVENT_NOTICES),
        {
            "statuses": ["confirmed", "waitlisted"],
            "topic": topic,
            "event_id": event_id,
            "dedupe": f"{topic}:{uuid.uuid4()}:",
        },
    )


_DUE_FOR_REMINDER = """
SELECT id, starts_at FROM participation.events
WHERE status = 'scheduled' AND reminded_at IS NULL
  AND starts_at > now() AND starts_at <= now() + CAST(:ahead AS interval)
ORDER BY starts_at
LIMIT 100
FOR UPDATE SKIP LOCKED
"""


async def queue_reminders(session: AsyncSession) -> int:
    """Queue the day-before reminder of every event starting within a day, once each."""
    due = (await session.execute(text(_DUE_FOR_REMINDER), {"ahead": REMINDER_AHEAD})).all()
    event_ids = [event.id for event in due]
    for event in due:
        # Once per registration and start time: an event moved later is reminded again.
        dedupe = f"{Topic.REMINDER}:{event.starts_at.timestamp():.0f}:"
        await session.execute(
            text(_EVENT_NOTICES),
            {
                "statuses": ["confirmed"],
                "topic": Topic.REMINDER,
                "event_id": event.id,
                "dedupe": dedupe,
            },
        )
    if event_ids:
        await session.execute(
            text("UPDATE participation.events SET reminded_at = now() WHERE id = ANY(:ids)"),
            {"ids": event_ids},
        )
    return len(event_ids)


_ERASE_EXPIRED = """
UPDATE participation.registrations AS registration
SET name = NULL, email = NULL, erased_at = now(), version = registration.version + 1,
    updated_at = now()
FROM participation.events AS event
WHERE event.id = registration.event_id AND registration.erased_at IS NULL
  AND event.ends_at < now() - CAST(:retention AS interval)
"""


async def erase_expired(session: AsyncSession, retention: timedelta) -> int:
    """Forget registrants of events that ended `retention` ago; seats and counts stay."""
    result = await session.execute(text(_ERASE_EXPIRED), {"retention": retention})
    return int(getattr(result, "rowcount", 0) or 0)
