"""The reference for the participation bench: its hot endpoints with nothing but asyncpg.

The same SQL (the statements participation compiles, as text), the same round trips and
the same JSON shapes as the service's events list, one event, a space's day of availability,
a registration and a booking, without the service's middleware, dependencies, SQLAlchemy or
Pydantic. Bookings take no token (the service checks one). Run it with uvicorn
(`DATABASE_URL` and `MAGNET_SECRET_KEY` set):

    uvicorn bench.raw_participation:app --loop uvloop --http httptools --no-access-log
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

POOL_SIZE = 16
P = "/api/v1/participation"
_EVENT_COLUMNS = """
SELECT e.id, e.title, e.description, e.lab_id, e.space_id, s.hub_id, e.address, e.starts_at,
       e.ends_at, coalesce(h.timezone, $1::VARCHAR) AS timezone, e.capacity,
       e.confirmed_seats AS confirmed, e.waitlist_length AS waitlisted,
       e.registration_opens_at, e.registration_closes_at, e.is_public, e.status, e.version,
       e.created_at, e.updated_at
FROM participation.events e
LEFT OUTER JOIN participation.spaces s ON s.id = e.space_id
LEFT OUTER JOIN participation.hubs h ON h.id = s.hub_id
"""
EVENTS_SQL = (
    _EVENT_COLUMNS.replace("e.updated_at\n", "e.updated_at, e.starts_at AS _c0, e.id AS _c1\n")
    + "WHERE e.is_public ORDER BY e.starts_at, e.id LIMIT $2::INTEGER"
)
EVENT_SQL = _EVENT_COLUMNS + "WHERE e.id = $2::UUID"
_SPACE = """
SELECT s.id, s.hub_id, s.slug, s.name, s.kind, s.capacity, s.opening_hours, h.timezone,
       s.buffer_minutes, s.requires_approval, s.version, s.created_at, s.updated_at
FROM participation.spaces s JOIN participation.hubs h ON h.id = s.hub_id
WHERE s.id = $1::UUID
"""
SPACE_SQL = _SPACE
LOCKED_SPACE_AND_DAY_SQL = """
SELECT s.id, s.hub_id, s.slug, s.name, s.kind, s.capacity, s.opening_hours, h.timezone,
       s.buffer_minutes, s.requires_approval, s.version, s.created_at, s.updated_at,
       EXISTS (SELECT * FROM participation.closures c
               WHERE c.hub_id = s.hub_id AND (c.space_id IS NULL OR c.space_id = s.id)
                 AND c.starts_on <= CAST(timezone(h.timezone, $2::TIMESTAMPTZ) AS DATE)
                 AND c.ends_on >= CAST(timezone(h.timezone, $2::TIMESTAMPTZ) AS DATE)) AS closed
FROM participation.spaces s JOIN participation.hubs h ON h.id = s.hub_id
WHERE s.id = $1::UUID FOR NO KEY UPDATE OF s
"""
CLOSURES_SQL = """
SELECT starts_on, ends_on FROM participation.closures
WHERE hub_id = $1::UUID AND (space_id IS NULL OR space_id = $2::UUID)
  AND starts_on <= $3::DATE AND ends_on >= $4::DATE
"""
BUSY_SQL = """
SELECT lower(blocked), upper(blocked) FROM participation.bookings
WHERE space_id = $1::UUID AND status IN ('pending', 'confirmed')
  AND blocked && tstzrange($2::TIMESTAMP WITH TIME ZONE, $3::TIMESTAMP WITH TIME ZONE, '[)')
"""
TAKE_PLACE_SQL = """
WITH before AS (
  SELECT id, capacity, confirmed_seats, last_waitlist_number, waitlist_length, is_public,
         status, starts_at, registration_opens_at, registration_closes_at, version
  FROM participation.events WHERE id = $1::UUID FOR NO KEY UPDATE)
UPDATE participation.events
SET confirmed_seats = events.confirmed_seats
      + CASE WHEN before.confirmed_seats < before.capacity THEN 1 ELSE 0 END,
    last_waitlist_number = events.last_waitlist_number
      + CASE WHEN before.confirmed_seats < before.capacity THEN 0 ELSE 1 END,
    version = events.version + 1, updated_at = now()
FROM before WHERE events.id = before.id
RETURNING before.*
"""
QUEUED_MESSAGE = """
WITH queued_message AS (
  INSERT INTO participation.outbox (id, kind, topic, target, message_id, payload)
  VALUES ($10::UUID, $11::VARCHAR, $12::VARCHAR, $13::VARCHAR, $14::VARCHAR, $15::JSONB))
