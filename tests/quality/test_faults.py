"""The guarantees under faults: a service stops, PostgreSQL restarts, a sync loses its database.

These run on a PostgreSQL of their own (the embedded server in a temporary directory), never
on the machine's shared one: they stop it. The services and the gateway run as real
processes on that server, as in production.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from shared.db import libpq_url
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET
from tests.quality.conftest import fresh_database, quality_stack_of, token
from tests.restartable import Database, restartable_database
from tests.stack import Stack, stack_env, start_service, stop, wait_ready

pytestmark = [pytest.mark.faults, pytest.mark.slow]

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    with restartable_database("magnet-faults-") as database:
        yield database


@pytest.fixture(scope="module")
def faults_url(database: Database) -> Iterator[str]:
    yield from fresh_database(database.url)


@pytest.fixture(scope="module")
def faults_stack(faults_url: str) -> Iterator[Stack]:
    yield from quality_stack_of(faults_url)


@pytest.fixture(scope="module")
def admin(faults_stack: Stack) -> dict[str, str]:
    gateway = faults_stack.gateway_url
    return {"Authorization": f"Bearer {token(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)}"}


def assert_clean_problem(response: httpx.Response, statuses: set[int]) -> None:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"] == PROBLEM, response.text
    body = response.json()
    assert body["status"] == response.status_code
    assert "Traceback" not in response.text and "SELECT" not in response.text


class TestServiceDown:
    async def test_the_gateway_answers_503_for_a_stopped_service_and_the_others_stay_up(
        self, faults_stack: Stack, faults_url: str
    ) -> None:
        stack = faults_stack
        env = stack_env(
            faults_url,
            stack.ports,
            secret_key=TEST_SECRET,
            admin_email=ADMIN_EMAIL,
            admin_password=ADMIN_PASSWORD,
        )
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
            stop({"catalog": stack.processes["catalog"]})
            try:
                started = time.monotonic()
                down = await client.get("/api/v1/catalog/taxonomy")
                elapsed = time.monotonic() - started
                assert_clean_problem(down, {503})
                assert elapsed < 2.0, f"the 503 took {elapsed:.2f} s"
                others = await asyncio.gather(
                    *(
                        client.get(path)
                        for path in ["/api/v1/transfer/cities", "/api/v1/participation/hubs"] * 10
                    )
                )
                assert [response.status_code for response in others] == [200] * 20
            finally:
                stack.processes["catalog"] = start_service("catalog", stack.ports["catalog"], env)
                wait_ready(stack.url("catalog"), stack.processes["catalog"])
            assert (await client.get("/api/v1/catalog/taxonomy")).status_code == 200


@dataclass
class Outcomes:
    statuses: list[int] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)


def new_entry() -> dict[str, Any]:
    return {
        "kind": "method",
        "slug": f"fault-{uuid.uuid4().hex[:12]}",
        "title": {"en": "Written while the database restarts"},
        "summary": {"en": "A short summary."},
        "body": {"en": "The body."},
        "innovation_blocks": ["participation"],
        "challenges": ["housing"],
        "cities": ["celje"],
    }


def _clean_unavailable(response: httpx.Response) -> bool:
    return (
        response.status_code in (503, 504)
        and response.headers.get("content-type") == PROBLEM
        and "Traceback" not in response.text
    )


async def _traffic(
    client: httpx.AsyncClient, admin: dict[str, str], until: float, outcomes: Outcomes
) -> None:
    n = 0
    while time.monotonic() < until:
        n += 1
        try:
            if n % 2:
                response = await client.post(
                    "/api/v1/catalog/entries", json=new_entry(), headers=admin
                )
            else:
                response = await client.get("/api/v1/transfer/cities/kosice")
        except httpx.HTTPError as exc:
            outcomes.bad.append(f"transport error {type(exc).__name__}")
            continue
        outcomes.statuses.append(response.status_code)
        if response.status_code == 201:
            outcomes.created.append(response.json()["id"])
        elif response.status_code != 200 and not _clean_unavailable(response):
            outcomes.bad.append(f"{response.status_code} {response.text[:200]}")
        await asyncio.sleep(0.01)


class TestDatabaseRestart:
    async def test_requests_fail_cleanly_the_services_heal_and_no_acknowledged_write_is_lost(
        self, faults_stack: Stack, database: Database, admin: dict[str, str]
    ) -> None:
        stack = faults_stack
        outcomes = Outcomes()
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
            until = time.monotonic() + 8
            traffic = [
                asyncio.create_task(_traffic(client, admin, until, outcomes)) for _ in range(4)
            ]
            await asyncio.sleep(1.5)
            await asyncio.to_thread(database.stop)
            await asyncio.sleep(2)
            await asyncio.to_thread(database.start)
            await asyncio.gather(*traffic)
            assert not outcomes.bad, outcomes.bad
            assert 503 in outcomes.statuses, "the restart was seen"
            assert outcomes.statuses[-8:] == [s for s in outcomes.statuses[-8:] if s < 300], (
                "healed without a restart of the services"
            )
            for entry_id in outcomes.created:
                found = await client.get(f"/api/v1/catalog/entries/{entry_id}", headers=admin)
                assert found.status_code == 200, (entry_id, found.text)


def sync_batch(milestones: int) -> dict[str, Any]:
    plan = f"plan-{uuid.uuid4().hex[:8]}"
    return {
        "plans": [{"external_id": plan, "challenge": "housing", "title": {"en": "P"}}],
        "milestones": [
            {
                "external_id": f"{plan}-m-{n}",
                "plan_external_id": plan,
                "title": {"en": f"Milestone {n}"},
                "due": f"2027-{n % 12 + 1:02d}-15",
            }
            for n in range(milestones)
        ],
    }


async def _new_city(url: str) -> str:
    """A partner city of the test's own (straight into the table, as ops would add one)."""
    code = f"f{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(libpq_url(url))
    try:
        await connection.execute(
            "INSERT INTO transfer.cities (code, name, country, coordinator) "
            "VALUES ($1, $1, 'HR', 'Fault tests')",
            code,
        )
        await connection.execute(
            "INSERT INTO transfer.city_challenges (city_code, challenge, position) "
            "VALUES ($1, 'housing', 0)",
            code,
        )
    finally:
        await connection.close()
    return code


