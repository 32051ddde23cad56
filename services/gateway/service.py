"""Identity rules: password login, users with roles, partner cities' API keys.

Passwords are hashed with argon2id (memory-hard) by `passwords.PasswordHashing`, off the
event loop and never while a database connection is held. API keys are random
per key, derived from the server secret and the key id so an idempotent retry can answer
with the same key without it ever being stored: only its SHA-256 is kept (a key has 256
bits of entropy, so a fast hash is enough and keeps every partner request cheap).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Protocol

import httpx
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.gateway import schemas
from services.gateway.models import ApiKey, User
from services.gateway.passwords import PasswordHashing, dummy_hash
from services.gateway.passwords import hash_password as hash_password
from shared.auth import Principal, Role, derive_key
from shared.db import Database, Executor
from shared.etag import require_if_match
from shared.pagination import PageQuery, paginate
from shared.peers import peer_get
from shared.problems import Conflict, NotFound, Unauthorized, UnprocessableContent, ValidationIssue
from shared.settings import Settings

API_KEY_PREFIX = "mgk_"
_RESIDENT_COLUMNS = (User.name, User.email, User.language)


class _ResidentRow(Protocol):
    role: str
    name: str | None
    email: str
    language: str | None


_LOGIN_COLUMNS = (
    User.id,
    User.password_hash,
    User.role,
    User.city,
    User.disabled,
    User.version,
    User.verified_at,
    *_RESIDENT_COLUMNS,
)


def _resident_claims(row: _ResidentRow) -> dict[str, str | None]:
    """A resident's name, verified email and language, carried in their tokens so the
    services can sign and mail what they write; nothing for other roles."""
    if row.role != Role.RESIDENT.value:
        return {}
    return {"name": row.name, "email": row.email, "language": row.language}


async def authenticate(
    database: Database, hashing: PasswordHashing, email: str, password: str, address: str | None
) -> Principal:
    """The principal of a correct email and password, with the account's generation."""
    async with database.read_engine.connect() as connection:
        row = (
            await connection.execute(
                select(*_LOGIN_COLUMNS).where(func.lower(User.email) == email.lower())
            )
        ).one_or_none()
    # The connection is back in the pool before argon2 runs: a flood of logins waits for
    # the hashing threads, never for the connections every other request needs.
    valid = await hashing.verify(
        row.password_hash if row else dummy_hash(), password, address=address
    )
    if row is None or not valid:
        raise Unauthorized("The email or password is not correct.")
    if row.disabled:
        raise Unauthorized("This account is disabled; ask an administrator.")
    if row.role == Role.RESIDENT.value and row.verified_at is None:
        # Said only to whoever knows the password: it tells nobody else the address is known.
        raise Unauthorized(
            "This email address is not verified yet: follow the link in the mail we sent "
            "(or sign up again for a new one)."
        )
    return Principal(
        subject=str(row.id),
        role=Role(row.role),
        city=row.city,
        generation=row.version,
        **_resident_claims(row),
    )


async def resolve_user(connection: AsyncConnection, principal: Principal) -> Principal:
    """The principal of a client token whose account still exists, is enabled and has not
    changed since the token was issued (any change bumps its version); else a 401."""
    row = None
    if (user_id := _uuid_or_none(principal.subject)) is not None:
        row = (
            await connection.execute(
                select(User.role, User.city, *_RESIDENT_COLUMNS).where(
                    User.id == user_id,
                    User.version == principal.generation,
                    User.disabled.is_(False),
                )
            )
        ).one_or_none()
    if row is None:
        raise Unauthorized("The token is no longer valid; log in again.")
    return Principal(
        subject=principal.subject, role=Role(row.role), city=row.city, **_resident_claims(row)
    )


async def check_city(transfer: httpx.AsyncClient, city: str) -> None:
    response = await peer_get(transfer, f"/api/v1/transfer/cities/{city}", "transfer")
    if response.status_code == 404:
        raise UnprocessableContent(
            f"There is no partner city {city!r}.",
            errors=[ValidationIssue(loc=["body", "city"], msg="unknown partner city")],
        )


_USER_COLUMNS = (
    User.id,
    User.email,
    User.role,
    User.city,
    User.disabled,
    User.version,
    User.created_at,
    User.name,
    User.language,
    User.verified_at,
)


async def list_users(connection: AsyncConnection, paging: PageQuery) -> schemas.UserPage:
    page = await paginate(
        connection,
        select(*_USER_COLUMNS),
        key=[User.created_at, User.id],
        paging=paging,
        item=lambda row: schemas.User.model_validate(row._mapping),
    )
    return schemas.UserPage(items=page.items, next_cursor=page.next_cursor)


async def get_user(connection: Executor, user_id: uuid.UUID) -> schemas.User:
    row = (await connection.execute(select(*_USER_COLUMNS).where(User.id == user_id))).one_or_none()
    if row is None:
        raise NotFound(f"There is no user {user_id}.")
    return schemas.User.model_validate(row._mapping)


