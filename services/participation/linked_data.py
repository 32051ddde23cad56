"""Events as schema.org `Event`, hubs and spaces as schema.org `Place` (JSON-LD).

Every node has an absolute `@id` and `url` on the public address, so a harvester keeps
every statement without knowing where the document came from. Texts are given in one
language (the `lang` parameter, else `Accept-Language`, else English, else Slovenian).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation.schemas.events import Event, EventStatus
from services.participation.schemas.hubs import WEEKDAYS, Hub, Space
from services.participation.service import hubs
from shared.i18n import pick
from shared.linked_data import SCHEMA_ORG

PREFIX = "/api/v1/participation"
PUBLISHER = {"@type": "Organization", "name": "MAGNET Celje"}
EVENT_STATUS = {
    EventStatus.SCHEDULED: "https://schema.org/EventScheduled",
    EventStatus.CANCELLED: "https://schema.org/EventCancelled",
}
DAYS_OF_WEEK = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def _text(translations: Mapping[Any, str], language: str | None) -> str:
    """`pick` over translations keyed by `Language` or by plain codes alike."""
    return pick({str(code): text for code, text in translations.items()}, language)


def event_path(event_id: uuid.UUID) -> str:
    return f"{PREFIX}/events/{event_id}"


def _node(schema_type: str, link: str, identifier: uuid.UUID) -> dict[str, Any]:
    return {"@type": schema_type, "@id": link, "url": link, "identifier": str(identifier)}


def _hub_address(hub: Hub) -> dict[str, Any]:
    address: dict[str, Any] = {"@type": "PostalAddress", "addressLocality": hub.town}
    if hub.address:
        address["streetAddress"] = hub.address
    return address


def hub_place(hub: Hub, language: str | None, base_url: str) -> dict[str, Any]:
    place = _node("Place", f"{base_url}{PREFIX}/hubs/{hub.id}", hub.id)
    place["name"] = _text(hub.name, language)
    if description := _text(hub.description, language):
        place["description"] = description
    place["address"] = _hub_address(hub)
    place["publicAccess"] = True
    return place


def space_place(space: Space, hub: Hub, language: str | None, base_url: str) -> dict[str, Any]:
    place = _node("Place", f"{base_url}{PREFIX}/spaces/{space.id}", space.id)
    place["name"] = _text(space.name, language)
    place["maximumAttendeeCapacity"] = space.capacity
    place["address"] = _hub_address(hub)
    place["containedInPlace"] = hub_place(hub, language, base_url)
    place["openingHoursSpecification"] = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{DAYS_OF_WEEK[day]}",
            "opens": interval.opens.isoformat(),
            "closes": interval.closes.isoformat(),
        }
        for day in WEEKDAYS
        for interval in getattr(space.opening_hours, day)
    ]
    return place


def event_document(
    event: Event, location: dict[str, Any], language: str | None, base_url: str
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": SCHEMA_ORG,
        **_node("Event", f"{base_url}{event_path(event.id)}", event.id),
        "name": _text(event.title, language),
        # In the hub's local time, as people read the event's time.
        "startDate": event.starts_at.astimezone(ZoneInfo(event.timezone)).isoformat(),
        "endDate": event.ends_at.astimezone(ZoneInfo(event.timezone)).isoformat(),
        "eventStatus": EVENT_STATUS[event.status],
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": location,
        "maximumAttendeeCapacity": event.capacity,
        "remainingAttendeeCapacity": event.seats_left,
        "isAccessibleForFree": True,
        "organizer": PUBLISHER,
        "dateModified": event.updated_at.isoformat(),
    }
    if description := _text(event.description, language):
        document["description"] = description
    offer: dict[str, Any] = {
        "@type": "Offer",
        "price": 0,
        "priceCurrency": "EUR",
        "availability": "https://schema.org/" + ("InStock" if event.seats_left > 0 else "SoldOut"),
    }
    if event.registration_opens_at is not None:
        offer["validFrom"] = event.registration_opens_at.isoformat()
    if event.registration_closes_at is not None:
        offer["validThrough"] = event.registration_closes_at.isoformat()
    if event.status is EventStatus.SCHEDULED:
        document["offers"] = offer
    return document


async def event_json_ld(
    connection: AsyncConnection, event: Event, language: str | None, base_url: str
) -> dict[str, Any]:
    """The event as a schema.org `Event`; in a hub space, located at that `Place`."""
    location: dict[str, Any]
    if event.space_id is not None:
        space = await hubs.require_space(connection, event.space_id)
        hub = await hubs.get_hub(connection, space.hub_id)
        location = space_place(space, hub, language, base_url)
    else:
        location = {"@type": "Place", "address": {"@type": "PostalAddress"}}
        location["name"] = location["address"]["streetAddress"] = event.address or ""
    return event_document(event, location, language, base_url)


def hub_json_ld(hub: Hub, language: str | None, base_url: str) -> dict[str, Any]:
    return {"@context": SCHEMA_ORG, **hub_place(hub, language, base_url)}


async def space_json_ld(
    connection: AsyncConnection, space: Space, language: str | None, base_url: str
) -> dict[str, Any]:
    hub = await hubs.get_hub(connection, space.hub_id)
    return {"@context": SCHEMA_ORG, **space_place(space, hub, language, base_url)}
