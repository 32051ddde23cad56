"""Mail to residents about their proposals, queued in the outbox with the change.

Only a resident whose token carried a verified email has one in `residents`: nobody else
is ever mailed. The worker writes the mail when it sends it, from the rows as they are
then (`services.participation.proposal_mails`): an author erased meanwhile gets nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.participation.proposal_models import Resident
from services.participation.service.notices import SCHEMA, new_message_id
from shared.outbox import Kind, enqueue

ANSWERED = "proposal.answered"


async def answered(session: AsyncSession, proposal_id: uuid.UUID, author_id: uuid.UUID) -> None:
    email = await session.scalar(select(Resident.email).where(Resident.id == author_id))
    if email is None:
        return
    await enqueue(
        session,
        SCHEMA,
        kind=Kind.MAIL,
        topic=ANSWERED,
        target=f"proposal:{proposal_id}",
        payload={"proposal_id": str(proposal_id)},
        message_id=new_message_id(),
    )
