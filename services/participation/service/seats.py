"""Seats of an event: every change happens under the event's row lock.

Registering, cancelling and raising the capacity all lock the event row first (and only
then a registration), so they run one after another per event and always in the same lock
order; `events.confirmed_seats <= capacity` is also a CHECK, so even a faulty writer cannot
overbook.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Update, Uuid, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.participation.models import Event, Registration
from services.participation.service import notices
from shared.db import CompiledQuery, Executor, constant, fetch_compiled, fetch_one_compiled
from shared.problems import NotFound


@dataclass(frozen=True, slots=True)
class LockedEvent:
    id: uuid.UUID
    capacity: int
    confirmed_seats: int
    last_waitlist_number: int
    waitlist_length: int
    is_public: bool
    status: str
    starts_at: datetime
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    version: int


_EVENT_ID = bindparam("event_id", type_=Uuid)
_LOCK_EVENT = CompiledQuery(
    select(*(getattr(Event, field.name) for field in fields(LockedEvent)))
    .where(Event.id == _EVENT_ID)
    .with_for_update(key_share=True)
)


async def lock_event(session: Executor, event_id: uuid.UUID) -> LockedEvent:
    """The event row, locked: every change of its seats happens under this lock."""
    row = await fetch_one_compiled(session, _LOCK_EVENT, event_id=event_id)
    if row is None:
        raise NotFound(f"There is no event {event_id}.")
    return LockedEvent(**row)


def _bumped(**values: Any) -> Update:
    return (
        update(Event)
        .where(Event.id == _EVENT_ID)
        .values(**values, version=Event.version + 1, updated_at=func.now())
    )


_TAKE_SEAT = CompiledQuery(_bumped(confirmed_seats=Event.confirmed_seats + 1))
_JOIN_WAITLIST = CompiledQuery(
    _bumped(last_waitlist_number=bindparam("waitlist_number", type_=Integer))
)


async def take_seat(session: Executor, event_id: uuid.UUID) -> None:
    """One more confirmed seat (the CHECK `confirmed_seats <= capacity` holds the line)."""
    await fetch_compiled(session, _TAKE_SEAT, event_id=event_id)


async def join_waitlist(session: Executor, event_id: uuid.UUID, waitlist_number: int) -> None:
    await fetch_compiled(
        session, _JOIN_WAITLIST, event_id=event_id, waitlist_number=waitlist_number
    )


async def bump(session: AsyncSession, event_id: uuid.UUID, **values: Any) -> None:
    await session.execute(_bumped(**values), {"event_id": event_id})


async def promote_waitlisted(session: AsyncSession, event_id: uuid.UUID, free_seats: int) -> int:
    """Give up to `free_seats` freed seats to the first people waiting; returns how many."""
    if free_seats <= 0:
        return 0
    first_waiting = (
        select(Registration.id)
        .where(Registration.event_id == event_id, Registration.status == constant("waitlisted"))
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
