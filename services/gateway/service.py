"""Identity rules: password login, users with roles, partner cities' API keys.

Passwords are hashed with argon2id (memory-hard), off the event loop. API keys are random
per key, derived from the server secret and the key id so an idempotent retry can answer
with the same key without it ever being stored: only its SHA-256 is kept (a key has 256
bits of entropy, so a fast hash is enough and keeps every partner request cheap).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from functools import lru_cache

import httpx
from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.gateway import schemas
from services.gateway.models import ApiKey, User
from shared.auth import Principal, Role, derive_key
from shared.etag import require_if_match
from shared.peers import peer_get
from shared.problems import Conflict, NotFound, Unauthorized, UnprocessableContent, ValidationIssue
from shared.settings import Settings

API_KEY_PREFIX = "mgk_"
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-password-of-anyone")


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(_hasher.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await to_thread.run_sync(verify)


async def authenticate(connection: AsyncConnection, email: str, password: str) -> Principal:
    row = (
        await connection.execute(
            select(User.id, User.password_hash, User.role, User.city).where(
                func.lower(User.email) == email.lower()
            )
        )
    ).one_or_none()
    # Verify against a dummy hash when there is no such user, so timing does not tell.
    valid = await _verify(row.password_hash if row else _dummy_hash(), password)
    if row is None or not valid:
        raise Unauthorized("The email or password is not correct.")
    return Principal(subject=str(row.id), role=Role(row.role), city=row.city)


async def check_city(transfer: httpx.AsyncClient, city: str) -> None:
    response = await peer_get(transfer, f"/api/v1/transfer/cities/{city}", "transfer")
    if response.status_code == 404:
        raise UnprocessableContent(
            f"There is no partner city {city!r}.",
            errors=[ValidationIssue(loc=["body", "city"], msg="unknown partner city")],
        )


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
            .returning(User.id, User.email, User.role, User.city, User.version, User.created_at)
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


async def get_api_key(
    connection: AsyncConnection | AsyncSession, key_id: uuid.UUID
) -> schemas.ApiKey:
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
