"""Residents' own accounts: sign-up with a verified address, password reset, export, deletion.

Sign-up and reset answer the same whatever the address (no account enumeration): a
resident's address that has an account gets a mail saying so instead of a second account
(a staff address gets nothing: staff accounts are an admin's to manage), and only a
resident's verified address is mailed a reset link. An account signed up again before it
was verified takes the latest details, and earlier verification links stop working, so the
link that activates an account is always the one from the sign-up whose password it has.

A reset password bumps the account's version: every token issued before is refused at
once (as when an admin changes a user). Deleting an account first has the participation
service anonymise the resident's contributions, then deletes the account in one
transaction; if participation cannot do its part, nothing is deleted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.gateway import schemas
from services.gateway.http1 import UpstreamError
from services.gateway.models import SCHEMA, AccountToken, User
from services.gateway.tokens import Purpose, Topic, issue, use, void
from services.gateway.upstreams import Upstream
from shared.auth import FORWARDED_TOKEN_TTL_SECONDS, Principal, Role, issue_token
from shared.etag import require_if_match
from shared.outbox import Kind, enqueue, outbox_table
from shared.peers import raw_tracing_headers
from shared.problems import BadRequest, NotFound, Problem, ServiceUnavailable
from shared.settings import Settings

MAIL_DOMAIN = "magnet-celje.si"
# A sign-up never verified is forgotten this long after it was made, once no verification
# link of it still works: the address may have been typed by someone else.
UNVERIFIED_KEPT = timedelta(days=7)
# Used and expired tokens are kept a day, for the record of what happened to a link.
SPENT_TOKENS_KEPT = timedelta(days=1)
CONTRIBUTIONS = "/api/v1/participation/me/contributions"
ACCEPTED_SIGN_UP = (
    "If this address can receive mail, a message is on its way to it: follow its link to "
    "activate your account."
)
ACCEPTED_RESET = (
    "If this address belongs to a verified account, a link to choose a new password is on "
    "its way to it."
)


def _target(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


async def _queue(
    session: AsyncSession, user_id: uuid.UUID, topic: Topic, payload: dict[str, str]
) -> None:
    await enqueue(
        session,
        SCHEMA,
        kind=Kind.MAIL,
        topic=topic.value,
        target=_target(user_id),
        payload=payload,
        message_id=f"<{uuid.uuid4()}@{MAIL_DOMAIN}>",
    )


async def _mail_token(
    session: AsyncSession, key: bytes, user_id: uuid.UUID, purpose: Purpose, topic: Topic
) -> None:
    token_id = await issue(session, key, user_id, purpose)
    await _queue(session, user_id, topic, {"token_id": str(token_id)})


async def sign_up(
    session: AsyncSession, new: schemas.NewResident, *, password_hash: str, key: bytes
) -> None:
    """Create an inactive resident and mail them a verification link (see the module)."""
    existing = (
        await session.execute(
            select(User.id, User.role, User.verified_at, User.disabled)
            .where(func.lower(User.email) == new.email.lower())
            .with_for_update()
        )
    ).one_or_none()
    details = {"password_hash": password_hash, "name": new.name, "language": new.language.value}
    if existing is None:
        user_id = uuid.uuid4()
        created = await session.scalar(
            insert(User)
            .values(id=user_id, email=new.email, role=Role.RESIDENT.value, **details)
            .on_conflict_do_nothing()
            .returning(User.id)
        )
        if created is not None:  # else the same address signed up at this very moment
            await _mail_token(session, key, user_id, Purpose.VERIFY, Topic.VERIFY)
        return
    if existing.disabled or existing.role != Role.RESIDENT.value:
        return  # staff reset nothing here: their accounts are an admin's to manage
    if existing.verified_at is None:
        await session.execute(
            update(User).where(User.id == existing.id).values(version=User.version + 1, **details)
        )
        await void(session, existing.id, Purpose.VERIFY)
        await _mail_token(session, key, existing.id, Purpose.VERIFY, Topic.VERIFY)
        return
    await _queue(
        session,
        existing.id,
        Topic.ALREADY_REGISTERED,
        {"user_id": str(existing.id), "language": new.language.value},
    )


def _invalid_link(what: str) -> BadRequest:
    return BadRequest(
        f"This {what} link is not valid: it was used already, has expired or was never "
        "issued. Ask for a new one."
    )


async def verify(session: AsyncSession, token: str) -> None:
    user_id = await use(session, token, Purpose.VERIFY)
    if user_id is None:
        raise _invalid_link("verification")
    await session.execute(
        update(User)
        .where(User.id == user_id, User.verified_at.is_(None))
        .values(verified_at=func.now())
    )


async def request_reset(session: AsyncSession, email: str, *, key: bytes) -> None:
    user_id = await session.scalar(
        select(User.id).where(
            func.lower(User.email) == email.lower(),
            User.role == Role.RESIDENT.value,
            User.verified_at.is_not(None),
            User.disabled.is_(False),
        )
    )
    if user_id is not None:
        await _mail_token(session, key, user_id, Purpose.RESET, Topic.PASSWORD_RESET)


def refuse_reset_link() -> BadRequest:
    return _invalid_link("password reset")


async def reset_password(session: AsyncSession, token: str, *, password_hash: str) -> None:
    """The new password; tokens issued before are refused from now on, as are other links."""
    user_id = await use(session, token, Purpose.RESET)
    if user_id is None:
        raise refuse_reset_link()
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=password_hash, version=User.version + 1)
    )


_ACCOUNT_COLUMNS = (
    User.id,
    User.email,
    User.name,
    User.language,
    User.role,
    User.version,
    User.created_at,
    User.verified_at,
)


async def account(connection: AsyncConnection, principal: Principal) -> schemas.ResidentAccount:
    row = (
        await connection.execute(
            select(*_ACCOUNT_COLUMNS).where(
                User.id == _user_id(principal), User.role == Role.RESIDENT.value
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("There is no such resident account.")
    return schemas.ResidentAccount.model_validate(row._mapping)


def _user_id(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        raise NotFound("There is no such resident account.") from None


async def _ask_participation(
    participation: Upstream, method: str, authorization: str, failure: str
) -> tuple[int, bytes]:
    """Call participation's `/me/contributions` as the resident; any failure is a 503."""
    headers = [(b"authorization", authorization.encode("latin-1")), *raw_tracing_headers()]
    try:
        answer = await participation.request(method, CONTRIBUTIONS, headers=headers)
        body = await answer.read()
    except (Problem, UpstreamError, TimeoutError) as exc:
        raise ServiceUnavailable(
            f"{failure}: the participation service is unavailable. Retry in a moment.",
            headers={"Retry-After": "5"},
        ) from exc
    return answer.status, body


