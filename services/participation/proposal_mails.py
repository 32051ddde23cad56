"""The mail that tells a proposal's author it was answered, written when the worker sends it.

The author's address and language are read from `residents` then: an author who erased
their data meanwhile (or whose token carried no verified email) is not mailed (`None`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation.mail_texts import (
    ANSWERED_TEXTS,
    LABELS,
    PROPOSAL_LINK_LABEL,
    SIGNATURE,
)
from services.participation.proposal_models import Proposal, Resident
from shared.i18n import LANGUAGES, pick
from shared.mail import Block, Link, Quote, compose


async def answered_mail(
    connection: AsyncConnection, payload: dict[str, Any], *, base_url: str
) -> tuple[str, dict[str, Any]] | None:
    """(recipient, mail) for the author of the proposal in `payload`, or None."""
    row = (
        await connection.execute(
            select(
                Proposal.id,
                Proposal.title,
                Proposal.state,
                Proposal.answer,
                Resident.email,
                Resident.language,
            )
            .join(Resident, Resident.id == Proposal.author_id)
            .where(Proposal.id == uuid.UUID(payload["proposal_id"]))
        )
    ).one_or_none()
    if row is None or row.email is None or row.answer is None:
        return None
    language = row.language if row.language in LANGUAGES else "en"
    texts = ANSWERED_TEXTS.get(row.state)
    if texts is None:  # withdrawn or hidden since: the answer no longer stands as sent
        return None
    title = pick(row.title, language)
    subject, opening = (text.format(title=title) for text in texts[language])
    link = f"{base_url}/api/v1/participation/proposals/{row.id}"
    blocks: list[Block] = [
        opening,
        Quote(pick(row.answer, language)),
        Link(PROPOSAL_LINK_LABEL[language], link),
    ]
    payload = compose(
        subject=subject,
        language=language,
        greeting=f"{LABELS[language]['hello']},",
        blocks=blocks,
        signature=SIGNATURE,
    )
    return row.email, payload