async def _milestones_of(url: str, prefix: str) -> int:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM transfer.milestones WHERE external_id LIKE $1", f"{prefix}-m-%"
        )
        return count
    finally:
        await connection.close()


async def _until_the_service_writes(url: str) -> None:
    """Wait (15 s at most) until the transfer service holds a transaction that has written."""
    connection = await asyncpg.connect(libpq_url(url))
    try:
        for _ in range(7500):  # polled every 2 ms: the batch's transaction lasts far longer
            if await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity "
                "WHERE application_name = 'magnet-transfer' AND backend_xid IS NOT NULL)"
            ):
                return
            await asyncio.sleep(0.002)
        raise AssertionError("the service never started writing the batch")
    finally:
        await connection.close()


class TestSyncInterrupted:
    async def test_a_batch_that_loses_its_database_is_applied_whole_or_not_and_a_replay_finishes(
        self, faults_stack: Stack, faults_url: str, database: Database, admin: dict[str, str]
    ) -> None:
        stack, url = faults_stack, faults_url
        batch = sync_batch(3000)
        plan = batch["plans"][0]["external_id"]
        headers = {**admin, "Idempotency-Key": f"fault-{plan}"}
        path = f"/api/v1/transfer/cities/{await _new_city(url)}/sync"
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as client:
            pushing = asyncio.create_task(client.post(path, json=batch, headers=headers))
            await _until_the_service_writes(url)  # the batch's transaction is under way
            await asyncio.to_thread(database.stop)
            first = await pushing
            await asyncio.to_thread(database.start)
            assert_clean_problem(first, {503, 504})
            assert await _milestones_of(url, plan) == 0, "nothing of a cut batch is applied"
            for _ in range(30):
                replay = await client.post(path, json=batch, headers=headers)
                if replay.status_code not in (409, 503):
                    break
                await asyncio.sleep(0.5)
            assert replay.status_code == 200, replay.text
            assert await _milestones_of(url, plan) == 3000
            again = await client.post(path, json=batch, headers=headers)
            assert again.status_code == 200
            assert again.json() == replay.json()
