"""The mail that tells a proposal's author it was answered, written when the worker sends it.

The author's address and language are read from `residents` then: an author who erased
their data meanwhile (or whose token carried no verified email) is not mailed (`None`).
"""

from __future__ import annotations

import html
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


def _compose(
    language: str, subject: str, opening: str, answer: str, link: str, label: str
) -> dict[str, Any]:
    hello = LABELS[language]["hello"]
    text = "\n".join([f"{hello},", "", opening, "", answer, "", f"{label}: {link}", "", SIGNATURE])
    body_html = (
        f'<!doctype html><html lang="{language}"><body><p>{html.escape(hello)},</p>'
        f"<p>{html.escape(opening)}</p><blockquote>{html.escape(answer)}</blockquote>"
        f'<p><a href="{html.escape(link, quote=True)}">{html.escape(label)}</a></p>'
        f"<p>{html.escape(SIGNATURE)}</p></body></html>"
    )
    return {"subject": subject, "text": text + "\n", "html": body_html, "language": language}


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
    mail = _compose(
        language, subject, opening, pick(row.answer, language), link, PROPOSAL_LINK_LABEL[language]
    )
    return row.email, mail