"""
INSERT_REGISTRATION_SQL = (
    QUEUED_MESSAGE
    + """
INSERT INTO participation.registrations (id, event_id, name, email, consent_at, age_band,
       status, waitlist_number, cancel_token_hash, language)
VALUES ($1::UUID, $2::UUID, $3::VARCHAR, $4::VARCHAR, now(), $5::VARCHAR, $6::VARCHAR,
        $7::INTEGER, $8::BYTEA, $9::VARCHAR)
ON CONFLICT DO NOTHING
RETURNING id, event_id, name, email, age_band, status, waitlist_number, attended, erased_at,
          version, created_at, updated_at
"""
)
INSERT_BOOKING_SQL = (
    QUEUED_MESSAGE
    + """
INSERT INTO participation.bookings (id, space_id, during, status, purpose, organisation,
       booked_by, event_id)
VALUES ($1::UUID, $2::UUID, tstzrange($3::TIMESTAMP WITH TIME ZONE,
        $4::TIMESTAMP WITH TIME ZONE, '[)'), $5::VARCHAR, $6::VARCHAR, $7::VARCHAR,
        $8::VARCHAR, $9::UUID)
ON CONFLICT DO NOTHING
RETURNING id, space_id, lower(during) AS starts_at, upper(during) AS ends_at, status, purpose,
          organisation, event_id, version, created_at, updated_at
