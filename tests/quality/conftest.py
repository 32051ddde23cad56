"""Fixtures of the quality gates: a stack of their own, and the credentials they fuzz with.

Fuzzing writes random data as an admin and a partner, and the fault tests stop services:
both get their own database and their own processes, so nothing they do can change what
the rest of the suite reads.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest

from cli.data import seed_all
from shared.db import with_database
from shared.migrate import migrate_all
from tests.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    TEST_SECRET,
    _execute,
    make_settings,
)
from tests.stack import Stack, start_stack

PARTNER_CITY = "varazdin"
PARTNER_PASSWORD = "partner-password-for-quality-gates"


def fresh_database(server_url: str) -> Iterator[str]:
    name = f"magnet_quality_{uuid.uuid4().hex[:12]}"
    asyncio.run(_execute(server_url, f'CREATE DATABASE "{name}"'))
    url = with_database(server_url, name)
    try:
        migrate_all(url)
        asyncio.run(seed_all(url, make_settings(url)))
        yield url
    finally:
        asyncio.run(_execute(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def quality_database_url(server_url: str) -> Iterator[str]:
    yield from fresh_database(server_url)


def quality_stack_of(database_url: str) -> Iterator[Stack]:
    with start_stack(
        database_url,
        secret_key=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    ) as running:
        yield running


@pytest.fixture(scope="session")
def quality_stack(quality_database_url: str) -> Iterator[Stack]:
    """The gateway and the three services on the quality gates' own database."""
    yield from quality_stack_of(quality_database_url)


def token(gateway_url: str, email: str, password: str) -> str:
    response = httpx.post(
        f"{gateway_url}/api/v1/auth/token",
        data={"username": email, "password": password},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    access_token: str = response.json()["access_token"]
    return access_token


@pytest.fixture(scope="session")
def quality_admin(quality_stack: Stack) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token(quality_stack.gateway_url, ADMIN_EMAIL, ADMIN_PASSWORD)}"
    }


@pytest.fixture(scope="session")
def quality_partner(quality_stack: Stack, quality_admin: dict[str, str]) -> dict[str, str]:
    """A partner user of one city, created through the gateway as a partner's admin would."""
    email = f"partner-{uuid.uuid4().hex[:8]}@{PARTNER_CITY}.example"
    created = httpx.post(
        f"{quality_stack.gateway_url}/api/v1/auth/users",
        json={
            "email": email,
            "password": PARTNER_PASSWORD,
            "role": "partner",
            "city": PARTNER_CITY,
        },
        headers=quality_admin,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {token(quality_stack.gateway_url, email, PARTNER_PASSWORD)}"}
