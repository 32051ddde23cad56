"""Writing identity's mails to residents at the time the worker sends them.

The outbox holds only which token or account a mail is about (`residents.queue_*`); the
token itself is derived again here from its id and the server's key, so no usable token is
ever stored. Rows are read as they are when the mail goes out: an account deleted, or a
token used or expired meanwhile, gets nothing (`None`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.mail_texts import HELLO, SIGNATURE, TEXTS
from services.gateway.models import AccountToken, User
from services.gateway.tokens import Topic, token_text
from shared.i18n import LANGUAGES
from shared.mail import Block, Link
from shared.mail import compose as compose_mail

# The web app's pages that take a mailed token and POST it (a link must not change anything
# by being opened: mail scanners open links).
PAGES: dict[str, str] = {
    Topic.VERIFY: "/verify",
    Topic.PASSWORD_RESET: "/password-reset",
    Topic.ALREADY_REGISTERED: "/password-reset",
}


@dataclass(frozen=True)
class Mail:
    recipient: str
    payload: dict[str, Any]


def compose(topic: str, language: str, name: str | None, link: str) -> dict[str, Any]:
    language = language if language in LANGUAGES else "en"
    subject, opening, action, note = TEXTS[topic][language]
    greeting = f"{HELLO[language]} {name}," if name else f"{HELLO[language]},"
    blocks: list[Block] = [opening, Link(action, link), note]
    return compose_mail(
        subject=subject, language=language, greeting=greeting, blocks=blocks, signature=SIGNATURE
    )


async def _token_mail(
    connection: AsyncConnection, topic: str, token_id: uuid.UUID, *, app_url: str, token_key: bytes
) -> Mail | None:
    row = (
        await connection.execute(
            select(User.email, User.name, User.language)
            .join(AccountToken, AccountToken.user_id == User.id)
            .where(
                AccountToken.id == token_id,
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > func.now(),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    link = f"{app_url}{PAGES[topic]}?token={token_text(token_key, token_id)}"
    return Mail(row.email, compose(topic, row.language or "en", row.name, link))


async def _account_mail(
    connection: AsyncConnection, topic: str, user_id: uuid.UUID, language: str, *, app_url: str
) -> Mail | None:
    row = (
        await connection.execute(select(User.email, User.name).where(User.id == user_id))
    ).one_or_none()
    if row is None:
        return None
    return Mail(row.email, compose(topic, language, row.name, f"{app_url}{PAGES[topic]}"))


async def render(
    connection: AsyncConnection,
    topic: str,
    payload: dict[str, Any],
    *,
    app_url: str,
    token_key: bytes,
) -> Mail | None:
    """The mail for a queued message, or None when there is nobody (left) to tell or
    nothing (left) to say."""
    if topic not in TEXTS:
        return None
    if "token_id" in payload:
        return await _token_mail(
            connection, topic, uuid.UUID(payload["token_id"]), app_url=app_url, token_key=token_key
        )
    return await _account_mail(
        connection, topic, uuid.UUID(payload["user_id"]), payload["language"], app_url=app_url
    )
