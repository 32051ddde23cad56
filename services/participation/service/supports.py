"""Supports: one active support per resident and proposal, an exact count, a lab's limit.

The unique index on active supports refuses a second one (409), whatever the timing. The
count on the proposal is kept by a trigger under the proposal's row lock. A lab's limit of
supports per resident is checked under the resident's row lock (taken by `contribute`), so
one resident's supports given at once are counted one after another.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.participation.models import Lab
from services.participation.proposal_models import Proposal, Resident, Support
from services.participation.schemas import proposals as schemas
from services.participation.service import residents
from shared.auth import Principal
from shared.problems import Conflict, NotFound
from shared.settings import Settings

SUPPORTABLE = frozenset({"published", "evaluating"})


async def support(
    session: AsyncSession, settings: Settings, proposal_id: uuid.UUID, principal: Principal
) -> schemas.Support:
    residents.require_resident(principal)
    proposal = (
        await session.execute(
            select(Proposal.lab_id, Proposal.state, Lab.supports_per_resident)
            .join(Lab, Lab.id == Proposal.lab_id)
            .where(Proposal.id == proposal_id)
        )
    ).one_or_none()
    if proposal is None or proposal.state == "hidden":
        raise NotFound(f"There is no proposal {proposal_id}.")
    if proposal.state not in SUPPORTABLE:
        raise Conflict(f"A proposal that is {proposal.state} takes no more supports.")
    resident_id = await residents.contribute(session, principal, settings.contributions_per_hour)
    if (limit := proposal.supports_per_resident) is not None:
        given = await session.scalar(
            select(func.count())
            .select_from(Support)
            .join(Proposal, Proposal.id == Support.proposal_id)
            .where(
                Support.resident_id == resident_id,
                Support.withdrawn_at.is_(None),
                Proposal.lab_id == proposal.lab_id,
            )
        )
        if (given or 0) >= limit:
            raise Conflict(f"Each resident supports at most {limit} proposals in this lab.")
    try:
        async with session.begin_nested():
            created_at = await session.scalar(
                insert(Support)
                .values(id=uuid.uuid4(), proposal_id=proposal_id, resident_id=resident_id)
                .returning(Support.created_at)
            )
    except IntegrityError as exc:
        raise Conflict("You support this proposal already.") from exc
    count = await session.scalar(select(Proposal.supports_count).where(Proposal.id == proposal_id))
    assert created_at is not None and count is not None
    return schemas.Support(proposal_id=proposal_id, supports=count, created_at=created_at)


async def withdraw(session: AsyncSession, proposal_id: uuid.UUID, principal: Principal) -> None:
    residents.require_resident(principal)
    mine = select(Resident.id).where(Resident.subject == principal.subject).scalar_subquery()
    withdrawn = await session.execute(
        update(Support)
        .where(
            Support.proposal_id == proposal_id,
            Support.resident_id == mine,
            Support.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=func.clock_timestamp())
    )
    if not getattr(withdrawn, "rowcount", 0):
        raise NotFound("You do not support this proposal.")
