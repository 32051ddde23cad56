"""Bookings of hub spaces: the exclusion constraint decides, this module explains."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Uuid, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.participation.models import Booking, Space
from services.participation.schemas import bookings as schemas
from services.participation.schemas.bookings import BookingStatus
from services.participation.schemas.hubs import Space as SpaceSchema
from services.participation.service import hubs, notices
from services.participation.service.opening import within_opening_hours
from shared.auth import Principal, Role
from shared.db import CompiledQuery, Executor, Runner, constant, fetch_one_compiled
from shared.etag import require_if_match
from shared.outbox import queued
from shared.pagination import Page, PageQuery, paginate
from shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent, ValidationIssue

MANAGERS = (Role.ADMIN, Role.COORDINATOR)
HOLDING = [status.value for status in schemas.HOLDING_STATUSES]

# The held bookings of the space `space_id` whose blocked time meets [starts_at, ends_at).
HELD_IN_WINDOW = (
    Booking.space_id == bindparam("space_id", type_=Uuid),
    Booking.status.in_([constant(status) for status in HOLDING]),
    Booking.blocked.overlaps(
        func.tstzrange(
            bindparam("starts_at", type_=DateTime(timezone=True)),
            bindparam("ends_at", type_=DateTime(timezone=True)),
            constant("[)"),
        )
    ),
)

_STARTS = func.lower(Booking.during).label("starts_at")
_ENDS = func.upper(Booking.during).label("ends_at")
_OWN_COLUMNS = (
    Booking.id,
    Booking.space_id,
    _STARTS,
    _ENDS,
    Booking.status,
    Booking.purpose,
    Booking.organisation,
    Booking.event_id,
    Booking.version,
    Booking.created_at,
    Booking.updated_at,
)
_COLUMNS = (*_OWN_COLUMNS, Space.hub_id)


def _bookings() -> Any:
    return select(*_COLUMNS).join(Space, Space.id == Booking.space_id)


def _is_manager(principal: Principal) -> bool:
    return principal.role in MANAGERS


async def check_bookable(
    session: Executor, space: SpaceSchema, starts_at: datetime, ends_at: datetime, field: str
) -> None:
    """422 unless the range lies within the space's opening hours on a day it is open."""
    local_day = starts_at.astimezone(ZoneInfo(space.timezone)).date()
    closed = local_day in await hubs.closed_days(session, space, local_day, local_day)
    refuse_unbookable(space, starts_at, ends_at, field, closed=closed)


def refuse_unbookable(
    space: SpaceSchema, starts_at: datetime, ends_at: datetime, field: str, *, closed: bool
) -> None:
    """422 when the space is `closed` on the local day of `starts_at`, or the range is
    outside its opening hours."""
    zone = ZoneInfo(space.timezone)
    if closed:
        local_day = starts_at.astimezone(zone).date()
        raise UnprocessableContent(
            f"The space is closed on {local_day.isoformat()}.",
            errors=[ValidationIssue(loc=["body", field], msg="the space is closed that day")],
        )
    if not within_opening_hours(space.opening_hours, zone, starts_at, ends_at):
        raise UnprocessableContent(
            "The booking must lie within the space's opening hours "
            f"(local time, {space.timezone}).",
            errors=[ValidationIssue(loc=["body", field], msg="outside opening hours")],
        )


# An overlap meets the exclusion constraint `ex_bookings_no_overlap`: no row is inserted (and
# nothing needs rolling back to a savepoint), the request answers 409 with what it met.
_INSERT_STATEMENT = (
    insert(Booking)
    .values(
        id=bindparam("id", type_=Uuid),
        space_id=bindparam("space_id", type_=Uuid),
        during=func.tstzrange(
            bindparam("starts_at", type_=DateTime(timezone=True)),
            bindparam("ends_at", type_=DateTime(timezone=True)),
            constant("[)"),
        ),
        status=bindparam("status", type_=Booking.status.type),
        purpose=bindparam("purpose", type_=Booking.purpose.type),
        organisation=bindparam("organisation", type_=Booking.organisation.type),
        booked_by=bindparam("booked_by", type_=Booking.booked_by.type),
        event_id=bindparam("event_id", type_=Uuid),
    )
    .on_conflict_do_nothing()
    .returning(*_OWN_COLUMNS)  # the new booking, without a second round trip to read it
)
_INSERT = CompiledQuery(_INSERT_STATEMENT)
_INSERT_WITH_NOTICE = CompiledQuery(_INSERT_STATEMENT.add_cte(queued(notices.SCHEMA)))


