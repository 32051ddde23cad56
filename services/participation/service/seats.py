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

from sqlalchemy import Update, Uuid, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.participation.models import Event, Registration
from services.participation.service import notices
from shared.db import CompiledQuery, Executor, Runner, constant, fetch_one_compiled
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
_LOCKED_EVENT = (
    select(*(getattr(Event, field.name) for field in fields(LockedEvent)))
    .where(Event.id == _EVENT_ID)
    .with_for_update(key_share=True)
)
_LOCK_EVENT = CompiledQuery(_LOCKED_EVENT)


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


_BEFORE = _LOCKED_EVENT.cte("before")
_SEAT_FREE = _BEFORE.c.confirmed_seats < _BEFORE.c.capacity
_TAKE_PLACE = CompiledQuery(
    update(Event)
    .where(Event.id == _BEFORE.c.id)
    .values(
        confirmed_seats=Event.confirmed_seats + case((_SEAT_FREE, 1), else_=0),
        last_waitlist_number=Event.last_waitlist_number + case((_SEAT_FREE, 0), else_=1),
        version=Event.version + 1,
        updated_at=func.now(),
    )
    .returning(*_BEFORE.c)
)


async def take_place(connection: Runner, event_id: uuid.UUID) -> LockedEvent:
    """Lock the event and take a place in one statement: a seat while one is free (the
    CHECK `confirmed_seats <= capacity` holds the line), else the next waitlist number.

    Returns the event as it was before. Whatever refuses the registration afterwards (a
    closed event, an email registered already) raises, and the transaction's rollback
    gives the place back."""
    row = await fetch_one_compiled(connection, _TAKE_PLACE, event_id=event_id)
    if row is None:
        raise NotFound(f"There is no event {event_id}.")
    return LockedEvent(**row)


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
