"""One-time tokens mailed to residents: to verify their address, to reset their password.

A token is the HMAC of its row's random id under a key derived from the server secret, so
it can be written into the mail when the worker sends it without ever being stored: the
row keeps only the token's SHA-256 (a token has 256 bits, a fast hash is enough). A token
is used by one `UPDATE … WHERE used_at IS NULL AND expires_at > now()`: of two requests
with the same token, exactly one succeeds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.gateway.models import AccountToken, User
from shared.auth import derive_key
from shared.settings import Settings

KEY_PURPOSE = "account-token"


class Purpose(StrEnum):
    VERIFY = "verify"
    RESET = "reset"


LIFETIMES = {Purpose.VERIFY: timedelta(hours=48), Purpose.RESET: timedelta(hours=1)}


class Topic(StrEnum):
    VERIFY = "resident.verify"
    PASSWORD_RESET = "resident.password-reset"  # noqa: S105 (a mail topic)
    ALREADY_REGISTERED = "resident.already-registered"


def token_key(settings: Settings) -> bytes:
    return derive_key(settings, KEY_PURPOSE)


def token_text(key: bytes, token_id: uuid.UUID) -> str:
    mac = hmac.new(key, token_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    session: AsyncSession, key: bytes, user_id: uuid.UUID, purpose: Purpose
) -> uuid.UUID:
    """A new token for the account; its id is what the mail is queued with."""
    token_id = uuid.uuid4()
    await session.execute(
        insert(AccountToken).values(
            id=token_id,
            user_id=user_id,
            purpose=purpose.value,
            token_hash=token_digest(token_text(key, token_id)),
            expires_at=func.now() + LIFETIMES[purpose],
        )
    )
    return token_id


def _live(token: str, purpose: Purpose) -> list[ColumnElement[bool]]:
    return [
        AccountToken.token_hash == token_digest(token),
        AccountToken.purpose == purpose.value,
        AccountToken.used_at.is_(None),
        AccountToken.expires_at > func.now(),
    ]


async def holder(connection: AsyncConnection, token: str, purpose: Purpose) -> uuid.UUID | None:
    """The account a live token belongs to, without using it."""
    found: uuid.UUID | None = await connection.scalar(
        select(AccountToken.user_id).where(*_live(token, purpose))
    )
    return found


async def use(session: AsyncSession, token: str, purpose: Purpose) -> uuid.UUID | None:
    """Use a live token once: the account it belongs to, or None (unknown, expired, used).
    Every other live token of the account for the same purpose is void from now on.

    The account's row is locked before its tokens, as every other change to an account
    does (a sign-up again, a deletion): one order of locks, so no deadlock."""
    holder_id = await holder(await session.connection(), token, purpose)
    if holder_id is None:
        return None
    await session.execute(select(User.id).where(User.id == holder_id).with_for_update())
    user_id: uuid.UUID | None = await session.scalar(
        update(AccountToken)
        .where(*_live(token, purpose))
        .values(used_at=func.now())
        .returning(AccountToken.user_id)
    )
    if user_id is not None:
        await void(session, user_id, purpose)
    return user_id


async def void(session: AsyncSession, user_id: uuid.UUID, purpose: Purpose) -> None:
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose.value,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=func.now())
    )
