"""Writing the mails queued by `service.notices`, at the time the worker sends them.

The rows are read as they are when the mail goes out: a registrant erased meanwhile gets
nothing (`None`), a cancelled event's attachment says CANCELLED. Registrants read their
mail in the language they registered in; the link manages the registration with its token.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation import proposal_mails
from services.participation.mail_texts import LABELS, SIGNATURE, TEXTS
from services.participation.models import Booking, Event, Hub, Registration, Space
from services.participation.service import calendar, events, proposal_notices
from services.participation.service.registrations import cancel_token
from shared.auth import Principal, Role
from shared.i18n import LANGUAGES, pick
from shared.mail import Block, Link, compose

UserEmail = Callable[[str], Awaitable[str | None]]
# The worker reads as a coordinator would: private events are mailed about too.
_WORKER = Principal(subject="worker", role=Role.COORDINATOR)


@dataclass(frozen=True)
class Mail:
    recipient: str
    payload: dict[str, Any]


def _when(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    zone = ZoneInfo(timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    until = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{start:%Y-%m-%d %H:%M}–{until} ({timezone})"


def _compose(
    topic: str, language: str, values: dict[str, str], *, link: str | None, details: list[str]
) -> dict[str, Any]:
    language = language if language in LANGUAGES else "en"
    subject, opening = (text.format(**values) for text in TEXTS[topic][language])
    labels = LABELS[language]
    blocks: list[Block] = [opening, details]
    if link:
        blocks.append(Link(labels["manage"], link))
    return compose(
        subject=subject,
        language=language,
        greeting=f"{labels['hello']},",
        blocks=blocks,
        signature=SIGNATURE,
    )


async def _registration_mail(
    connection: AsyncConnection,
    topic: str,
    payload: dict[str, Any],
    *,
    base_url: str,
    token_key: bytes,
) -> Mail | None:
    registration_id = uuid.UUID(payload["registration_id"])
    registration = (
        await connection.execute(
            select(Registration.email, Registration.language, Registration.event_id).where(
                Registration.id == registration_id
            )
        )
    ).one_or_none()
    if registration is None or registration.email is None:
        return None
    language = registration.language
    event = events.to_event(
        (await connection.execute(events.events_query().where(Event.id == registration.event_id)))
        .one()
        ._mapping
    )
    ics = await calendar.event_feed(connection, _WORKER, event.id, language, base_url)
    where = (await calendar._locations(connection, [event], language))[event.id]
    labels = LABELS.get(language, LABELS["en"])
    when = _when(event.starts_at, event.ends_at, event.timezone)
    values = {
        "title": pick(event.title, language),
        "position": str(payload.get("position") or ""),
    }
    link = (
        f"{base_url}/api/v1/participation/events/{event.id}/registrations/{registration_id}"
        f"?token={cancel_token(token_key, registration_id)}"
    )
    details = [f"{labels['when']}: {when}"] + ([f"{labels['where']}: {where}"] if where else [])
    mail = _compose(topic, language, values, link=link, details=details)
    mail |= {"ics": ics.decode(), "ics_name": f"event-{event.id}.ics"}
    return Mail(registration.email, mail)


async def _booking_mail(
    connection: AsyncConnection, topic: str, payload: dict[str, Any], *, user_email: UserEmail
) -> Mail | None:
    booking = (
        await connection.execute(
            select(
                Booking.booked_by,
                Booking.purpose,
                func.lower(Booking.during).label("starts_at"),
                func.upper(Booking.during).label("ends_at"),
                Space.name.label("space"),
                Hub.name.label("hub"),
                Hub.timezone,
            )
            .join(Space, Space.id == Booking.space_id)
            .join(Hub, Hub.id == Space.hub_id)
            .where(Booking.id == uuid.UUID(payload["booking_id"]))
        )
    ).one_or_none()
    if booking is None or (recipient := await user_email(booking.booked_by)) is None:
        return None
    labels = LABELS["en"]
    where = f"{pick(booking.space, 'en')}, {pick(booking.hub, 'en')}"
    details = [
        booking.purpose,
        f"{labels['when']}: {_when(booking.starts_at, booking.ends_at, booking.timezone)}",
        f"{labels['where']}: {where}",
    ]
    return Mail(recipient, _compose(topic, "en", {"title": where}, link=None, details=details))


async def render(
    connection: AsyncConnection,
    topic: str,
    payload: dict[str, Any],
    *,
    base_url: str,
    token_key: bytes,
    user_email: UserEmail,
) -> Mail | None:
    """The mail for a queued notice, or None when there is nobody (left) to tell or
    nothing known to say."""
    if topic == proposal_notices.ANSWERED:
        answered = await proposal_mails.answered_mail(connection, payload, base_url=base_url)
        return Mail(*answered) if answered else None
    if topic not in TEXTS:
        return None  # nothing this service knows how to say
    if "registration_id" in payload:
        return await _registration_mail(
            connection, topic, payload, base_url=base_url, token_key=token_key
        )
    return await _booking_mail(connection, topic, payload, user_email=user_email)
