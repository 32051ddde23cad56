"""Residents as participation knows them: one row of personal data, one quota, one erasure.

A resident's name, verified email and language come from their token (the gateway fills
them); each contribution writes them into `residents`, the one table of this schema that
holds them, so erasing a resident is deleting one row. The same statement counts the
contribution against the resident's hourly quota under the row's lock: exact however
many requests arrive at once, refused (429) without counting, since the request's
transaction then rolls back. It is a quota on contributions written, not a request rate:
reads are not counted, and a contribution that fails for another reason is not either.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Row, case, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.participation.proposal_models import (
    Comment,
    Proposal,
    ProposalRevision,
    Report,
    Resident,
    Support,
)
from shared.auth import Principal, Role
from shared.db import Executor
from shared.problems import Forbidden, TooManyRequests

QUOTA_WINDOW = timedelta(hours=1)
FORMER_RESIDENT = "former-resident"


def actor_of(principal: Principal) -> str:
    return f"{principal.kind}:{principal.subject}"


def require_resident(principal: Principal) -> None:
    if principal.role is not Role.RESIDENT:
        raise Forbidden("Only residents contribute to labs; sign in with a resident account.")


async def contribute(session: AsyncSession, principal: Principal, per_hour: int) -> uuid.UUID:
    """The resident's id, their data brought up to date and this contribution counted."""
    require_resident(principal)
    window_over = Resident.window_started_at <= func.now() - QUOTA_WINDOW
    statement = insert(Resident).values(
        id=uuid.uuid4(),
        subject=principal.subject,
        name=principal.name,
        email=principal.email,
        language=principal.language,
        contributions_in_window=1,
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[Resident.subject],
        set_={
            "name": statement.excluded.name,
            "email": statement.excluded.email,
            "language": statement.excluded.language,
            "updated_at": func.now(),
            "window_started_at": case((window_over, func.now()), else_=Resident.window_started_at),
            "contributions_in_window": case(
                (window_over, literal(1)), else_=Resident.contributions_in_window + 1
            ),
        },
    ).returning(Resident.id, Resident.contributions_in_window, Resident.window_started_at)
    row = (await session.execute(upsert)).one()
    if row.contributions_in_window > per_hour:
        now: datetime = await session.scalar(select(func.now()))  # type: ignore[assignment]
        wait = (row.window_started_at + QUOTA_WINDOW - now).total_seconds()
        raise TooManyRequests(
            f"A resident may contribute {per_hour} times an hour; try again later.",
            headers={"Retry-After": str(max(1, int(wait) + 1))},
        )
    resident_id: uuid.UUID = row.id
    return resident_id


ResidentRow = Row[uuid.UUID, str | None, str | None, str | None]


async def find(connection: Executor, subject: str) -> ResidentRow | None:
    """The resident's id, name, email and language; None when they never contributed."""
    statement = select(Resident.id, Resident.name, Resident.email, Resident.language).where(
        Resident.subject == subject
    )
    return (await connection.execute(statement)).one_or_none()


async def erase(session: AsyncSession, principal: Principal) -> None:
    """Unlink every contribution from the person and forget their data; idempotent."""
    resident_id = await session.scalar(
        select(Resident.id).where(Resident.subject == principal.subject).with_for_update()
    )
    actor = actor_of(principal)
    await session.execute(
        update(Report)
        .where(Report.reporter == actor)
        .values(reporter=func.concat("erased:", Report.id))
    )
    await session.execute(
        update(ProposalRevision)
        .where(ProposalRevision.actor == actor)
        .values(actor=FORMER_RESIDENT)
    )
    if resident_id is None:
        return
    for model, column in (
        (Proposal, Proposal.author_id),
        (Comment, Comment.author_id),
        (Support, Support.resident_id),
    ):
        await session.execute(update(model).where(column == resident_id).values({column: None}))
    await session.execute(delete(Resident).where(Resident.id == resident_id))
