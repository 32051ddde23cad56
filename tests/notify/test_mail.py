"""Mail to registrants and bookers, through the outbox and the worker to a real SMTP server."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncSession

from cli.data import create_user
from cli.worker import Worker
from services.participation.schemas.events import RegistrationCreate
from services.participation.service import registrations
from shared.auth import Role, derive_key
from shared.db import libpq_url
from shared.settings import Settings
from tests.participation.conftest import EVERY_DAY_8_TO_20, bearer
from tests.receivers import WAIT_SECONDS, MailServer, unique_email

API = "/api/v1/participation"


def soon(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


async def new_event(
    participation: httpx.AsyncClient, settings: Settings, **fields: Any
) -> dict[str, Any]:
    body = {
        "title": {"sl": "Delavnica o bivanju", "en": "Housing workshop", "it": "Laboratorio"},
        "address": "Ljubljanska cesta 1, Celje",
        "starts_at": soon(24 * 40),
        "ends_at": soon(24 * 40 + 2),
        "capacity": 5,
        **fields,
    }
    response = await participation.post(
        f"{API}/events", json=body, headers=bearer(settings, Role.COORDINATOR)
    )
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


async def register(
    participation: httpx.AsyncClient, event: dict[str, Any], address: str, language: str = "en"
) -> dict[str, Any]:
    response = await participation.post(
        f"{API}/events/{event['id']}/registrations",
        json={"name": "Ana Novak", "email": address, "consent": True, "language": language},
    )
    assert response.status_code == 201, response.text
    registration: dict[str, Any] = response.json()
    return registration


async def outbox_rows(database_url: str, target: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        return list(
            await connection.fetch(
                "SELECT * FROM participation.outbox WHERE target = $1 ORDER BY created_at",
                target,
            )
        )
    finally:
        await connection.close()


async def recorded_row(database_url: str, target: str) -> asyncpg.Record:
    """The one outbox row of `target`, once the worker has recorded it sent: it records after
    the server's answer, which the message reaching the test's server may beat."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        [row] = await outbox_rows(database_url, target)
        if row["sent_at"] is not None:
            return row
        assert time.monotonic() < deadline, f"{target} was delivered but never recorded sent"
        await asyncio.sleep(0.05)


