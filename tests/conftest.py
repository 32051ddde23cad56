"""Test fixtures: a fresh PostgreSQL database per run, built by the migrations.

The server is the one at DATABASE_URL when set, else the embedded one. Each run creates its
own database, migrates and seeds it, and drops it at the end, so nothing is left behind and
runs never share state. Services run in-process over ASGI for most tests; the gateway tests
use the real processes (`magnet serve`), as ops run them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from cli.data import seed_all
from shared.db import libpq_url, with_database
from shared.embedded import EmbeddedPostgres
from shared.migrate import migrate_all
from shared.settings import Environment, Settings
from tests.pgbouncer import ENABLED as PGBOUNCER_TIER
from tests.pgbouncer import pgbouncer, served_url, through_pgbouncer
from tests.stack import Stack, start_stack

# Real receivers of mail and webhooks, and the worker that feeds them.
pytest_plugins = ("tests.receivers",)

TEST_SECRET = "test-only-secret-key-of-at-least-32-characters"
ADMIN_EMAIL = "admin@magnet-celje.si"
ADMIN_PASSWORD = "admin-password-for-tests"


async def _execute(server_url: str, sql: str) -> None:
    connection = await asyncpg.connect(libpq_url(server_url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    embedded = EmbeddedPostgres()
    yield embedded.start()
    embedded.stop()


@pytest.fixture(scope="session", autouse=True)
def pgbouncer_tier(server_url: str) -> Iterator[None]:
    """With MAGNET_TEST_PGBOUNCER set, the services reach the database through PgBouncer in
    transaction mode for the whole session (`tests/pgbouncer.py`)."""
    if not PGBOUNCER_TIER:
        yield
        return
    with pgbouncer(server_url):
        yield


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    name = f"magnet_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_execute(server_url, f'CREATE DATABASE "{name}"'))
    url = with_database(server_url, name)
    try:
        migrate_all(url)
        asyncio.run(seed_all(url, make_settings(url)))
        yield url
    finally:
        asyncio.run(_execute(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_database(server_url: str) -> Iterator[str]:
    """An empty database of a test's own, so `magnet up` migrates and seeds it from nothing."""
    name = f"magnet_up_{uuid.uuid4().hex[:10]}"
    asyncio.run(_execute(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(server_url, name)
    finally:
        asyncio.run(_execute(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": served_url(database_url),
        "db_pgbouncer": through_pgbouncer(),
        "environment": Environment.TEST,
        "secret_key": TEST_SECRET,
        "access_log": False,
        "admin_email": ADMIN_EMAIL,
        "admin_password": ADMIN_PASSWORD,
        # Many apps share one test server (100 connections): small pools that wait, not fail.
        "db_pool_size": 4,
        "db_pool_overflow": 4,
        "db_pool_timeout": 30.0,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@asynccontextmanager
async def asgi_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an app in this process, with its lifespan running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


@pytest.fixture(scope="session")
async def catalog(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from services.catalog.app import create_app

    async with asgi_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
async def participation(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from services.participation.app import create_app

    async with asgi_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
async def transfer(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from services.transfer.app import create_app

    async with asgi_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def stack(database_url: str) -> Iterator[Stack]:
    """The gateway and the three services as real processes on free ports."""
    with start_stack(
        database_url,
        secret_key=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    ) as running:
        yield running


@pytest.fixture(scope="session")
async def gateway(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
async def admin_token(gateway: httpx.AsyncClient) -> str:
    response = await gateway.post(
        "/api/v1/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def admin(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}