async def _locked_user(session: AsyncSession, user_id: uuid.UUID) -> schemas.User:
    row = (
        await session.execute(select(*_USER_COLUMNS).where(User.id == user_id).with_for_update())
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no user {user_id}.")
    return schemas.User.model_validate(row._mapping)


def patched_user(current: schemas.User, patch: schemas.UserPatch) -> schemas.User:
    """The user with the patch applied, or the 422 saying which field may not be so."""
    changes = patch.model_dump(exclude_unset=True)
    for name in ("role", "disabled"):
        if name in changes and changes[name] is None:
            raise UnprocessableContent(
                f"A user always has a {name}.",
                errors=[ValidationIssue(loc=["body", name], msg="may not be null")],
            )
    updated = current.model_copy(update=changes)
    if (updated.role is Role.RESIDENT) != (current.role is Role.RESIDENT):
        raise UnprocessableContent(
            "Residents sign up themselves, and a resident's account stays a resident's.",
            errors=[ValidationIssue(loc=["body", "role"], msg="resident role cannot be given")],
        )
    if (updated.role is Role.PARTNER) != (updated.city is not None):
        raise UnprocessableContent(
            "A partner needs a city, and only a partner has one.",
            errors=[ValidationIssue(loc=["body", "city"], msg="only a partner has a city")],
        )
    return updated


def _refuse_locking_oneself_out(acting: Principal, user_id: uuid.UUID) -> None:
    if acting.subject == str(user_id):
        raise Conflict("You cannot disable, demote or delete your own account; ask another admin.")


async def update_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    patch: schemas.UserPatch,
    if_match: str | None,
    *,
    acting: Principal,
) -> schemas.User:
    """The patched user; the version moves, so the tokens they hold stop working."""
    current = await _locked_user(session, user_id)
    require_if_match(if_match, current.version)
    updated = patched_user(current, patch)
    if updated.disabled or updated.role is not Role.ADMIN:
        _refuse_locking_oneself_out(acting, user_id)
    row = (
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(
                role=updated.role.value,
                city=updated.city,
                disabled=updated.disabled,
                version=User.version + 1,
            )
            .returning(*_USER_COLUMNS)
        )
    ).one()
    return schemas.User.model_validate(row._mapping)


async def delete_user(
    session: AsyncSession, user_id: uuid.UUID, if_match: str | None, *, acting: Principal
) -> None:
    current = await _locked_user(session, user_id)
    require_if_match(if_match, current.version)
    _refuse_locking_oneself_out(acting, user_id)
    await session.execute(delete(User).where(User.id == user_id))


async def create_user(
    session: AsyncSession, new: schemas.NewUser, *, password_hash: str
) -> schemas.User:
    row = (
        await session.execute(
            insert(User)
            .values(
                id=uuid.uuid4(),
                email=new.email,
                password_hash=password_hash,
                role=new.role.value,
                city=new.city,
            )
            .on_conflict_do_nothing()
            .returning(*_USER_COLUMNS)
        )
    ).one_or_none()
    if row is None:
        raise Conflict(f"A user with the email {new.email} already exists.")
    return schemas.User.model_validate(row._mapping)


async def ensure_admin(session: AsyncSession, email: str, password: str) -> bool:
    """Create the first admin unless a user with that email exists; True when created."""
    exists = await session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
    if exists is not None:
        return False
    new = schemas.NewUser.model_validate({"email": email, "password": password, "role": Role.ADMIN})
    await create_user(session, new, password_hash=await hash_password(password))
    return True


def api_key_text(settings: Settings, key_id: uuid.UUID) -> str:
    mac = hmac.new(derive_key(settings, "api-key"), key_id.bytes, hashlib.sha256).digest()
    return f"{API_KEY_PREFIX}{key_id.hex}_{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_API_KEY_COLUMNS = (
    ApiKey.id,
    ApiKey.city,
    ApiKey.name,
    ApiKey.version,
    ApiKey.created_at,
    ApiKey.revoked_at,
)


async def create_api_key(
    session: AsyncSession, settings: Settings, new: schemas.NewApiKey, created_by: str
) -> schemas.ApiKeyCreated:
    key_id = uuid.uuid4()
    key = api_key_text(settings, key_id)
    row = (
        await session.execute(
            insert(ApiKey)
            .values(
                id=key_id,
                city=new.city,
                name=new.name,
                key_hash=api_key_hash(key),
                created_by=_uuid_or_none(created_by),
            )
            .returning(*_API_KEY_COLUMNS)
        )
    ).one()
    return schemas.ApiKeyCreated(**row._mapping, key=key)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def get_api_key(connection: Executor, key_id: uuid.UUID) -> schemas.ApiKey:
    row = (
        await connection.execute(select(*_API_KEY_COLUMNS).where(ApiKey.id == key_id))
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no API key {key_id}.")
    return schemas.ApiKey.model_validate(row._mapping)


async def list_api_keys(connection: AsyncConnection) -> list[schemas.ApiKey]:
    rows = await connection.execute(select(*_API_KEY_COLUMNS).order_by(ApiKey.created_at))
    return [schemas.ApiKey.model_validate(row._mapping) for row in rows]


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID, if_match: str | None) -> None:
    """Revoke at once: the gateway looks keys up on every request, nothing caches them."""
    current = (
        await session.execute(
            select(ApiKey.version, ApiKey.revoked_at).where(ApiKey.id == key_id).with_for_update()
        )
    ).one_or_none()
    if current is None:
        raise NotFound(f"There is no API key {key_id}.")
    require_if_match(if_match, current.version)
    if current.revoked_at is None:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .values(revoked_at=func.now(), version=ApiKey.version + 1)
        )


async def resolve_api_key(connection: AsyncConnection, key: str) -> Principal:
    """The principal of a live API key; an unknown or revoked key is a 401."""
    row = (
        await connection.execute(
            select(ApiKey.id, ApiKey.city).where(
                ApiKey.key_hash == api_key_hash(key), ApiKey.revoked_at.is_(None)
            )
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized("The API key is not valid or has been revoked.")
    return Principal(subject=str(row.id), role=Role.PARTNER, city=row.city, kind="api_key")
