"""Lists of entries: filters, recency order, and cursor pages that never repeat or skip."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from shared.db import libpq_url
from tests.catalog.conftest import EntryFactory, Headers, unique

ENTRIES = "/api/v1/catalog/entries"


async def ids(
    catalog: httpx.AsyncClient, headers: Headers | None = None, **params: Any
) -> list[str]:
    response = await catalog.get(ENTRIES, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


class TestFilters:
    async def test_kind_block_challenge_city_and_lang(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        story = await make_entry(
            "published",
            kind="story",
            cities=[city],
            innovation_blocks=["governance", "creativity"],
            challenges=["mobility"],
            title={"sl": "Zgodba"},
        )
        tool = await make_entry(
            "published",
            kind="tool",
            cities=[city, "kosice"],
            innovation_blocks=["creativity"],
            challenges=["housing", "mobility"],
        )

        assert await ids(catalog, city=city) == [tool["id"], story["id"]]
        assert await ids(catalog, city=city, kind="story") == [story["id"]]
        assert await ids(catalog, city=city, kind=["story", "tool"]) == [tool["id"], story["id"]]
        assert await ids(catalog, city=city, block="governance") == [story["id"]]
        assert await ids(catalog, city=city, block=["creativity", "governance"]) == [story["id"]]
        assert await ids(catalog, city=city, challenge="housing") == [tool["id"]]
        assert await ids(catalog, city=[city, "kosice"]) == [tool["id"]]
        assert await ids(catalog, city=city, lang="sl") == [story["id"]]
        assert await ids(catalog, city=city, lang="en") == [tool["id"]]

    async def test_editors_filter_by_status_and_see_drafts_first_by_creation(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        published = await make_entry("published", cities=[city])
        draft = await make_entry("draft", cities=[city])

        assert await ids(catalog, editor, city=city) == [draft["id"], published["id"]]
        assert await ids(catalog, editor, city=city, status="draft") == [draft["id"]]
        assert await ids(catalog, city=city) == [published["id"]]

    @pytest.mark.parametrize(
        "params",
        [{"kind": "recipe"}, {"status": "gone"}, {"lang": "de"}, {"limit": 0}, {"limit": 101}],
    )
    async def test_invalid_filters_are_422(
        self, catalog: httpx.AsyncClient, params: dict[str, Any]
    ) -> None:
        response = await catalog.get(ENTRIES, params=params)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_tampered_cursor_is_400(self, catalog: httpx.AsyncClient) -> None:
        response = await catalog.get(ENTRIES, params={"cursor": "eyJhZnRlciI6WzFdfQ.AAAA"})
        assert response.status_code == 400


class TestPagingWhileWriting:
    @pytest.mark.parametrize("q", [None, "paging"])
    async def test_pages_never_repeat_or_skip_entries_that_existed(
        self,
        catalog: httpx.AsyncClient,
        make_entry: EntryFactory,
        database_url: str,
        q: str | None,
    ) -> None:
        city = unique("c")
        existing = {
            (await make_entry("published", cities=[city], title={"en": f"Paging {n}"}))["id"]
            for n in range(7)
        }
        connection = await asyncpg.connect(libpq_url(database_url))
        seen: list[str] = []
        cursor = None
        try:
            for round_ in range(20):
                params: dict[str, Any] = {"city": city, "limit": 2}
                if q:
                    params["q"] = q
                if cursor:
                    params["cursor"] = cursor
                response = await catalog.get(ENTRIES, params=params)
                assert response.status_code == 200
                body = response.json()
                seen += [item["id"] for item in body["items"]]
                # New entries land both before and after the reader's position.
                await make_entry("published", cities=[city], title={"en": f"Paging new {round_}"})
                await _insert_published(connection, city, datetime.now(UTC) - timedelta(days=1))
                cursor = body["next_cursor"]
                if cursor is None:
                    break
        finally:
            await connection.close()
        assert len(seen) == len(set(seen)), "an entry was repeated"
        assert existing <= set(seen), "an entry that existed before paging was skipped"

    async def test_pages_follow_the_link_header(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        made = [(await make_entry("published", cities=[city]))["id"] for _ in range(3)]
        url: str | None = f"{ENTRIES}?city={city}&limit=2"
        seen: list[str] = []
        while url:
            response = await catalog.get(url)
            seen += [item["id"] for item in response.json()["items"]]
            link = response.headers.get("link")
            url = link[1 : link.index(">")] if link else None
        assert seen == list(reversed(made))


async def _insert_published(connection: asyncpg.Connection, city: str, when: datetime) -> None:
    await connection.execute(
        "INSERT INTO catalog.entries (id, slug, kind, title, cities, status, published_at,"
        " created_by, updated_by) VALUES ($1, $2, 'story', '{\"en\": \"Paging old\"}', $3,"
        " 'published', $4, 'test', 'test')",
        uuid.uuid4(),
        unique("old-"),
        [city],
        when,
    )
