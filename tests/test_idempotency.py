"""`Idempotency-Key`: a retry returns the first answer and creates nothing more."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from shared.db import libpq_url

pytestmark = pytest.mark.slow


async def users_with_email(database_url: str, email: str) -> int:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM identity.users WHERE lower(email) = lower($1)", email
        )
        return count
    finally:
        await connection.close()


def new_user_body() -> dict[str, str]:
    return {
        "email": f"idem-{uuid.uuid4().hex[:8]}@magnet-celje.si",
        "password": "a-long-enough-password",
        "role": "editor",
    }


class TestIdempotencyKey:
    async def test_a_retry_returns_the_first_answer_and_creates_nothing(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], database_url: str
    ) -> None:
        body = new_user_body()
        headers = {**admin, "Idempotency-Key": str(uuid.uuid4())}

        first = await gateway.post("/api/v1/auth/users", json=body, headers=headers)
        retry = await gateway.post("/api/v1/auth/users", json=body, headers=headers)

        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        assert await users_with_email(database_url, body["email"]) == 1

    async def test_the_same_key_with_another_body_is_a_422(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], database_url: str
    ) -> None:
        headers = {**admin, "Idempotency-Key": str(uuid.uuid4())}
        first, other = new_user_body(), new_user_body()

        assert (await gateway.post("/api/v1/auth/users", json=first, headers=headers)).is_success
        reused = await gateway.post("/api/v1/auth/users", json=other, headers=headers)

        assert reused.status_code == 422
        assert reused.headers["content-type"] == "application/problem+json"
        assert await users_with_email(database_url, other["email"]) == 0

    async def test_concurrent_retries_create_exactly_one(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], database_url: str
    ) -> None:
        body = new_user_body()
        headers = {**admin, "Idempotency-Key": str(uuid.uuid4())}

        responses = await asyncio.gather(
            *(gateway.post("/api/v1/auth/users", json=body, headers=headers) for _ in range(6))
        )

        statuses = [response.status_code for response in responses]
        assert set(statuses) <= {201, 409}, statuses
        created = [response.json() for response in responses if response.status_code == 201]
        assert created and all(answer == created[0] for answer in created)
        assert await users_with_email(database_url, body["email"]) == 1

    async def test_a_failed_request_keeps_no_key(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], database_url: str
    ) -> None:
        headers = {**admin, "Idempotency-Key": str(uuid.uuid4())}
        body = {**new_user_body(), "role": "partner", "city": "atlantis"}

        failed = await gateway.post("/api/v1/auth/users", json=body, headers=headers)
        fixed = {**body, "city": "kosice"}
        retried = await gateway.post("/api/v1/auth/users", json=fixed, headers=headers)

        assert failed.status_code == 422
        assert retried.status_code == 201

    async def test_a_replayed_api_key_is_the_same_working_key(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], database_url: str
    ) -> None:
        headers = {**admin, "Idempotency-Key": str(uuid.uuid4())}
        body = {"city": "varazdin", "name": "Varaždin reporting"}

        first = await gateway.post("/api/v1/auth/api-keys", json=body, headers=headers)
        retry = await gateway.post("/api/v1/auth/api-keys", json=body, headers=headers)

        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            stored = await connection.fetch(
                "SELECT body FROM identity.idempotency_keys WHERE key = $1",
                headers["Idempotency-Key"],
            )
        finally:
            await connection.close()
        assert len(stored) == 1
        assert first.json()["key"].encode() not in stored[0]["body"]
        me = await gateway.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {retry.json()['key']}"}
        )
        assert me.json()["city"] == "varazdin"
