"""`Idempotency-Key`: a retry returns the first answer and creates nothing more."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from shared.auth import Role
from shared.db import libpq_url
from shared.settings import Settings
from tests.participation.conftest import bearer
from tests.participation.test_events import event_body, person

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

    async def test_a_key_past_its_retention_is_forgotten_and_runs_again(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], database_url: str
    ) -> None:
        key = str(uuid.uuid4())
        headers = {**admin, "Idempotency-Key": key}
        first, later = new_user_body(), new_user_body()
        assert (await gateway.post("/api/v1/auth/users", json=first, headers=headers)).is_success
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            await connection.execute(
                "UPDATE identity.idempotency_keys SET created_at = now() - interval '25 hours' "
                "WHERE key = $1",
                key,
            )
            again = await gateway.post("/api/v1/auth/users", json=later, headers=headers)
            kept = await connection.fetchval(
                "SELECT count(*) FROM identity.idempotency_keys "
                "WHERE key = $1 AND created_at > now() - interval '1 hour'",
                key,
            )
        finally:
            await connection.close()

        assert again.status_code == 201, again.text
        assert "idempotent-replayed" not in again.headers
        assert await users_with_email(database_url, later["email"]) == 1
        assert kept == 1  # the expired answer was replaced by the new one

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


class TestAnonymousCallers:
    """Registration is anonymous: a replay never hands one person another's cancel token."""

    async def event_url(self, gateway: httpx.AsyncClient, settings: Settings) -> str:
        event = await gateway.post(
            "/api/v1/participation/events",
            json=event_body(),
            headers=bearer(settings, Role.COORDINATOR),
        )
        assert event.status_code == 201, event.text
        return f"/api/v1/participation/events/{event.json()['id']}/registrations"

    async def test_a_second_caller_with_alices_key_and_body_gets_no_cancel_token(
        self, gateway: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        url = await self.event_url(gateway, settings)
        alice = person(name="Alice Novak")
        key = {"Idempotency-Key": f"registration-{uuid.uuid4().hex[:6]}"}

        first = await gateway.post(url, json=alice, headers=key)
        mallory = await gateway.post(url, json=alice, headers=key)

        assert first.status_code == mallory.status_code == 201, mallory.text
        token = first.json()["cancel_token"]
        assert len(token) >= 32
        assert mallory.headers["idempotent-replayed"] == "true"
        assert mallory.json() == {**first.json(), "cancel_token": None}
        assert token not in mallory.text
        registration = f"{url}/{first.json()['id']}"
        assert (await gateway.get(registration)).status_code == 404
        cancelled = await gateway.delete(registration, headers={"If-Match": '"v1"'})
        assert cancelled.status_code == 404
        mine = await gateway.get(registration, headers={"X-Cancel-Token": token})
        assert mine.status_code == 200
        assert mine.json()["status"] == "confirmed"
        assert token.encode() not in await stored_answers(database_url, key["Idempotency-Key"])

    async def test_anonymous_callers_sharing_a_key_string_do_not_collide(
        self, gateway: httpx.AsyncClient, settings: Settings
    ) -> None:
        url = await self.event_url(gateway, settings)
        key = {"Idempotency-Key": f"registration-{uuid.uuid4().hex[:6]}"}

        alice = await gateway.post(url, json=person(name="Alice"), headers=key)
        bob = await gateway.post(url, json=person(name="Bob"), headers=key)

        assert alice.status_code == bob.status_code == 201, bob.text
        assert "idempotent-replayed" not in bob.headers
        assert bob.json()["id"] != alice.json()["id"]
        assert bob.json()["cancel_token"] not in (None, alice.json()["cancel_token"])


async def stored_answers(database_url: str, key: str) -> bytes:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        rows = await connection.fetch(
            "SELECT body FROM participation.idempotency_keys WHERE key = $1", key
        )
    finally:
        await connection.close()
    assert len(rows) == 1
    return b"".join(row["body"] for row in rows)