"""
)
DEFAULT_TIMEZONE = "Europe/Ljubljana"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOKEN_KEY = hmac.new(
    os.environ.get("MAGNET_SECRET_KEY", "").encode(), b"registration-cancel-token", hashlib.sha256
).digest()


async def _init_connection(connection: Any) -> None:
    # The codecs SQLAlchemy's dialect sets up for the service: JSON documents as text.
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda text: b"\x01" + text.encode(),
        decoder=lambda data: json.loads(data[1:].decode()),
        schema="pg_catalog",
        format="binary",
    )


async def _keep_session(connection: Any) -> None:
    return None  # no reset query on release, as the service's pool (see bench/raw_app.py)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"],
        min_size=POOL_SIZE,
        max_size=POOL_SIZE,
        init=_init_connection,
        reset=_keep_session,
        server_settings={"application_name": "bench-raw-participation"},
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return value


def _event(row: Any, now: datetime) -> dict[str, Any]:
    body = {name: _json(value) for name, value in row.items() if not name.startswith("_")}
    body["seats_left"] = max(0, row["capacity"] - row["confirmed"])
    opens, closes = row["registration_opens_at"], row["registration_closes_at"]
    body["registration_open"] = (
        row["status"] == "scheduled"
        and (opens is None or opens <= now)
        and (closes is None or now < closes)
        and now < row["starts_at"]
    )
    return body


@app.get(f"{P}/events")
async def list_events(limit: int = 20) -> JSONResponse:
    async with app.state.pool.acquire() as connection:
        rows = await connection.fetch(EVENTS_SQL, DEFAULT_TIMEZONE, limit + 1)
    now = datetime.now(UTC)
    return JSONResponse({"items": [_event(row, now) for row in rows[:limit]], "next_cursor": None})


@app.get(P + "/events/{event_id}")
async def get_event(event_id: uuid.UUID) -> JSONResponse:
    async with app.state.pool.acquire() as connection:
        row = await connection.fetchrow(EVENT_SQL, DEFAULT_TIMEZONE, event_id)
    return JSONResponse(_event(row, datetime.now(UTC)), headers={"ETag": f'"v{row["version"]}"'})


def _open_intervals(space: Any, day: date) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(space["timezone"])
    return [
        (
            datetime.combine(day, time.fromisoformat(hours["opens"]), zone).astimezone(UTC),
            datetime.combine(day, time.fromisoformat(hours["closes"]), zone).astimezone(UTC),
        )
        for hours in space["opening_hours"].get(WEEKDAYS[day.weekday()], [])
    ]


def _subtract(
    free: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    for busy_start, busy_end in sorted(busy):
        rest = []
        for start, end in free:
            if busy_end <= start or end <= busy_start:
                rest.append((start, end))
                continue
            if start < busy_start:
                rest.append((start, busy_start))
            if busy_end < end:
                rest.append((busy_end, end))
        free = rest
    return free


async def _closed(connection: Any, space: Any, first: date, last: date) -> set[date]:
    rows = await connection.fetch(CLOSURES_SQL, space["hub_id"], space["id"], last, first)
    return {
        first + timedelta(days=offset)
        for starts_on, ends_on in rows
        for offset in range((last - first).days + 1)
        if starts_on <= first + timedelta(days=offset) <= ends_on
    }


@app.get(P + "/spaces/{space_id}/availability")
async def availability(space_id: uuid.UUID, request: Request) -> JSONResponse:
    day = date.fromisoformat(request.query_params["date"])
    async with app.state.pool.acquire() as connection:
        space = await connection.fetchrow(SPACE_SQL, space_id)
        zone = ZoneInfo(space["timezone"])
        starts_at = datetime.combine(day, time(), zone).astimezone(UTC)
        ends_at = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        closed = day in await _closed(connection, space, day, day)
        open_intervals = [] if closed else _open_intervals(space, day)
        free = []
        if open_intervals:
            buffer = timedelta(minutes=space["buffer_minutes"])
            rows = await connection.fetch(BUSY_SQL, space_id, starts_at - buffer, ends_at + buffer)
            free = _subtract(open_intervals, [(lower - buffer, upper) for lower, upper in rows])
    body = {
        "space_id": str(space["id"]),
        "hub_id": str(space["hub_id"]),
        "slug": space["slug"],
        "name": space["name"],
        "kind": space["kind"],
        "capacity": space["capacity"],
        "timezone": space["timezone"],
        "date": day.isoformat(),
        "closed": not open_intervals,
        "free": [{"starts_at": _json(start), "ends_at": _json(end)} for start, end in free],
    }
    return JSONResponse(body)


def _message(topic: str, target: str, payload: dict[str, Any]) -> tuple[Any, ...]:
    """The parameters ($10-$15) of the outbox row an INSERT carries in its WITH."""
    message_id = f"<{uuid.uuid4()}@magnet-celje.si>"
    return uuid.uuid4(), "mail", topic, target, message_id, json.dumps(payload)


@app.post(P + "/events/{event_id}/registrations", status_code=201)
async def register(event_id: uuid.UUID, request: Request) -> JSONResponse:
    body = await request.json()
    registration_id = uuid.uuid4()
    digest = hmac.new(TOKEN_KEY, registration_id.bytes, hashlib.sha256).digest()
    token = base64.urlsafe_b64encode(digest[:24]).decode()
    target = f"registration:{registration_id}"
    payload = {"registration_id": str(registration_id)}
    async with app.state.pool.acquire() as connection, connection.transaction():
        event = await connection.fetchrow(TAKE_PLACE_SQL, event_id)
        if event["confirmed_seats"] >= event["capacity"]:
            return JSONResponse({"detail": "full"}, status_code=409)
        inserted = await connection.fetch(
            INSERT_REGISTRATION_SQL,
            registration_id,
            event_id,
            body["name"],
            body["email"],
            None,
            "confirmed",
            None,
            hashlib.sha256(token.encode()).digest(),
            "en",
            *_message("registration.confirmed", target, payload),
        )
        if not inserted:
            return JSONResponse({"detail": "conflict"}, status_code=409)
        row = inserted[0]
    created = {name: _json(value) for name, value in row.items()}
    created |= {"waitlist_position": None, "erased": False, "cancel_token": token}
    location = f"{P}/events/{event_id}/registrations/{registration_id}"
    return JSONResponse(
        created, status_code=201, headers={"Location": location, "Cache-Control": "no-store"}
    )


@app.post(P + "/bookings", status_code=201)
async def book(request: Request) -> JSONResponse:
    body = await request.json()
    space_id = uuid.UUID(body["space_id"])
    starts_at = datetime.fromisoformat(body["starts_at"])
    ends_at = datetime.fromisoformat(body["ends_at"])
    booking_id = uuid.uuid4()
    payload = {"booking_id": str(booking_id)}
    async with app.state.pool.acquire() as connection, connection.transaction():
        space = await connection.fetchrow(LOCKED_SPACE_AND_DAY_SQL, space_id, starts_at)
        if space["closed"]:
            return JSONResponse({"detail": "closed"}, status_code=422)
        inserted = await connection.fetch(
            INSERT_BOOKING_SQL,
            booking_id,
            space_id,
            starts_at,
            ends_at,
            "pending" if space["requires_approval"] else "confirmed",
            body["purpose"],
            body.get("organisation", ""),
            "bench-user",
            None,
            *_message("booking.confirmed", f"booking:{booking_id}", payload),
        )
        if not inserted:
            return JSONResponse({"detail": "taken"}, status_code=409)
    created = {name: _json(value) for name, value in inserted[0].items()}
    created["hub_id"] = _json(space["hub_id"])
    return JSONResponse(
        created, status_code=201, headers={"Location": f"{P}/bookings/{booking_id}"}
    )
