"""iCalendar (RFC 5545) feeds of events and of a hub's bookings.

UIDs are derived from ids so they never change; SEQUENCE is the row's version, so it
grows with every change; cancelled items stay in the feed as STATUS:CANCELLED so calendar
apps remove them. Times carry the hub's TZID with a VTIMEZONE. An event's URL is absolute
on the public address: a calendar app has no base to resolve a relative one against.

Every text that comes from users (titles, places, purposes) goes in through `_text`: a
TEXT value escaped as RFC 5545 §3.3.11 says (backslash, `;`, `,`, line breaks as `\n`),
without the control characters TEXT may not hold. A property the library does not know
(`X-WR-CALNAME`) would otherwise be written raw, and a line break in it is no calendar.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent
from icalendar.prop import vText
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation.linked_data import event_path
from services.participation.models import Booking, Event, Hub, Space
from services.participation.schemas import events as event_schemas
from services.participation.service import bookings, events, hubs
from shared.auth import Principal
from shared.i18n import pick

UID_DOMAIN = "participation.magnet-celje.si"
PRODUCT = "-//MAGNET Celje//Participation//EN"
PAST_DAYS = 90
MAX_ITEMS = 1000
_LINE_BREAK = re.compile(r"\r\n?")
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # CONTROL except HTAB and LF


def _text(value: str) -> vText:
    return vText(_NOT_TEXT.sub("", _LINE_BREAK.sub("\n", value)))


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _text(name))
    return calendar


def _finish(calendar: Calendar) -> bytes:
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data


def _stamp(component: VEvent, *, uid: str, version: int, updated_at: datetime) -> None:
    component.add("uid", uid)
    component.add("sequence", version)
    component.add("dtstamp", updated_at.astimezone(UTC))
    component.add("last-modified", updated_at.astimezone(UTC))


def _event_component(
    event: event_schemas.Event, location: str | None, language: str | None, base_url: str
) -> VEvent:
    zone = ZoneInfo(event.timezone)
    component = VEvent()
    _stamp(
        component,
        uid=f"event-{event.id}@{UID_DOMAIN}",
        version=event.version,
        updated_at=event.updated_at,
    )
    component.add("summary", _text(pick(event.title, language)))
    if description := pick(event.description, language):
        component.add("description", _text(description))
    component.add("dtstart", event.starts_at.astimezone(zone))
    component.add("dtend", event.ends_at.astimezone(zone))
    if location:
        component.add("location", _text(location))
    cancelled = event.status == event_schemas.EventStatus.CANCELLED
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    component.add("url", f"{base_url}{event_path(event.id)}")
    return component


async def _locations(
    connection: AsyncConnection, items: list[event_schemas.Event], language: str | None
) -> dict[uuid.UUID, str]:
    space_ids = {event.space_id for event in items if event.space_id is not None}
    places: dict[uuid.UUID, str] = {}
    if space_ids:
        rows = await connection.execute(
            select(Space.id, Space.name, Hub.name.label("hub"), Hub.address, Hub.town)
            .join(Hub, Hub.id == Space.hub_id)
            .where(Space.id.in_(space_ids))
        )
        for row in rows:
            parts = [pick(row.name, language), pick(row.hub, language), row.address, row.town]
            places[row.id] = ", ".join(part for part in parts if part)
    return {
        event.id: (places.get(event.space_id) if event.space_id else event.address) or ""
        for event in items
    }


async def events_feed(
    connection: AsyncConnection, principal: Principal | None, language: str | None, base_url: str
) -> bytes:
    statement = (
        events.events_query()
        .where(Event.starts_at >= func.now() - timedelta(days=PAST_DAYS))
        .order_by(Event.starts_at, Event.id)
        .limit(MAX_ITEMS)
    )
    if not events.may_manage(principal):
        statement = statement.where(Event.is_public)
    items = [events.to_event(row._mapping) for row in await connection.execute(statement)]
    locations = await _locations(connection, items, language)
    calendar = _calendar("MAGNET events")
    for event in items:
        calendar.add_component(_event_component(event, locations[event.id], language, base_url))
    return _finish(calendar)


async def event_feed(
    connection: AsyncConnection,
    principal: Principal | None,
    event_id: uuid.UUID,
    language: str | None,
    base_url: str,
) -> bytes:
    event = await events.get_event(connection, principal, event_id)
    locations = await _locations(connection, [event], language)
    calendar = _calendar(pick(event.title, language))
    calendar.add_component(_event_component(event, locations[event.id], language, base_url))
    return _finish(calendar)


async def hub_bookings_feed(
    connection: AsyncConnection,
    principal: Principal | None,
    hub_id: uuid.UUID,
    language: str | None,
) -> bytes:
    """Every booking of the hub's spaces; what they are for is shown to coordinators only."""
    hub = await hubs.get_hub(connection, hub_id)
    zone = ZoneInfo(hub.timezone)
    show_details = events.may_manage(principal)
    rows = await connection.execute(
        select(
            Booking.id,
            func.lower(Booking.during).label("starts_at"),
            func.upper(Booking.during).label("ends_at"),
            Booking.status,
            Booking.purpose,
            Booking.organisation,
            Booking.version,
            Booking.updated_at,
            Space.name.label("space"),
        )
        .join(Space, Space.id == Booking.space_id)
        .where(
            Space.hub_id == hub_id,
            func.upper(Booking.during) >= func.now() - timedelta(days=PAST_DAYS),
        )
        .order_by(func.lower(Booking.during), Booking.id)
        .limit(MAX_ITEMS)
    )
    calendar = _calendar(f"{pick(hub.model_dump(mode='json')['name'], language)}: bookings")
    for row in rows:
        calendar.add_component(_booking_component(row, zone, show_details, language))
    return _finish(calendar)


def _booking_component(
    row: Any, zone: ZoneInfo, show_details: bool, language: str | None
) -> VEvent:
    component = VEvent()
    _stamp(
        component,
        uid=f"booking-{row.id}@{UID_DOMAIN}",
        version=row.version,
        updated_at=row.updated_at,
    )
    space = pick(row.space, language)
    summary = f"{space}: {row.purpose}" if show_details else f"{space}: booked"
    component.add("summary", _text(summary))
    if show_details and row.organisation:
        component.add("description", _text(row.organisation))
    component.add("location", _text(space))
    component.add("dtstart", row.starts_at.astimezone(zone))
    component.add("dtend", row.ends_at.astimezone(zone))
    holding = row.status in bookings.HOLDING
    status = {"confirmed": "CONFIRMED", "pending": "TENTATIVE"}.get(row.status, "CANCELLED")
    component.add("status", status if holding else "CANCELLED")
    component.add("transp", "OPAQUE" if holding else "TRANSPARENT")
    return component