def parts(message: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_maintype() != "multipart":
            found[part.get_content_type()] = part.get_content()
    return found


class TestRegistrantMail:
    async def test_a_confirmed_registrant_gets_a_mail_in_their_language(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        database_url: str,
        mail_server: MailServer,
        worker: Worker,
    ) -> None:
        event = await new_event(participation, settings)
        address = unique_email("confirmed")
        registration = await register(participation, event, address, language="sl")

        [message] = await mail_server.wait_for(address)

        assert message["Subject"] == "Prijava potrjena: Delavnica o bivanju"
        assert message["To"] == address
        assert message["Content-Language"] == "sl"
        row = await recorded_row(database_url, f"registration:{registration['id']}")
        assert message["Message-ID"] == row["message_id"]
        content = parts(message)
        assert "Vaša prijava na dogodek »Delavnica o bivanju« je potrjena." in content["text/plain"]
        assert "Delavnica o bivanju" in content["text/html"]
        calendar = Calendar.from_ical(content["text/calendar"])
        [component] = calendar.walk("VEVENT")
        assert str(component["UID"]).startswith(f"event-{event['id']}@")
        assert str(component["SUMMARY"]) == "Delavnica o bivanju"

        link = re.search(r"https?://\S+", content["text/plain"])
        assert link is not None
        url = urlsplit(link.group(0))
        assert url.netloc == f"{settings.host}:{settings.gateway_port}"  # absolute, public
        token = parse_qs(url.query)["token"][0]
        assert token == registration["cancel_token"]
        managed = await participation.get(f"{url.path}?{url.query}")  # as a click opens it
        assert managed.status_code == 200, managed.text
        assert managed.json()["email"] == address
        forged = await participation.get(f"{url.path}?token={token[:-2]}xx")
        assert forged.status_code == 404

    async def test_waitlist_promotion_and_cancellation_each_tell_the_right_person(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        mail_server: MailServer,
        worker: Worker,
    ) -> None:
        event = await new_event(participation, settings, capacity=1)
        first, second = unique_email("first"), unique_email("second")
        holder = await register(participation, event, first)
        await register(participation, event, second, language="it")

        [waitlisted] = await mail_server.wait_for(second)
        assert waitlisted["Subject"] == "In lista d'attesa: Laboratorio"
        assert "Sei al numero 1 della lista d'attesa." in parts(waitlisted)["text/plain"]

        cancelled = await participation.delete(
            f"{API}/events/{event['id']}/registrations/{holder['id']}",
            headers={"X-Cancel-Token": holder["cancel_token"], "If-Match": '"v1"'},
        )
        assert cancelled.status_code == 204, cancelled.text
        promoted = (await mail_server.wait_for(second, 2))[1]
        assert promoted["Subject"] == "Hai un posto: Laboratorio"
        assert len(mail_server.to(first)) == 1  # the one who cancelled gets no promotion

        event_now = (await participation.get(f"{API}/events/{event['id']}")).json()
        gone = await participation.delete(
            f"{API}/events/{event['id']}",
            headers={
                **bearer(settings, Role.COORDINATOR),
                "If-Match": f'"v{event_now["version"]}"',
            },
        )
        assert gone.status_code == 204, gone.text
        cancellation = (await mail_server.wait_for(second, 3))[2]
        assert cancellation["Subject"] == "Annullato: Laboratorio"
        ics = Calendar.from_ical(parts(cancellation)["text/calendar"])
        assert str(ics.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
        assert len(mail_server.to(first)) == 1  # cancelled registrations are not told

    async def test_a_rolled_back_registration_sends_nothing(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        database_url: str,
        mail_server: MailServer,
        worker: Worker,
    ) -> None:
        event = await new_event(participation, settings)
        doomed, witness = unique_email("rolled-back"), unique_email("committed")
        token_key = derive_key(settings, registrations.CANCEL_KEY_PURPOSE)
        body = RegistrationCreate.model_validate(
            {"name": "Rolled Back", "email": doomed, "consent": True}
        )
        with pytest.raises(RuntimeError, match="after the write"):
            async with AsyncSession(worker.engine) as session, session.begin():
                created = await registrations.register(
                    session, None, uuid.UUID(event["id"]), body, token_key
                )
                queued = await outbox_rows_in(session, f"registration:{created.id}")
                assert queued == 1  # written in the transaction...
                raise RuntimeError("a failure after the write")  # ...and rolled back with it

        await register(participation, event, witness)
        await mail_server.wait_for(witness)  # the worker has been through the queue since
        assert await outbox_rows(database_url, f"registration:{created.id}") == []
        assert mail_server.to(doomed) == []

    async def test_the_day_before_each_confirmed_registrant_is_reminded_once(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        mail_server: MailServer,
        worker: Worker,
    ) -> None:
        event = await new_event(
            participation, settings, starts_at=soon(20), ends_at=soon(22), capacity=1
        )
        seated, waiting = unique_email("seated"), unique_email("waiting")
        await register(participation, event, seated, language="hr")
        await register(participation, event, waiting)

        await worker.run_schedules()
        await worker.run_schedules()  # a second pass (or a second worker) changes nothing

        reminders = [
            message
            for message in await mail_server.wait_for(seated, 2)
            if message["Subject"].startswith("Sutra:")
        ]
        # Croatian text, the title in English: the event has no Croatian title.
        assert [message["Subject"] for message in reminders] == ["Sutra: Housing workshop"]
        await mail_server.wait_for(waiting)
        assert not any(m["Subject"].startswith("Tomorrow") for m in mail_server.to(waiting))


async def outbox_rows_in(session: AsyncSession, target: str) -> int:
    from sqlalchemy import text

    count = await session.scalar(
        text("SELECT count(*) FROM participation.outbox WHERE target = :target"),
        {"target": target},
    )
    return int(count or 0)


class TestRetention:
    async def test_registrants_of_long_past_events_are_erased_and_counts_kept(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        database_url: str,
        mail_server: MailServer,
        worker: Worker,
    ) -> None:
        event = await new_event(participation, settings, capacity=3)
        registration = await register(participation, event, unique_email("old"))
        days = settings.registration_retention_days
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            # The event ended a day more than the retention period ago.
            await connection.execute(
                "UPDATE participation.events SET starts_at = now() - make_interval(days => $2),"
                " ends_at = now() - make_interval(days => $2) + interval '2 hours'"
                " WHERE id = $1",
                uuid.UUID(event["id"]),
                days + 1,
            )
            done = await worker.run_schedules()
            assert done["registration-retention"] is not None
            assert done["registration-retention"] >= 1
            row = await connection.fetchrow(
                "SELECT name, email, erased_at, status FROM participation.registrations"
                " WHERE id = $1",
                uuid.UUID(registration["id"]),
            )
            seats = await connection.fetchval(
                "SELECT confirmed_seats FROM participation.events WHERE id = $1",
                uuid.UUID(event["id"]),
            )
        finally:
            await connection.close()
        assert row is not None
        assert (row["name"], row["email"], row["status"]) == (None, None, "confirmed")
        assert row["erased_at"] is not None
        assert seats == 1

    async def test_registrants_of_recent_events_are_kept(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        database_url: str,
        worker: Worker,
    ) -> None:
        event = await new_event(participation, settings)
        address = unique_email("kept")
        registration = await register(participation, event, address)
        await worker.run_schedules()
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            email = await connection.fetchval(
                "SELECT email FROM participation.registrations WHERE id = $1",
                uuid.UUID(registration["id"]),
            )
        finally:
            await connection.close()
        assert email == address


@pytest.fixture
async def booker(database_url: str, settings: Settings) -> tuple[str, dict[str, str]]:
    address = unique_email("booker")
    user = await create_user(database_url, address, "a-long-password-1", "editor", None)
    return address, bearer(settings, Role.EDITOR, subject=str(user.id))


class TestBookerMail:
    async def test_a_booking_needing_approval_is_pending_then_confirmed(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        mail_server: MailServer,
        worker: Worker,
        booker: tuple[str, dict[str, str]],
    ) -> None:
        address, headers = booker
        coordinator = bearer(settings, Role.COORDINATOR)
        hubs = (await participation.get(f"{API}/hubs")).json()["items"]
        hub = next(h for h in hubs if h["slug"] == "magnet-hub-celje")
        space = await participation.post(
            f"{API}/hubs/{hub['id']}/spaces",
            json={
                "slug": f"mail-room-{uuid.uuid4().hex[:8]}",
                "name": {"en": "Mail room"},
                "kind": "room",
                "capacity": 8,
                "opening_hours": EVERY_DAY_8_TO_20,
                "requires_approval": True,
            },
            headers=coordinator,
        )
        assert space.status_code == 201, space.text
        day = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
        booking = await participation.post(
            f"{API}/bookings",
            json={
                "space_id": space.json()["id"],
                "starts_at": f"{day}T10:00:00Z",
                "ends_at": f"{day}T11:00:00Z",
                "purpose": "Neighbourhood meeting",
                "organisation": "Residents of Otok",
            },
            headers=headers,
        )
        assert booking.status_code == 201, booking.text
        assert booking.json()["status"] == "pending"
        [pending] = await mail_server.wait_for(address)
        assert pending["Subject"].startswith("Booking awaiting approval: Mail room")

        decided = await participation.post(
            f"{API}/bookings/{booking.json()['id']}/transitions",
            json={"to": "confirmed"},
            headers=coordinator,
        )
        assert decided.status_code == 200, decided.text
        confirmed = (await mail_server.wait_for(address, 2))[1]
        assert confirmed["Subject"].startswith("Booking confirmed: Mail room")
        assert "Neighbourhood meeting" in parts(confirmed)["text/plain"]
