"""Seats of an event: every change happens under the event's row lock.

Registering, cancelling and raising the capacity all lock the event row first (and only
then a registration), so they run one after another per event and always in the same lock
order; `events.confirmed_seats <= capacity` is also a CHECK, so even a faulty writer cannot
overbook.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.participation.models import Event, Registration
from services.participation.service import notices
from shared.problems import NotFound


async def lock_event(session: AsyncSession, event_id: uuid.UUID) -> Any:
    """The event row, locked: every change of its seats happens under this lock."""
    row = (
        await session.execute(
            select(
                Event.id,
                Event.capacity,
                Event.confirmed_seats,
                Event.last_waitlist_number,
                Event.is_public,
                Event.status,
                Event.starts_at,
                Event.registration_opens_at,
                Event.registration_closes_at,
                Event.version,
            )
            .where(Event.id == event_id)
            .with_for_update(key_share=True)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no event {event_id}.")
    return row


async def bump(session: AsyncSession, event_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(**values, version=Event.version + 1, updated_at=func.now())
    )


async def promote_waitlisted(session: AsyncSession, event_id: uuid.UUID, free_seats: int) -> int:
    """Give up to `free_seats` freed seats to the first people waiting; returns how many."""
    if free_seats <= 0:
        return 0
    first_waiting = (
        select(Registration.id)
        .where(Registration.event_id == event_id, Registration.status == "waitlisted")
        .order_by(Registration.waitlist_number)
        .limit(free_seats)
        .with_for_update()
    )
    promoted = list(await session.scalars(first_waiting))
    if promoted:
        await session.execute(
            update(Registration)
            .where(Registration.id.in_(promoted))
            .values(
                status="confirmed",
                waitlist_number=None,
                version=Registration.version + 1,
                updated_at=func.now(),
            )
        )
        await bump(session, event_id, confirmed_seats=Event.confirmed_seats + len(promoted))
        for registration_id in promoted:
            await notices.registration_notice(session, registration_id, notices.Topic.PROMOTED)
    return len(promoted)
