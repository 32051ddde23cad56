"""A long-lived database through restarts: what people changed in the demo data stays changed.

The real `magnet up` runs on one database; an editor, a coordinator and a partner change,
delete and replace demo rows through the gateway; the stack is stopped and started again,
and the compose seed job's command (`magnet seed`) runs twice. Nothing comes back, nothing
is duplicated, no row differs.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from shared.db import libpq_url
from shared.seeding import seed_id
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.test_cli import MAGNET, start_up, up_env, wait_for_gateway

pytestmark = pytest.mark.slow

EDITED = seed_id("entry", "creative-spirits")
DELETED = seed_id("entry", "citycentredoctor")
WORKSHOP = seed_id("event", "housing-co-creation-workshop")
YOUTH_ROOM = seed_id("space", "minihub-prebold", "youth-room")
PASSWORD = "a-long-enough-password"
# The rows people own once the demo data is in: every one must survive a restart unchanged.
TABLES = (
    "identity.users",
    "catalog.entries",
    "catalog.entry_revisions",
    "participation.hubs",
    "participation.spaces",
    "participation.labs",
    "participation.lab_phases",
    "participation.events",
    "participation.bookings",
    "transfer.cities",
    "transfer.city_challenges",
    "transfer.plans",
    "transfer.milestones",
    "transfer.indicators",
    "transfer.indicator_periods",
)


def snapshot(database_url: str) -> dict[str, str]:
    """Every row of the tables above, as JSON text in a stable order."""

    async def read() -> dict[str, str]:
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            return {
                name: await connection.fetchval(
                    f"SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), "
                    f"'[]')::text FROM {name} t"
                )
                for name in TABLES
            }
        finally:
            await connection.close()

    return asyncio.run(read())


def env_with_admin(database_url: str) -> tuple[dict[str, str], int]:
    env, port = up_env(database_url)
    env["MAGNET_ADMIN_EMAIL"] = ADMIN_EMAIL
    env["MAGNET_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    return env, port


@contextmanager
def magnet_up(database_url: str, log: Path) -> Iterator[httpx.Client]:
    """The real `magnet up`, stopped with SIGTERM at the end; it must stop cleanly."""
    env, port = env_with_admin(database_url)
    process = start_up(env, port, log)
    try:
        wait_for_gateway(process, port, log)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0, log.read_text()


def sign_in(api: httpx.Client, email: str, password: str) -> dict[str, str]:
    answer = api.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def new_user(
    api: httpx.Client, admin: dict[str, str], role: str, city: str | None = None
) -> dict[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@magnet-celje.si"
    created = api.post(
        "/api/v1/auth/users",
        json={"email": email, "password": PASSWORD, "role": role, "city": city},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return sign_in(api, email, PASSWORD)


def patch(api: httpx.Client, path: str, user: dict[str, str], body: dict[str, Any]) -> None:
    etag = api.get(path).headers["ETag"]
    answer = api.patch(path, json=body, headers={**user, "If-Match": etag})
    assert answer.status_code == 200, answer.text


def delete(api: httpx.Client, path: str, user: dict[str, str]) -> None:
    etag = api.get(path, headers=user).headers["ETag"]
    answer = api.delete(path, headers={**user, "If-Match": etag})
    assert answer.status_code == 204, answer.text


def varazdin_plans(api: httpx.Client) -> dict[str, dict[str, Any]]:
    items = api.get("/api/v1/transfer/cities/varazdin/plans").json()["items"]
    return {plan["challenge"]: plan for plan in items}


def live_a_day(api: httpx.Client) -> None:
    """An editor, a coordinator and Varaždin's partner change the demo data as users do."""
    admin = sign_in(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    editor = new_user(api, admin, "editor")
    coordinator = new_user(api, admin, "coordinator")
    partner = new_user(api, admin, "partner", "varazdin")

    patch(api, f"/api/v1/catalog/entries/{EDITED}", editor, {"title": {"en": "Creative Spirits"}})
    delete(api, f"/api/v1/catalog/entries/{DELETED}", editor)
    patch(api, f"/api/v1/participation/events/{WORKSHOP}", coordinator, {"capacity": 24})
    patch(api, f"/api/v1/participation/spaces/{YOUTH_ROOM}", coordinator, {"capacity": 25})

    seeded_housing = varazdin_plans(api)["housing"]
    delete(api, f"/api/v1/transfer/cities/varazdin/plans/{seeded_housing['id']}", partner)
    pushed = api.post(
        "/api/v1/transfer/cities/varazdin/sync",
        headers={**partner, "Idempotency-Key": f"first-sync-{uuid.uuid4().hex}"},
        json={
            "plans": [
                {
                    "external_id": "vz-housing",
                    "challenge": "housing",
                    "title": {"hr": "Priuštivo stanovanje u Varaždinu", "en": "Housing"},
                    "stages": {
                        "understand": {"start": "2026-01-01", "end": "2026-06-30"},
                        "adapt": {"start": "2026-07-01", "end": "2027-03-31"},
                        "reuse": {"start": "2027-04-01", "end": "2027-12-31"},
                    },
                }
            ],
            "milestones": [
                {
                    "external_id": "vz-housing-m1",
                    "plan_external_id": "vz-housing",
                    "title": {"hr": "Lokalni plan prihvaćen"},
                    "due": "2026-06-30",
                }
            ],
        },
    )
    assert pushed.status_code == 200, pushed.text


def what_people_see(api: httpx.Client) -> dict[str, Any]:
    entries = api.get("/api/v1/catalog/entries", params={"limit": 100}).json()["items"]
    return {
        "entries": sorted((entry["slug"], entry["version"]) for entry in entries),
        "edited": api.get(f"/api/v1/catalog/entries/{EDITED}").json()["title"],
        "deleted": api.get(f"/api/v1/catalog/entries/{DELETED}").status_code,
        "workshop": api.get(f"/api/v1/participation/events/{WORKSHOP}").json()["capacity"],
        "youth_room": api.get(f"/api/v1/participation/spaces/{YOUTH_ROOM}").json()["capacity"],
        "varazdin": {
            challenge: (plan["id"], plan["external_id"], plan["version"])
            for challenge, plan in varazdin_plans(api).items()
        },
    }


class TestARestartKeepsWhatPeopleChanged:
    def test_magnet_up_again_and_the_seed_job_twice_change_nothing(
        self, fresh_database: str, tmp_path: Path
    ) -> None:
        with magnet_up(fresh_database, tmp_path / "first.log") as api:
            live_a_day(api)
            seen = what_people_see(api)
        before = snapshot(fresh_database)

        with magnet_up(fresh_database, tmp_path / "second.log") as api:
            seen_after_restart = what_people_see(api)
        after_restart = snapshot(fresh_database)
        env, _ = env_with_admin(fresh_database)
        seed_job = [
            subprocess.run([*MAGNET, "seed"], env=env, capture_output=True, text=True, timeout=120)
            for _ in range(2)
        ]
        after_seed_job = snapshot(fresh_database)

        assert seen["deleted"] == 404
        assert seen["edited"]["en"] == "Creative Spirits"
        assert (seen["workshop"], seen["youth_room"]) == (24, 25)
        assert seen["varazdin"]["housing"][1] == "vz-housing"
        assert len(seen["entries"]) == 6
        assert "added" in (tmp_path / "first.log").read_text()
        second_log = (tmp_path / "second.log").read_text()
        assert "already holds data" in second_log
        assert seen_after_restart == seen
        assert after_restart == before
        for job in seed_job:
            assert job.returncode == 0, job.stderr
            assert "never changed, restored or deleted" in job.stderr
            assert "added 0 demo rows" in job.stderr
        assert after_seed_job == before
