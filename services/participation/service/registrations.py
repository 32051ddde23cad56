"""Registrations: confirmed while seats remain, else a place on the waitlist.

Personal data (name, email) is only ever returned to the registrant holding the cancel
token and to coordinators. Erasure blanks it but keeps the row, so seat counts and
statistics stay true.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Uuid, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from services.participation.models import Event, Registration
from services.participation.schemas import events as schemas
from services.participation.service import notices, seats
from services.participation.service.events import get_event, may_manage, registration_open
from shared.auth import Principal
from shared.csv_export import csv_bytes
from shared.db import CompiledQuery, Executor, Runner, constant, fetch_one_compiled
from shared.etag import require_if_match
from shared.outbox import queued
from shared.pagination import Page, PageQuery, paginate
from shared.problems import Conflict, NotFound

_Earlier = aliased(Registration)
_POSITION = (
    select(func.count())
    .where(
        _Earlier.event_id == Registration.event_id,
        _Earlier.status == constant("waitlisted"),
        _Earlier.waitlist_number <= Registration.waitlist_number,
    )
    .correlate(Registration)
    .scalar_subquery()
)
_POSITION_COLUMN = _POSITION.label("position")
_COLUMNS = (
    Registration.id,
    Registration.event_id,
    Registration.name,
    Registration.email,
    Registration.age_band,
    Registration.status,
    Registration.waitlist_number,
    _POSITION_COLUMN,
    Registration.attended,
    Registration.erased_at,
    Registration.version,
    Registration.created_at,
    Registration.updated_at,
)


CANCEL_KEY_PURPOSE = "registration-cancel-token"


def cancel_token(token_key: bytes, registration_id: uuid.UUID) -> str:
    """The registrant's token, derived from the id (with `derive_key(settings,
    CANCEL_KEY_PURPOSE)`) so that every mail can carry the link that manages the registration;
    only its hash is stored."""
    digest = hmac.new(token_key, registration_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _to_registration(row: Mapping[Any, Any]) -> schemas.Registration:
    values = dict(row)
    values["waitlist_position"] = values["position"] if values["status"] == "waitlisted" else None
    values["erased"] = values["erased_at"] is not None
    return schemas.Registration.model_validate(values)


_REGISTRATION = CompiledQuery(
    select(*_COLUMNS).where(Registration.id == bindparam("registration_id", type_=Uuid))
)


async def _read(connection: Executor, registration_id: uuid.UUID) -> schemas.Registration:
    row = await fetch_one_compiled(connection, _REGISTRATION, registration_id=registration_id)
    assert row is not None
    return _to_registration(row)


# A second registration of one email for an event meets `uq_registrations_event_email`: no
# row is inserted (and nothing to roll back to), the request answers 409.
_INSERT = CompiledQuery(
    insert(Registration)
    .values(
        id=bindparam("id", type_=Uuid),
        event_id=bindparam("event_id", type_=Uuid),
        name=bindparam("name", type_=Registration.name.type),
        email=bindparam("email", type_=Registration.email.type),
        consent_at=func.now(),
        age_band=bindparam("age_band", type_=Registration.age_band.type),
        status=bindparam("status", type_=Registration.status.type),
        waitlist_number=bindparam("waitlist_number", type_=Registration.waitlist_number.type),
        cancel_token_hash=bindparam("cancel_token_hash", type_=Registration.cancel_token_hash.type),
        language=bindparam("language", type_=Registration.language.type),
    )
    .on_conflict_do_nothing()
    # The new registration as `_read` gives it, without a second round trip; its position
    # is known under the event's lock (`register`).
    .returning(*(column for column in _COLUMNS if column is not _POSITION_COLUMN))
    .add_cte(queued(notices.SCHEMA))  # its mail, in the same round trip
)


async def register(
    session: Runner,
    principal: Principal | None,
    event_id: uuid.UUID,
    body: schemas.RegistrationCreate,
    token_key: bytes,
) -> schemas.NewRegistration:
    # Locked, and the place taken already: every refusal below rolls it back.
    event = await seats.take_place(session, event_id)
    if not (event.is_public or may_manage(principal)):
        raise NotFound(f"There is no event {event_id}.")
    if event.status == schemas.EventStatus.CANCELLED:
        raise Conflict("The event has been cancelled.")
    if not registration_open(
        status=event.status,
        starts_at=event.starts_at,
        opens=event.registration_opens_at,
        closes=event.registration_closes_at,
        now=datetime.now(UTC),
    ):
        raise Conflict("Registration for this event is not open.")
    confirmed = event.confirmed_seats < event.capacity
    waitlist_number = None if confirmed else event.last_waitlist_number + 1
    # Waitlist numbers only grow, so the newcomer is last in line.
    position = None if confirmed else event.waitlist_length + 1
    registration_id = uuid.uuid4()
    token = cancel_token(token_key, registration_id)
    topic, details = (
        (notices.Topic.CONFIRMED, {})
        if confirmed
        else (notices.Topic.WAITLISTED, {"position": position})
    )
    notice = notices.registration_queued(registration_id, topic, **details)
    inserted = await fetch_one_compiled(
        session,
        _INSERT,
        id=registration_id,
        event_id=event_id,
        name=body.name,
        email=body.email,
        age_band=body.age_band.value if body.age_band else None,
        status="confirmed" if confirmed else "waitlisted",
        waitlist_number=waitlist_number,
        cancel_token_hash=_hash(token),
        language=body.language.value,
        **notice,
    )
    if inserted is None:  # the message queued with it goes with the rollback
        raise Conflict("This email address is already registered for the event.")
    created = _to_registration({**dict(inserted), "position": position})
    return schemas.NewRegistration(**created.model_dump(), cancel_token=token)


async def _locked_registration(
    session: AsyncSession,
    principal: Principal | None,
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    token: str | None,
) -> Any:
    row = (
        await session.execute(
            select(Registration.status, Registration.version, Registration.cancel_token_hash)
            .where(Registration.id == registration_id, Registration.event_id == event_id)
            .with_for_update()
        )
    ).one_or_none()
    allowed = may_manage(principal) or (
        row is not None
        and token is not None
        and hmac.compare_digest(row.cancel_token_hash, _hash(token))
    )
    if row is None or not allowed:
        raise NotFound(f"There is no registration {registration_id} you may see.")
    return row


async def get_registration(
    session: AsyncSession,
    principal: Principal | None,
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    token: str | None,
) -> schemas.Registration:
    await _locked_registration(session, principal, event_id, registration_id, token)
    return await _read(session, registration_id)


async def cancel(
    session: AsyncSession,
    principal: Principal | None,
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    token: str | None,
    if_match: str | None,
) -> None:
    """Cancel; a freed seat goes to the first person waiting, in this same transaction."""
    await seats.lock_event(session, event_id)
    registration = await _locked_registration(session, principal, event_id, registration_id, token)
    require_if_match(if_match, registration.version)
    if registration.status == "cancelled":
        return
    await session.execute(
        update(Registration)
        .where(Registration.id == registration_id)
        .values(status="cancelled", version=Registration.version + 1, updated_at=func.now())
    )
    if registration.status == "confirmed":
        await seats.bump(session, event_id, confirmed_seats=Event.confirmed_seats - 1)
        await seats.promote_waitlisted(session, event_id, 1)
    else:
        await seats.bump(session, event_id)


async def erase(
    session: AsyncSession,
    principal: Principal | None,
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    token: str | None,
) -> None:
    """Forget who registered (GDPR) while the seat, status and age band still count."""
    await _locked_registration(session, principal, event_id, registration_id, token)
    await session.execute(
        update(Registration)
        .where(Registration.id == registration_id, Registration.erased_at.is_(None))
        .values(
            name=None,
            email=None,
            erased_at=func.now(),
            version=Registration.version + 1,
            updated_at=func.now(),
        )
    )


async def erase_person(session: AsyncSession, email: str) -> int:
    """Erase one person's data from every event (a coordinator acting on a GDPR request)."""
    result = await session.execute(
        update(Registration)
        .where(func.lower(Registration.email) == email.lower())
        .values(
            name=None,
            email=None,
            erased_at=func.now(),
            version=Registration.version + 1,
            updated_at=func.now(),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def set_attendance(
    session: AsyncSession, event_id: uuid.UUID, registration_id: uuid.UUID, attended: bool
) -> schemas.Registration:
    result = await session.execute(
        update(Registration)
        .where(Registration.id == registration_id, Registration.event_id == event_id)
        .values(attended=attended, version=Registration.version + 1, updated_at=func.now())
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"There is no registration {registration_id}.")
    return await _read(session, registration_id)


async def list_registrations(
    connection: AsyncConnection,
    principal: Principal,
    event_id: uuid.UUID,
    *,
    paging: PageQuery,
) -> Page[schemas.Registration]:
    await get_event(connection, principal, event_id)
    return await paginate(
        connection,
        select(*_COLUMNS).where(Registration.event_id == event_id),
        key=[Registration.created_at, Registration.id],
        paging=paging,
        item=lambda row: _to_registration(row._mapping),
    )


async def export_csv(
    connection: AsyncConnection, principal: Principal, event_id: uuid.UUID
) -> bytes:
    await get_event(connection, principal, event_id)
    rows = await connection.execute(
        select(*_COLUMNS)
        .where(Registration.event_id == event_id)
        .order_by(Registration.created_at, Registration.id)
    )
    registrations = [_to_registration(row._mapping) for row in rows]
    return csv_bytes(
        ["name", "email", "age_band", "status", "waitlist_position", "attended", "registered_at"],
        (
            (
                registration.name,
                registration.email,
                registration.age_band,
                registration.status,
                registration.waitlist_position,
                registration.attended,
                registration.created_at.isoformat(),
            )
            for registration in registrations
        ),
    )
