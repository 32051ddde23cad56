"""The async engine and the per-request session: one transaction per request.

The session dependency commits when the route returns and rolls back when it raises, before
the response is sent (`scope="function"`), so a client never sees a 2xx for a write that
did not commit. Services only `flush()`. Read-only routes take `ReadConnection`: a pooled
connection in autocommit mode, which skips BEGIN/ROLLBACK round trips on hot read paths.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import Settings


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` as given by ops → the asyncpg dialect URL SQLAlchemy needs."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "sslmode"]
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg", query=urlencode(query)))


def libpq_url(url: str) -> str:
    """The plain `postgresql://…` form asyncpg and libpq tools understand."""
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


class Database:
    """Owns the engine of one service; created in the app's lifespan, disposed at shutdown."""

    def __init__(self, settings: Settings, *, application_name: str) -> None:
        if settings.database_url is None:
            raise RuntimeError("DATABASE_URL is not set")
        self.engine: AsyncEngine = create_async_engine(
            sqlalchemy_url(settings.database_url),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_overflow,
            pool_timeout=5,
            connect_args={
                "timeout": 5,
                "server_settings": {
                    "application_name": application_name,
                    "statement_timeout": str(settings.db_statement_timeout_ms),
                },
            },
        )
        self.read_engine: AsyncEngine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ping(self) -> None:
        async with self.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _database(request).sessionmaker() as session, session.begin():
        yield session


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with _database(request).read_engine.connect() as connection:
        yield connection


Session = Annotated[AsyncSession, Depends(_session, scope="function")]
ReadConnection = Annotated[AsyncConnection, Depends(_read_connection, scope="function")]
