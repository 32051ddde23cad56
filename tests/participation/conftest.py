"""Fixtures for the participation tests: callers of each role and fresh spaces to book."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from services.participation.app import create_app
from shared.auth import Principal, Role, issue_token
from shared.settings import Settings
from tests.conftest import asgi_client, make_settings
from tests.ports import free_port
from tests.stack import Stack

API = "/api/v1/participation"
EVERY_DAY_8_TO_20 = {
    day: [{"opens": "08:00", "closes": "20:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
Headers = dict[str, str]
SpaceFactory = Callable[..., Awaitable[dict[str, Any]]]


def bearer(settings: Settings, role: Role, subject: str | None = None) -> Headers:
    principal = Principal(subject=subject or f"{role.value}-{uuid.uuid4().hex[:8]}", role=role)
    return {"Authorization": f"Bearer {issue_token(principal, settings)}"}


@pytest.fixture
def coordinator(settings: Settings) -> Headers:
    return bearer(settings, Role.COORDINATOR)


@pytest.fixture
def resident(settings: Settings) -> Headers:
    """Any signed-in user without a managing role."""
    return bearer(settings, Role.EDITOR)


@pytest.fixture
def other_resident(settings: Settings) -> Headers:
    return bearer(settings, Role.EDITOR)


@pytest.fixture(scope="session")
async def celje_hub(participation: httpx.AsyncClient) -> dict[str, Any]:
    hubs = (await participation.get(f"{API}/hubs")).json()["items"]
    hub: dict[str, Any] = next(h for h in hubs if h["slug"] == "magnet-hub-celje")
    return hub


@pytest.fixture
def new_space(
    participation: httpx.AsyncClient, settings: Settings, celje_hub: dict[str, Any]
) -> SpaceFactory:
    """Create a fresh space in the Celje hub, so no test shares a calendar with another."""

    async def create(**fields: Any) -> dict[str, Any]:
        body = {
            "slug": f"test-space-{uuid.uuid4().hex[:10]}",
            "name": {"en": "Test room"},
            "kind": "room",
            "capacity": 10,
            "opening_hours": EVERY_DAY_8_TO_20,
            **fields,
        }
        response = await participation.post(
            f"{API}/hubs/{celje_hub['id']}/spaces",
            json=body,
            headers=bearer(settings, Role.COORDINATOR),
        )
        assert response.status_code == 201, response.text
        space: dict[str, Any] = response.json()
        return space

    return create


@pytest.fixture(scope="session")
async def with_catalog(database_url: str, stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The participation app in this process, talking to the real catalog process."""
    settings = make_settings(database_url, catalog_url=stack.url("catalog"))
    async with asgi_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
async def without_catalog(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The participation app with its catalog peer at a port where nothing listens."""
    settings = make_settings(database_url, catalog_url=f"http://127.0.0.1:{free_port()}")
    async with asgi_client(create_app(settings)) as client:
        yield client
