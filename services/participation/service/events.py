"""Events: creating one in a hub space reserves the space in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import DateTime, Uuid, bindparam, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.participation.models import Event, Hub, Lab, Space
from services.participation.schemas import events as schemas
from services.participation.schemas.bookings import BookingStatus
from services.participation.service import bookings, hubs, notices, seats
from shared.auth import Principal
from shared.db import CompiledQuery, Executor, Runner, fetch_one_compiled
from shared.etag import require_if_match
from shared.i18n import pick
from shared.pagination import CompiledPage, Page, PageQuery, compile_page, fetch_page
from shared.problems import Conflict, NotFound, UnprocessableContent, ValidationIssue

DEFAULT_TIMEZONE = "Europe/Ljubljana"
_COLUMNS = (
    Event.id,
    Event.title,
    Event.description,
    Event.lab_id,
    Event.space_id,
    Space.hub_id,
    Event.address,
    Event.starts_at,
    Event.ends_at,
    func.coalesce(Hub.timezone, literal(DEFAULT_TIMEZONE)).label("timezone"),
    Event.capacity,
    Event.confirmed_seats.label("confirmed"),
    Event.waitlist_length.label("waitlisted"),
    Event.registration_opens_at,
    Event.registration_closes_at,
    Event.is_public,
    Event.status,
    Event.version,
    Event.created_at,
    Event.updated_at,
)


def events_query() -> Any:
    return (
        select(*_COLUMNS)
        .outerjoin(Space, Space.id == Event.space_id)
        .outerjoin(Hub, Hub.id == Space.hub_id)
    )


def registration_open(
    *,
    status: str,
    starts_at: datetime,
    opens: datetime | None,
    closes: datetime | None,
    now: datetime,
) -> bool:
    return (
        status == schemas.EventStatus.SCHEDULED
        and (opens is None or opens <= now)
        and (closes is None or now < closes)
        and now < starts_at
    )


def to_event(row: Mapping[Any, Any]) -> schemas.Event:
    values = dict(row)
    values["seats_left"] = max(0, values["capacity"] - values["confirmed"])
    values["registration_open"] = registration_open(
        status=values["status"],
        starts_at=values["starts_at"],
        opens=values["registration_opens_at"],
        closes=values["registration_closes_at"],
        now=datetime.now(UTC),
    )
    return schemas.Event.model_validate(values)


def may_manage(principal: Principal | None) -> bool:
    return principal is not None and principal.role in bookings.MANAGERS


_EVENT = CompiledQuery(events_query().where(Event.id == bindparam("event_id", type_=Uuid)))


async def get_event(
    connection: Executor, principal: Principal | None, event_id: uuid.UUID
) -> schemas.Event:
    row = await fetch_one_compiled(connection, _EVENT, event_id=event_id)
    if row is None or not (row["is_public"] or may_manage(principal)):
        raise NotFound(f"There is no event {event_id}.")
    return to_event(row)


@cache
def _events_page(public_only: bool, after: bool, before: bool, of_lab: bool) -> CompiledPage:
    """The events list with the filters a request sets, compiled once per combination."""
    statement = events_query()
    if public_only:
        statement = statement.where(Event.is_public)
    if after:
        statement = statement.where(
            Event.starts_at >= bindparam("starts_after", type_=DateTime(timezone=True))
        )
    if before:
        statement = statement.where(
            Event.starts_at < bindparam("starts_before", type_=DateTime(timezone=True))
        )
    if of_lab:
        statement = statement.where(Event.lab_id == bindparam("lab_id", type_=Uuid))
    return compile_page(statement, key=[Event.starts_at, Event.id])


async def list_events(
    connection: Runner,
    principal: Principal | None,
    *,
    starts_after: datetime | None,
    starts_before: datetime | None,
    lab_id: uuid.UUID | None,
    paging: PageQuery,
) -> Page[schemas.Event]:
    filters = {"starts_after": starts_after, "starts_before": starts_before, "lab_id": lab_id}
    given = {name: value for name, value in filters.items() if value is not None}
    query = _events_page(
        not may_manage(principal),
        starts_after is not None,
        starts_before is not None,
        lab_id is not None,
    )
    return await fetch_page(connection, query, paging=paging, item=to_event, **given)


def _unknown(field: str, what: str) -> UnprocessableContent:
    return UnprocessableContent(
        f"There is no {what} with that id.",
        errors=[ValidationIssue(loc=["body", field], msg=f"unknown {what}")],
    )


async def create_event(
    session: AsyncSession, principal: Principal, body: schemas.EventCreate
) -> schemas.Event:
    if body.lab_id is not None and await session.get(Lab, body.lab_id) is None:
        raise _unknown("lab_id", "lab")
    event_id = uuid.uuid4()
    values = body.model_dump(exclude={"space_id"})
    space = None
    if body.space_id is not None:
        space = await hubs.get_space(session, body.space_id, lock=True)
        if space is None:
            raise _unknown("space_id", "space")
        await bookings.check_bookable(session, space, body.starts_at, body.ends_at, "starts_at")
    await session.execute(
        insert(Event).values(
            id=event_id, space_id=body.space_id, created_by=principal.subject, **values
        )
    )
    if space is not None:
        # The same transaction: if the space is taken, the event is rolled back with the 409.
        await bookings.reserve(
            session,
            space,
            body.starts_at,
            body.ends_at,
            status=BookingStatus.CONFIRMED,
            purpose=pick(body.model_dump(mode="json")["title"], "en")[:500],
            organisation="MAGNET",
            booked_by=principal.subject,
            event_id=event_id,
        )
    return await get_event(session, principal, event_id)


async def cancel_event(session: AsyncSession, event_id: uuid.UUID, if_match: str | None) -> None:
    event = await seats.lock_event(session, event_id)
    require_if_match(if_match, event.version)
    if event.status == schemas.EventStatus.CANCELLED:
        return
    await seats.bump(session, event_id, status=schemas.EventStatus.CANCELLED.value)
    await bookings.cancel_for_event(session, event_id)
    await notices.event_notices(session, event_id, notices.Topic.EVENT_CANCELLED)


async def patch_event(
    session: AsyncSession,
    principal: Principal,
    event_id: uuid.UUID,
    patch: schemas.EventPatch,
    if_match: str | None,
) -> schemas.Event:
    event = await seats.lock_event(session, event_id)
    require_if_match(if_match, event.version)
    changes = patch.model_dump(exclude_unset=True)
    opens = changes.get("registration_opens_at", event.registration_opens_at)
    closes = changes.get("registration_closes_at", event.registration_closes_at)
    if opens is not None and closes is not None and closes <= opens:
        raise UnprocessableContent(
            "Registration must close after it opens.",
            errors=[ValidationIssue(loc=["body", "registration_closes_at"], msg="before opening")],
        )
    capacity = changes.get("capacity") or event.capacity
    if capacity < event.confirmed_seats:
        raise Conflict(
            f"{event.confirmed_seats} seats are already taken; capacity cannot go below that."
        )
    for required in ("title", "description", "capacity", "is_public"):
        if changes.get(required, ...) is None:
            changes.pop(required)
    if changes:
        await seats.bump(session, event_id, **changes)
    if capacity > event.capacity:
        await seats.promote_waitlisted(session, event_id, capacity - event.confirmed_seats)
    return await get_event(session, principal, event_id)
