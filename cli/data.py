"""Demo data and accounts, written straight to the database by ops commands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from cli.database import CommandError
from services.catalog.seed import seed as seed_catalog
from services.gateway import schemas as identity_schemas
from services.gateway import service as identity
from services.participation.seed import seed as seed_participation
from services.transfer import service as transfer
from services.transfer.seed import seed as seed_transfer
from shared.db import sqlalchemy_url
from shared.problems import Problem
from shared.settings import Settings

SEEDS: dict[str, Callable[[AsyncConnection], Awaitable[int]]] = {
    "catalog": seed_catalog,
    "participation": seed_participation,
    "transfer": seed_transfer,
}


@asynccontextmanager
async def _session(url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(sqlalchemy_url(url))
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            yield session
    finally:
        await engine.dispose()


async def seed_all(url: str, settings: Settings) -> dict[str, int]:
    """Load the demo data of every service; a second run changes nothing."""
    changed: dict[str, int] = {}
    async with _session(url) as session:
        connection = await session.connection()
        for name, seed in SEEDS.items():
            changed[name] = await seed(connection)
        if settings.admin_email and settings.admin_password:
            created = await identity.ensure_admin(
                session, settings.admin_email, settings.admin_password.get_secret_value()
            )
            changed["identity"] = int(created)
    return changed


async def _require_city(session: AsyncSession, city: str) -> None:
    if not await transfer.city_exists(await session.connection(), city):
        raise CommandError(f"there is no partner city {city!r}")


async def create_user(
    url: str, email: str, password: str, role: str, city: str | None
) -> identity_schemas.User:
    try:
        new = identity_schemas.NewUser.model_validate(
            {"email": email, "password": password, "role": role, "city": city}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "input"
        raise CommandError(f"{field}: {first['msg']}") from exc
    async with _session(url) as session:
        if new.city is not None:
            await _require_city(session, new.city)
        try:
            return await identity.create_user(
                session, new, password_hash=await identity.hash_password(password)
            )
        except Problem as exc:
            raise CommandError(exc.detail or exc.title) from exc


async def create_api_key(
    url: str, settings: Settings, city: str, name: str
) -> identity_schemas.ApiKeyCreated:
    new = identity_schemas.NewApiKey(city=city, name=name)
    async with _session(url) as session:
        await _require_city(session, city)
        return await identity.create_api_key(session, settings, new, created_by="cli")