async def reserve(
    session: Runner,
    space: SpaceSchema,
    starts_at: datetime,
    ends_at: datetime,
    *,
    status: BookingStatus,
    purpose: str,
    organisation: str,
    booked_by: str,
    event_id: uuid.UUID | None = None,
    booking_id: uuid.UUID | None = None,
    notice: Mapping[str, Any] | None = None,
) -> schemas.Booking:
    """Insert a booking, with `notice` (`notices.booking_queued`) in the same statement; an
    overlap (buffers included) is refused by the database → 409."""
    inserted = await fetch_one_compiled(
        session,
        _INSERT if notice is None else _INSERT_WITH_NOTICE,
        **(notice or {}),
        id=booking_id or uuid.uuid4(),
        space_id=space.id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status.value,
        purpose=purpose,
        organisation=organisation,
        booked_by=booked_by,
        event_id=event_id,
    )
    if inserted is None:
        raise await _overlap_problem(session, space, starts_at, ends_at)
    return schemas.Booking.model_validate({**dict(inserted), "hub_id": space.hub_id})


def _rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


_OVERLAPPING = CompiledQuery(
    select(_STARTS, _ENDS, Booking.status).where(*HELD_IN_WINDOW).order_by(Booking.during).limit(1)
)


async def _overlap_problem(
    session: Runner, space: SpaceSchema, starts_at: datetime, ends_at: datetime
) -> Conflict:
    row = await fetch_one_compiled(
        session,
        _OVERLAPPING,
        space_id=space.id,
        starts_at=starts_at,
        ends_at=ends_at + timedelta(minutes=space.buffer_minutes),
    )
    buffer = f" (with {space.buffer_minutes} minutes between bookings)"
    if row is None:  # the other booking was cancelled in the meantime; a retry may succeed
        return Conflict("The space was just taken for an overlapping time; retry.")
    starts, ends = _rfc3339(row["starts_at"]), _rfc3339(row["ends_at"])
    return Conflict(
        f"The space is already booked from {starts} to {ends}"
        f"{buffer if space.buffer_minutes else ''}.",
        conflicting={
            "starts_at": starts,
            "ends_at": ends,
            "status": row["status"],
            "buffer_minutes": space.buffer_minutes,
        },
    )


async def create_booking(
    session: Runner, principal: Principal, body: schemas.BookingCreate
) -> schemas.Booking:
    found = await hubs.lock_space_for(session, body.space_id, body.starts_at)
    if found is None:
        raise UnprocessableContent(
            f"There is no space {body.space_id}.",
            errors=[ValidationIssue(loc=["body", "space_id"], msg="unknown space")],
        )
    space, closed = found
    if body.starts_at < datetime.now(UTC):
        raise UnprocessableContent(
            "A booking cannot start in the past.",
            errors=[ValidationIssue(loc=["body", "starts_at"], msg="in the past")],
        )
    refuse_unbookable(space, body.starts_at, body.ends_at, "starts_at", closed=closed)
    pending = space.requires_approval
    topic = notices.Topic.BOOKING_PENDING if pending else notices.Topic.BOOKING_CONFIRMED
    booking_id = uuid.uuid4()
    return await reserve(
        session,
        space,
        body.starts_at,
        body.ends_at,
        status=BookingStatus.PENDING if pending else BookingStatus.CONFIRMED,
        purpose=body.purpose,
        organisation=body.organisation,
        booked_by=principal.subject,
        booking_id=booking_id,
        notice=notices.booking_queued(booking_id, topic),
    )


