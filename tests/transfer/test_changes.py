"""Pull sync: the change feed reproduces the current state and never skips or repeats."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from services.transfer.app import create_app
from services.transfer.service.changes import prune
from shared.auth import Role
from shared.db import libpq_url
from shared.settings import Settings
from tests.conftest import asgi_client
from tests.transfer.conftest import Headers
from tests.transfer.test_plans import BASE
from tests.transfer.test_sync import batch, push

FEED = "/api/v1/transfer/changes"


async def settle(database_url: str) -> None:
    """Wait until every transaction that began before now has ended.

    The feed holds back changes while an older transaction anywhere on the server is still
    running (the test server is shared); once the oldest running transaction is younger
    than a transaction started now, every write made so far is readable.
    """
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        marker = await connection.fetchval("SELECT pg_current_xact_id()::text::bigint")
        older_running = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint <= $1"
        for _ in range(3000):
            if not await connection.fetchval(older_running, marker):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("a transaction on the server stayed open for 30 s")
    finally:
        await connection.close()


async def walk(
    api: httpx.AsyncClient,
    city: str,
    cursor: str | None = None,
    limit: int = 7,
    *,
    database_url: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Every change after `cursor` (all made so far when `database_url` is given)."""
    if database_url is not None:
        await settle(database_url)
    seen: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"city": city, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await api.get(FEED, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            assert cursor is not None
            return seen, cursor


def fold(changes: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Replay changes into the state they describe: (entity, id) → version."""
    state: dict[tuple[str, str], int] = {}
    for change in changes:
        key = (change["entity"], change["id"])
        if change["op"] == "delete":
            state.pop(key, None)
        else:
            state[key] = change["version"]
    return state


async def current_state(api: httpx.AsyncClient, city: str) -> dict[tuple[str, str], int]:
    state: dict[tuple[str, str], int] = {}
    for plan in (await api.get(f"{BASE}/{city}/plans")).json()["items"]:
        state[("plan", plan["id"])] = plan["version"]
        url = f"{BASE}/{city}/plans/{plan['id']}"
        for milestone in (await api.get(f"{url}/milestones", params={"limit": 100})).json()[
            "items"
        ]:
            state[("milestone", milestone["id"])] = milestone["version"]
        for indicator in (await api.get(f"{url}/indicators")).json()["items"]:
            state[("indicator", indicator["id"])] = indicator["version"]
    return state


def plans_and_children(state: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    return {key: version for key, version in state.items() if key[0] not in ("period", "report")}


class TestFollowingTheFeed:
    async def test_from_the_start_it_reproduces_the_current_state(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str], database_url: str
    ) -> None:
        assert (await push(api, city, partner, batch(milestones=5))).status_code == 200
        changed = batch(milestones=3)
        changed["milestones"][0]["status"] = "done"
        changed["indicators"][0]["periods"][0]["actual"] = 12
        assert (await push(api, city, partner, changed)).status_code == 200
        milestones = (await push(api, city, partner, changed)).json()["milestones"]
        gone = await api.delete(
            f"{BASE}/{city}/milestones/{milestones[1]['id']}",
            headers={**partner, "If-Match": '"v1"'},
        )
        assert gone.status_code == 204

        changes, _ = await walk(api, city, database_url=database_url)

        folded = fold(changes)
        assert plans_and_children(folded) == plans_and_children(await current_state(api, city))
        assert ("milestone", milestones[1]["id"]) not in folded
        assert any(c["op"] == "delete" and c["id"] == milestones[1]["id"] for c in changes), (
            "a deletion is a tombstone"
        )
        periods = [key for key in folded if key[0] == "period"]
        assert len(periods) == 1  # replaced periods left tombstones behind

    async def test_resuming_from_a_saved_cursor_returns_only_what_is_new(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str], database_url: str
    ) -> None:
        assert (await push(api, city, partner, batch(milestones=2))).status_code == 200
        _, cursor = await walk(api, city, database_url=database_url)
        nothing, same = await walk(api, city, cursor, database_url=database_url)
        assert nothing == []

        changed = batch(milestones=2)
        changed["milestones"][0]["status"] = "done"
        assert (await push(api, city, partner, changed)).status_code == 200
        new, _ = await walk(api, city, same, database_url=database_url)

        assert [(c["entity"], c["version"], c["data"]["status"]) for c in new] == [
            ("milestone", 2, "done")
        ]

    async def test_a_tampered_or_foreign_cursor_is_a_400(
        self, api: httpx.AsyncClient, city: str, other_city: str
    ) -> None:
        _, cursor = await walk(api, city)
        tampered = await api.get(FEED, params={"city": city, "cursor": cursor[:-2] + "xx"})
        foreign = await api.get(FEED, params={"city": other_city, "cursor": cursor})
        assert tampered.status_code == foreign.status_code == 400


class TestDraftReports:
    async def test_drafts_appear_only_to_credentials_that_may_write_the_city(
        self,
        api: httpx.AsyncClient,
        city: str,
        partner: dict[str, str],
        as_role: Headers,
        database_url: str,
    ) -> None:
        assert (await push(api, city, partner, batch())).status_code == 200
        await settle(database_url)

        async def reports(headers: dict[str, str] | None) -> list[tuple[str, str]]:
            changes, _ = await walk(api, city, headers=headers)
            return [(c["op"], c["data"]["status"]) for c in changes if c["entity"] == "report"]

        assert await reports(None) == []
        assert await reports(as_role(Role.PARTNER, "varazdin")) == []
        assert await reports(as_role(Role.EDITOR)) == []
        assert await reports(partner) == [("upsert", "draft")]
        assert await reports(as_role(Role.COORDINATOR)) == [("upsert", "draft")]

        [plan] = (await api.get(f"{BASE}/{city}/plans")).json()["items"]
        listed = await api.get(f"{BASE}/{city}/plans/{plan['id']}/reports", headers=partner)
        [report] = listed.json()["items"]
        submitted = await api.post(f"{BASE}/{city}/reports/{report['id']}/submit", headers=partner)
        assert submitted.status_code == 200, submitted.text
        await settle(database_url)

        assert await reports(None) == [("upsert", "submitted")]
        assert await reports(partner) == [("upsert", "draft"), ("upsert", "submitted")]


class TestConcurrentWriters:
    async def test_ten_writers_while_reading_nothing_missed_nothing_twice(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str], database_url: str
    ) -> None:
        assert (await push(api, city, partner, batch(milestones=0))).status_code == 200
        _, cursor = await walk(api, city, database_url=database_url)
        plan_id = (await api.get(f"{BASE}/{city}/plans")).json()["items"][0]["id"]
        per_writer = 15
        writing = True
        seen: list[dict[str, Any]] = []

        async def writer(number: int) -> None:
            for index in range(per_writer):
                response = await api.post(
                    f"{BASE}/{city}/plans/{plan_id}/milestones",
                    json={"title": {"en": f"w{number}-{index}"}, "due": "2026-06-30"},
                    headers=partner,
                )
                assert response.status_code == 201

        async def reader() -> None:
            nonlocal cursor
            while writing:
                changes, cursor = await walk(api, city, cursor, limit=5)
                seen.extend(changes)
                await asyncio.sleep(0)

        reading = asyncio.create_task(reader())
        await asyncio.gather(*(writer(number) for number in range(10)))
        writing = False
        await reading
        rest, _ = await walk(api, city, cursor, database_url=database_url)
        seen.extend(rest)

        titles = [c["data"]["title"]["en"] for c in seen if c["entity"] == "milestone"]
        assert len(titles) == len(set(titles)), "nothing twice"
        assert sorted(titles) == sorted(
            f"w{number}-{index}" for number in range(10) for index in range(per_writer)
        ), "nothing missed"


class TestRetention:
    async def test_a_cursor_older_than_the_kept_log_is_a_410_and_the_start_still_works(
        self,
        api: httpx.AsyncClient,
        city: str,
        partner: dict[str, str],
        settings: Settings,
        database_url: str,
    ) -> None:
        first = await push(api, city, partner, batch(milestones=2))
        _, old_cursor = await walk(api, city, database_url=database_url)
        milestone = first.json()["milestones"][0]["id"]
        gone = await api.delete(
            f"{BASE}/{city}/milestones/{milestone}", headers={**partner, "If-Match": '"v1"'}
        )
        assert gone.status_code == 204
        await asyncio.sleep(0.01)

        app = create_app(settings)
        async with (
            asgi_client(app),
            app.state.database.sessionmaker() as session,
            session.begin(),
        ):
            assert await prune(session, retention=timedelta(0)) > 0

        expired = await api.get(FEED, params={"city": city, "cursor": old_cursor})
        assert expired.status_code == 410
        assert expired.json()["resync_from_start"] is True
        assert "start" in expired.json()["detail"]
        changes, _ = await walk(api, city, database_url=database_url)
        assert plans_and_children(fold(changes)) == plans_and_children(
            await current_state(api, city)
        )
        assert ("milestone", milestone) not in fold(changes)
        assert len([c for c in changes if c["entity"] == "milestone"]) == 1
