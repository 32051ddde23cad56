"""iCalendar feeds (declared before the JSON routes so `events/{id}.ics` is matched first)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.participation.api.common import PREFIX
from services.participation.service import calendar
from shared.auth import OptionalPrincipal
from shared.db import ReadConnection
from shared.i18n import Language
from shared.problems import problem_responses
from shared.settings import Settings

router = APIRouter(prefix=PREFIX, tags=["calendars"])
ICALENDAR = "text/calendar; charset=utf-8"
Lang = Annotated[Language | None, Query(description="Language of titles (default en, then sl).")]
CALENDAR_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "RFC 5545"}
}


def _base_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.public_base_url


def _ics(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type=ICALENDAR,
        headers={"Content-Disposition": f'inline; filename="{name}.ics"'},
    )


@router.get(
    "/events.ics",
    summary="Public events as an iCalendar feed",
    response_class=Response,
    responses=CALENDAR_RESPONSE,
)
async def events_feed(
    request: Request, connection: ReadConnection, principal: OptionalPrincipal, lang: Lang = None
) -> Response:
    content = await calendar.events_feed(connection, principal, lang, _base_url(request))
    return _ics(content, "events")


@router.get(
    "/events/{event_id}.ics",
    summary="One event as iCalendar",
    response_class=Response,
    responses={**CALENDAR_RESPONSE, **problem_responses(404)},
)
async def event_feed(
    event_id: uuid.UUID,
    request: Request,
    connection: ReadConnection,
    principal: OptionalPrincipal,
    lang: Lang = None,
) -> Response:
    content = await calendar.event_feed(connection, principal, event_id, lang, _base_url(request))
    return _ics(content, f"event-{event_id}")


@router.get(
    "/hubs/{hub_id}/bookings.ics",
    summary="A hub's bookings as iCalendar (purposes shown to coordinators only)",
    response_class=Response,
    responses={**CALENDAR_RESPONSE, **problem_responses(404)},
)
async def hub_bookings_feed(
    hub_id: uuid.UUID,
    connection: ReadConnection,
    principal: OptionalPrincipal,
    lang: Lang = None,
) -> Response:
    content = await calendar.hub_bookings_feed(connection, principal, hub_id, lang)
    return _ics(content, f"bookings-{hub_id}")
