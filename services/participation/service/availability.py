"""What is free: per space and day, and across both hubs for a window."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation.models import Booking, Space
from services.participation.schemas import bookings as schemas
from services.participation.schemas.hubs import Space as SpaceSchema
from services.participation.schemas.hubs import SpaceKind
from services.participation.service import hubs
from services.participation.service.bookings import HELD_IN_WINDOW
from services.participation.service.opening import (
    Interval,
    clip,
    local_days,
    opening_intervals,
    subtract,
)
from shared.db import CompiledQuery, Runner, fetch_compiled
from shared.problems import NotFound, UnprocessableContent, ValidationIssue

MAX_WINDOW = timedelta(days=31)


_BUSY = CompiledQuery(
    select(func.lower(Booking.blocked), func.upper(Booking.blocked)).where(*HELD_IN_WINDOW)
)


async def _busy(
    connection: Runner, space: SpaceSchema, starts_at: datetime, ends_at: datetime
) -> list[Interval]:
    """Times a new booking may not cover: each held slot widened by the buffer on both sides.

    A new booking `[s, e)` fits when `[s, e + buffer)` misses every held `blocked` range,
    i.e. when `[s, e)` misses `[lower(blocked) - buffer, upper(blocked))`.
    """
    buffer = timedelta(minutes=space.buffer_minutes)
    rows = await fetch_compiled(
        connection, _BUSY, space_id=space.id, starts_at=starts_at - buffer, ends_at=ends_at + buffer
    )
    return [(lower - buffer, upper) for lower, upper in rows]


async def _free(
    connection: Runner,
    space: SpaceSchema,
    starts_at: datetime,
    ends_at: datetime,
    closed: set[date],
) -> list[Interval]:
    """Free time in the window; `closed`: the local days of the window the space is closed."""
    zone = ZoneInfo(space.timezone)
    open_intervals = [
        interval
        for day in local_days(starts_at, ends_at, zone)
        if day not in closed
        for interval in opening_intervals(space.opening_hours, zone, day)
    ]
    open_in_window = clip(open_intervals, starts_at, ends_at)
    if not open_in_window:
        return []
    return subtract(open_in_window, await _busy(connection, space, starts_at, ends_at))


async def _closed_in(
    connection: Runner, space: SpaceSchema, starts_at: datetime, ends_at: datetime
) -> set[date]:
    days = list(local_days(starts_at, ends_at, ZoneInfo(space.timezone)))
    return await hubs.closed_days(connection, space, days[0], days[-1])


async def space_day(connection: Runner, space_id: uuid.UUID, day: date) -> schemas.DayAvailability:
    space = await hubs.get_space(connection, space_id)
    if space is None:
        raise NotFound(f"There is no space {space_id}.")
    zone = ZoneInfo(space.timezone)
    starts_at = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
    ends_at = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    closures = await _closed_in(connection, space, starts_at, ends_at)
    free = await _free(connection, space, starts_at, ends_at, closures)
    closed = not clip(
        [] if day in closures else opening_intervals(space.opening_hours, zone, day),
        starts_at,
        ends_at,
    )
    return schemas.DayAvailability.model_validate(
        {**_describe(space), "date": day.isoformat(), "closed": closed, "free": _intervals(free)}
    )


async def across_hubs(
    connection: AsyncConnection,
    starts_at: datetime,
    ends_at: datetime,
    *,
    kind: SpaceKind | None,
    min_capacity: int | None,
) -> schemas.Availability:
    """Every space of the wanted kind and size with its free time in the window."""
    issues = []
    if ends_at <= starts_at:
        issues.append(ValidationIssue(loc=["query", "to"], msg="to must be after from"))
    elif ends_at - starts_at > MAX_WINDOW:
        issues.append(ValidationIssue(loc=["query", "to"], msg="the window is at most 31 days"))
    if issues:
        raise UnprocessableContent("The availability window is not valid.", errors=issues)
    statement = hubs.spaces_with_hub().order_by(Space.hub_id, Space.slug)
    if kind is not None:
        statement = statement.where(Space.kind == kind.value)
    if min_capacity is not None:
        statement = statement.where(Space.capacity >= min_capacity)
    spaces = [
        SpaceSchema.model_validate(row._mapping) for row in await connection.execute(statement)
    ]
    result = []
    for space in spaces:
        closed = await _closed_in(connection, space, starts_at, ends_at)
        free = await _free(connection, space, starts_at, ends_at, closed)
        if free:
            result.append(
                schemas.SpaceAvailability.model_validate(
                    {**_describe(space), "free": _intervals(free)}
                )
            )
    return schemas.Availability(starts_at=starts_at, ends_at=ends_at, spaces=result)


def _describe(space: SpaceSchema) -> dict[str, object]:
    return {
        "space_id": space.id,
        "hub_id": space.hub_id,
        "slug": space.slug,
        "name": space.name,
        "kind": space.kind,
        "capacity": space.capacity,
        "timezone": space.timezone,
    }


def _intervals(intervals: list[Interval]) -> list[schemas.FreeInterval]:
    return [schemas.FreeInterval(starts_at=start, ends_at=end) for start, end in intervals]
