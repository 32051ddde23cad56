"""Transfer fixtures: throwaway partner cities, credentials per role, a catalog to link to."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Response

from services.transfer.app import create_app
from shared.auth import Principal, Role, issue_token
from shared.db import libpq_url
from shared.settings import Settings
from tests.conftest import asgi_client, make_settings
from tests.ports import free_port
from tests.stack import Stack

KNOWN_PRACTICES = [uuid.UUID(int=index) for index in range(1, 4)]
Headers = Callable[..., dict[str, str]]


def fake_catalog() -> FastAPI:
    """A catalog that knows exactly `KNOWN_PRACTICES`."""
    app = FastAPI()

    @app.get("/api/v1/catalog/entries/{entry_id}")
    async def entry(entry_id: uuid.UUID) -> Response:
        if entry_id in KNOWN_PRACTICES:
            return Response('{"kind": "practice"}', media_type="application/json")
        return Response('{"status": 404}', status_code=404, media_type="application/json")

    return app


@pytest.fixture(scope="session")
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The transfer service in-process, its catalog peer replaced by `fake_catalog`."""
    app = create_app(settings)
    async with asgi_client(app) as client:
        peers = app.state.peers
        await peers.clients["catalog"].aclose()
        peers.clients["catalog"] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake_catalog()), base_url="http://catalog"
        )
        yield client


@pytest.fixture(scope="session")
async def catalog_down(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The transfer service with its catalog on a port where nothing listens."""
    settings = make_settings(database_url, catalog_url=f"http://127.0.0.1:{free_port()}")
    async with asgi_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
async def real_catalog(database_url: str, stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The transfer service in-process, talking to the real catalog process over HTTP."""
    settings = make_settings(database_url, catalog_url=stack.url("catalog"))
    async with asgi_client(create_app(settings)) as client:
        yield client


@pytest.fixture
def as_role(settings: Settings) -> Headers:
    def headers(role: Role, city: str | None = None, subject: str | None = None) -> dict[str, str]:
        principal = Principal(subject=subject or uuid.uuid4().hex, role=role, city=city)
        return {"Authorization": f"Bearer {issue_token(principal, settings)}"}

    return headers


async def make_city(database_url: str, challenges: tuple[str, ...]) -> str:
    code = f"t-{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute(
            "INSERT INTO transfer.cities (code, name, country, coordinator) "
            "VALUES ($1, $2, 'HR', 'A test coordinator')",
            code,
            f"Test {code}",
        )
        await connection.executemany(
            "INSERT INTO transfer.city_challenges (city_code, challenge, position) "
            "VALUES ($1, $2, $3)",
            [(code, challenge, position) for position, challenge in enumerate(challenges)],
        )
    finally:
        await connection.close()
    return code


@pytest.fixture
async def city(database_url: str) -> str:
    """A fresh partner city (so each test owns its plans) adopting three challenges."""
    return await make_city(database_url, ("city-vibe", "housing", "mobility"))


@pytest.fixture
async def other_city(database_url: str) -> str:
    return await make_city(database_url, ("city-vibe", "housing"))


@pytest.fixture
def partner(as_role: Headers, city: str) -> dict[str, str]:
    return as_role(Role.PARTNER, city)


@pytest.fixture
def coordinator(as_role: Headers) -> dict[str, str]:
    return as_role(Role.COORDINATOR)