_BOOKING = CompiledQuery(_bookings().where(Booking.id == bindparam("booking_id", type_=Uuid)))


async def _require(connection: Executor, booking_id: uuid.UUID) -> schemas.Booking:
    row = await fetch_one_compiled(connection, _BOOKING, booking_id=booking_id)
    if row is None:
        raise NotFound(f"There is no booking {booking_id}.")
    return schemas.Booking.model_validate(dict(row))


async def _owner(connection: Executor, booking_id: uuid.UUID) -> str:
    booked_by = await connection.scalar(select(Booking.booked_by).where(Booking.id == booking_id))
    if booked_by is None:
        raise NotFound(f"There is no booking {booking_id}.")
    return booked_by


async def get_booking(
    connection: AsyncConnection, principal: Principal, booking_id: uuid.UUID
) -> schemas.Booking:
    if not _is_manager(principal) and await _owner(connection, booking_id) != principal.subject:
        raise NotFound(f"There is no booking {booking_id}.")
    return await _require(connection, booking_id)


async def list_bookings(
    connection: AsyncConnection,
    principal: Principal,
    *,
    space_id: uuid.UUID | None,
    paging: PageQuery,
) -> Page[schemas.Booking]:
    """Coordinators see every booking; everyone else sees their own."""
    statement = _bookings()
    if not _is_manager(principal):
        statement = statement.where(Booking.booked_by == principal.subject)
    if space_id is not None:
        statement = statement.where(Booking.space_id == space_id)
    return await paginate(
        connection,
        statement,
        key=[Booking.created_at, Booking.id],
        paging=paging,
        item=lambda row: schemas.Booking.model_validate(row._mapping),
    )


async def _lock(session: AsyncSession, booking_id: uuid.UUID) -> Any:
    row = (
        await session.execute(
            select(Booking.status, Booking.version, Booking.booked_by, Booking.event_id)
            .where(Booking.id == booking_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no booking {booking_id}.")
    return row


async def _set_status(session: AsyncSession, booking_id: uuid.UUID, status: BookingStatus) -> None:
    await session.execute(
        update(Booking)
        .where(Booking.id == booking_id)
        .values(status=status.value, version=Booking.version + 1, updated_at=func.now())
    )


async def cancel_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID, if_match: str | None
) -> None:
    booking = await _lock(session, booking_id)
    if not _is_manager(principal) and booking.booked_by != principal.subject:
        raise NotFound(f"There is no booking {booking_id}.")
    require_if_match(if_match, booking.version)
    if booking.event_id is not None:
        raise Conflict("This booking holds an event's space; cancel the event instead.")
    if booking.status in HOLDING:
        await _set_status(session, booking_id, BookingStatus.CANCELLED)
        await notices.booking_notice(session, booking_id, notices.Topic.BOOKING_CANCELLED)


async def cancel_for_event(session: AsyncSession, event_id: uuid.UUID) -> None:
    await session.execute(
        update(Booking)
        .where(Booking.event_id == event_id, Booking.status.in_(HOLDING))
        .values(
            status=BookingStatus.CANCELLED.value,
            version=Booking.version + 1,
            updated_at=func.now(),
        )
    )


async def decide(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID, to: BookingStatus
) -> schemas.Booking:
    """A coordinator confirms or rejects a pending booking."""
    if not _is_manager(principal):
        raise Forbidden("Only coordinators decide on bookings.")
    booking = await _lock(session, booking_id)
    if booking.status != BookingStatus.PENDING:
        raise Conflict(f"The booking is {booking.status}; only a pending booking can be decided.")
    await _set_status(session, booking_id, to)
    confirmed = to == BookingStatus.CONFIRMED
    topic = notices.Topic.BOOKING_CONFIRMED if confirmed else notices.Topic.BOOKING_REJECTED
    await notices.booking_notice(session, booking_id, topic)
    return await _require(session, booking_id)
