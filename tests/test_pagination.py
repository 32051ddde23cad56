"""Cursor pagination: tamper-evident, and stable while the list is being written to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from shared.db import libpq_url

SEEDED = {"kosice", "nardo", "varazdin"}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        yield connection
    finally:
        await connection.execute("DELETE FROM transfer.cities WHERE code LIKE 'test-%'")
        await connection.close()


async def add_city(db: asyncpg.Connection, code: str) -> None:
    await db.execute(
        "INSERT INTO transfer.cities (code, name, country, coordinator)"
        " VALUES ($1, $1, 'SI', 'test')",
        code,
    )


class TestCursorPagination:
    async def test_pages_follow_next_cursor_and_link(self, transfer: httpx.AsyncClient) -> None:
        seen: list[str] = []
        url: str | None = "/api/v1/transfer/cities?limit=1"
        pages = 0
        while url is not None:
            response = await transfer.get(url)
            assert response.status_code == 200
            body = response.json()
            seen += [city["code"] for city in body["items"]]
            pages += 1
            if body["next_cursor"] is None:
                assert "link" not in response.headers
                url = None
            else:
                link = response.headers["link"]
                assert link.endswith('rel="next"')
                url = link[1 : link.index(">")]
        assert seen == sorted(SEEDED)
        assert pages == 3

    async def test_writes_while_paging_never_repeat_or_skip_existing_rows(
        self, transfer: httpx.AsyncClient, db: asyncpg.Connection
    ) -> None:
        seen: list[str] = []
        cursor = None
        written = 0
        while True:
            params: dict[str, str | int] = {"limit": 1}
            if cursor:
                params["cursor"] = cursor
            body = (await transfer.get("/api/v1/transfer/cities", params=params)).json()
            seen += [city["code"] for city in body["items"]]
            # Rows appear before and after the reader's position between every page.
            await add_city(db, f"test-a{written}")
            await add_city(db, f"test-z{written}")
            written += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)), "a row was repeated"
        assert set(seen) >= SEEDED, "a row that existed before paging was skipped"

    @pytest.mark.parametrize(
        "cursor",
        ["garbage", "eyJhZnRlciI6WyJhIl19.AAAAAAAAAAAAAAAAAAAAAA", "a.b.c", "." * 10],
    )
    async def test_a_tampered_cursor_is_a_400_problem(
        self, transfer: httpx.AsyncClient, cursor: str
    ) -> None:
        response = await transfer.get("/api/v1/transfer/cities", params={"cursor": cursor})

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_cursor_of_another_list_is_a_400_problem(
        self, transfer: httpx.AsyncClient, participation: httpx.AsyncClient
    ) -> None:
        hubs = (await participation.get("/api/v1/participation/hubs?limit=1")).json()

        response = await transfer.get(
            "/api/v1/transfer/cities", params={"cursor": hubs["next_cursor"]}
        )

        assert response.status_code == 400

    @pytest.mark.parametrize(
        ("source", "target"),
        [
            ("/api/v1/catalog/entries", "/api/v1/participation/events"),
            ("/api/v1/participation/events", "/api/v1/catalog/entries"),
            ("/api/v1/participation/events", "/api/v1/participation/labs"),
            ("/api/v1/participation/labs", "/api/v1/participation/events"),
        ],
    )
    async def test_a_cursor_is_bound_to_its_list(
        self,
        catalog: httpx.AsyncClient,
        participation: httpx.AsyncClient,
        source: str,
        target: str,
    ) -> None:
        """Lists sorted by keys of the same shape once took each other's cursors."""

        def client(path: str) -> httpx.AsyncClient:
            return catalog if path.startswith("/api/v1/catalog") else participation

        first = (await client(source).get(source, params={"limit": 1})).json()
        assert first["next_cursor"] is not None
        own = await client(source).get(source, params={"cursor": first["next_cursor"]})

        foreign = await client(target).get(target, params={"cursor": first["next_cursor"]})

        assert own.status_code == 200
        assert foreign.status_code == 400
        assert foreign.headers["content-type"] == "application/problem+json"
        assert "cursor" in foreign.json()["detail"]