async def export(
    own: schemas.ResidentAccount, participation: Upstream, authorization: str
) -> schemas.ResidentExport:
    """The account's fields and everything the resident contributed to labs."""
    failure = "Your contributions could not be read"
    status, body = await _ask_participation(participation, "GET", authorization, failure)
    if status != 200:
        raise ServiceUnavailable(
            f"{failure}: the participation service answered {status}.",
            headers={"Retry-After": "5"},
        )
    try:
        contributions = schemas.Contributions.model_validate_json(body)
    except ValueError as exc:
        raise ServiceUnavailable(
            f"{failure}: the participation service's answer was not usable."
        ) from exc
    return schemas.ResidentExport(
        account=own, contributions=contributions, exported_at=datetime.now(UTC)
    )


async def check_deletion(
    connection: AsyncConnection, principal: Principal, if_match: str | None
) -> None:
    """Before anything is asked of participation: the account is there, the ETag current."""
    require_if_match(if_match, (await account(connection, principal)).version)


def acting_for(user: schemas.User, settings: Settings) -> str:
    """The `Authorization` of a short-lived service token of a resident, for an admin who
    deletes their account: participation anonymises what that resident wrote."""
    principal = Principal(
        subject=str(user.id),
        role=Role.RESIDENT,
        name=user.name,
        email=user.email,
        language=user.language.value if user.language else None,
    )
    return f"Bearer {issue_token(principal, settings, FORWARDED_TOKEN_TTL_SECONDS)}"


async def anonymise_contributions(participation: Upstream, authorization: str) -> None:
    failure = "Your contributions could not be anonymised, so nothing was deleted"
    status, _ = await _ask_participation(participation, "DELETE", authorization, failure)
    if status not in (200, 204):
        raise ServiceUnavailable(
            f"{failure}: the participation service answered {status}.",
            headers={"Retry-After": "5"},
        )


async def delete_account(session: AsyncSession, principal: Principal, if_match: str | None) -> None:
    """Delete the account, its tokens and its queued mail, in the caller's transaction."""
    user_id = _user_id(principal)
    version = await session.scalar(
        select(User.version)
        .where(User.id == user_id, User.role == Role.RESIDENT.value)
        .with_for_update()
    )
    if version is None:
        raise NotFound("There is no such resident account.")
    require_if_match(if_match, version)
    outbox = outbox_table(SCHEMA)
    await session.execute(delete(outbox).where(outbox.c.target == _target(user_id)))
    await session.execute(delete(User).where(User.id == user_id))


async def forget_unverified(session: AsyncSession) -> int:
    """Delete sign-ups never verified (and their queued mail), and spent tokens; the number
    of accounts deleted. Run by the worker's schedule."""
    live_link = exists().where(
        AccountToken.user_id == User.id,
        AccountToken.purpose == Purpose.VERIFY.value,
        AccountToken.expires_at > func.now(),
    )
    forgotten = list(
        await session.scalars(
            delete(User)
            .where(
                User.role == Role.RESIDENT.value,
                User.verified_at.is_(None),
                User.created_at < func.now() - UNVERIFIED_KEPT,
                ~live_link,
            )
            .returning(User.id)
        )
    )
    outbox = outbox_table(SCHEMA)
    if forgotten:
        targets = [_target(user_id) for user_id in forgotten]
        await session.execute(delete(outbox).where(outbox.c.target.in_(targets)))
    await session.execute(
        delete(AccountToken).where(AccountToken.expires_at < func.now() - SPENT_TOKENS_KEPT)
    )
    return len(forgotten)
