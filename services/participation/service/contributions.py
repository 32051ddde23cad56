"""A resident's own data and contributions here: to read, and to erase (anonymised)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.participation.proposal_models import Comment, Proposal, Support
from services.participation.schemas import proposals as schemas
from services.participation.service import comments, proposal_reads, residents
from shared.auth import Principal

LIMIT = 1000  # per kind: far more than a person writes; the export stays bounded


async def of(connection: AsyncConnection, principal: Principal) -> schemas.Contributions:
    resident = await residents.find(connection, principal.subject)
    if resident is None:
        return schemas.Contributions(resident=None, proposals=[], comments=[], supports=[])
    proposal_rows = await connection.execute(
        proposal_reads.base(principal)
        .where(Proposal.author_id == resident.id)
        .order_by(Proposal.created_at, Proposal.id)
        .limit(LIMIT)
    )
    comment_rows = await connection.execute(
        comments.base(principal)
        .where(Comment.author_id == resident.id)
        .order_by(Comment.created_at, Comment.id)
        .limit(LIMIT)
    )
    support_rows = await connection.execute(
        select(Support.proposal_id, Proposal.title.label("proposal_title"), Support.created_at)
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(Support.resident_id == resident.id, Support.withdrawn_at.is_(None))
        .order_by(Support.created_at, Support.id)
        .limit(LIMIT)
    )
    convert = comments.to_comment(principal)
    return schemas.Contributions(
        resident=schemas.ResidentData(
            name=resident.name, email=resident.email, language=resident.language
        ),
        proposals=[proposal_reads.to_proposal(row) for row in proposal_rows],
        comments=[convert(row) for row in comment_rows],
        supports=[schemas.SupportGiven.model_validate(row._mapping) for row in support_rows],
    )


async def erase(session: AsyncSession, principal: Principal) -> None:
    await residents.erase(session, principal)
