"""Demo data and accounts, written straight to the database by ops commands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from cli.database import CommandError
from services.catalog.seed import seed as seed_catalog
from services.gateway import schemas as identity_schemas
from services.gateway import service as identity
from services.gateway.models import SCHEMA as IDENTITY_SCHEMA
from services.participation.seed import seed as seed_participation
from services.transfer import service as transfer
from services.transfer.seed import seed as seed_transfer
from shared.db import sqlalchemy_url
from shared.problems import Problem
from shared.seeding import Seeded, lock_records, record, seed_key, unrecorded
from shared.settings import Settings

SEEDS: dict[str, Callable[[AsyncConnection], Awaitable[Seeded]]] = {
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


@dataclass
class SeedReport:
    """What a seed run did (or, dry, would do) to each schema."""

    schemas: dict[str, Seeded] = field(default_factory=dict)
    admin_created: bool = False

    @property
    def added(self) -> dict[str, int]:
        counts = {name: len(seeded.added) for name, seeded in self.schemas.items()}
        return counts | {"identity": int(self.admin_created)}

    @property
    def fresh(self) -> bool:
        """True when every schema was empty before this run: never seeded, no rows of people's."""
        return all(seeded.fresh for seeded in self.schemas.values())

    def describe(self, *, dry_run: bool = False) -> str:
        added = sum(self.added.values())
        per_schema = ", ".join(f"{name} {count}" for name, count in self.added.items())
        verb = "would add" if dry_run else "added"
        if self.fresh:
            return f"demo data: {verb} {added} rows ({per_schema})"
        skipped = sum(len(seeded.skipped) for seeded in self.schemas.values())
        adopted = sum(seeded.adopted for seeded in self.schemas.values())
        notes = [f"{verb} {added} demo rows it never had before ({per_schema})"]
        if skipped:
            notes.append(f"skipped {skipped} whose place or parent people's data changed")
        if adopted:
            notes.append(f"recorded {adopted} demo rows loaded by an earlier version")
        return (
            "this database already holds data: "
            + "; ".join(notes)
            + "; rows already there are never changed, restored or deleted"
        )


async def seed_all(url: str, settings: Settings, *, dry_run: bool = False) -> SeedReport:
    """Give the database the demo rows it never had, in one transaction; touch nothing else.

    With `dry_run` the transaction is rolled back: the report says what a run would do.
    """
    report = SeedReport()
    engine = create_async_engine(sqlalchemy_url(url))
    try:
        async with AsyncSession(engine) as session, session.begin() as transaction:
            connection = await session.connection()
            for name, seed in SEEDS.items():
                report.schemas[name] = await seed(connection)
            if settings.admin_email and settings.admin_password:
                report.admin_created = await _first_admin_once(
                    session, settings.admin_email, settings.admin_password.get_secret_value()
                )
            if dry_run:
                await transaction.rollback()
    finally:
        await engine.dispose()
    return report


async def _first_admin_once(session: AsyncSession, email: str, password: str) -> bool:
    """The admin from the environment, created once: a deleted one does not come back."""
    connection = await session.connection()
    await lock_records(connection, IDENTITY_SCHEMA)
    key = seed_key("admin", email.lower())
    if not await unrecorded(connection, IDENTITY_SCHEMA, [key]):
        return False
    created = await identity.ensure_admin(session, email, password)
    await record(connection, IDENTITY_SCHEMA, {key: created})
    return created


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
