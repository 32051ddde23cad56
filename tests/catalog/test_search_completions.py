"""A prefix is narrowed to its common completions only when they fill the candidate set.

`catalog.common_completions` reads the most common lexemes from the planner's statistics, so
these tests load enough entries for a word to be one of them and ANALYZE the table.
"""

from __future__ import annotations

import random
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from services.catalog.service.ranked import CANDIDATES
from shared.db import libpq_url
from tests.catalog.conftest import EntryFactory, unique

ENTRIES = "/api/v1/catalog/entries"
COMMON = CANDIDATES + 50
TOOLS = 3


@dataclass(frozen=True)
class Loaded:
    city: str
    prefix: str
    common_word: str


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def loaded(connection: asyncpg.Connection) -> AsyncIterator[Loaded]:
    """More entries with one title word than a search ranks; the first few are tools."""
    city = unique("c")
    prefix = "".join(random.choices(string.ascii_lowercase, k=10))
    word = f"{prefix}alpha"
    await connection.execute(
        """
        INSERT INTO catalog.entries (id, slug, kind, title, cities, status, published_at,
                                     created_by, updated_by)
        SELECT gen_random_uuid(), $1 || '-' || n, CASE WHEN n <= $4 THEN 'tool' ELSE 'story' END,
               jsonb_build_object('en', 'Notes on ' || $2), ARRAY[$3], 'published', now(),
               'test', 'test'
        FROM generate_series(1, $5::integer) AS n
        """,
        city,
        word,
        city,
        TOOLS,
        COMMON,
    )
    await connection.execute("ANALYZE catalog.entries")
    try:
        yield Loaded(city, prefix, word)
    finally:
        await connection.execute("DELETE FROM catalog.entries WHERE $1 = ANY(cities)", city)


async def search(catalog: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await catalog.get(ENTRIES, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestSearchQuery:
    async def test_words_are_anded_and_their_forms_kept_once(
        self, connection: asyncpg.Connection
    ) -> None:
        query = await connection.fetchval(
            "SELECT catalog.search_query($1)::text", ["housing", "sta:*", "=stani kosice"]
        )
        assert set(query.split(" & ")) == {
            "( 'hous' | 'housing' )",
            "'sta':*",
            "( 'kosic' | 'kosice' | 'stani' )",
        }


class TestPrefixCompletions:
    async def test_a_common_prefix_is_narrowed_to_its_common_completions(
        self, catalog: httpx.AsyncClient, connection: asyncpg.Connection, loaded: Loaded
    ) -> None:
        completions = await connection.fetchval(
            "SELECT catalog.common_completions($1, 100)", loaded.prefix
        )
        assert completions == [loaded.common_word]

        body = await search(catalog, q=loaded.prefix, city=loaded.city, facets="true")

        assert len(body["items"]) == 20
        assert all(loaded.common_word in item["title"]["en"] for item in body["items"])
        assert all(f"<mark>{loaded.common_word}" in item["snippet"] for item in body["items"])
        assert body["facets"]["complete"] is False
        assert sum(body["facets"]["kind"].values()) == CANDIDATES

    async def test_a_word_only_in_a_body_is_found_when_completions_do_not_fill_the_set(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory, loaded: Loaded
    ) -> None:
        rare = await make_entry(
            "published",
            kind="tool",
            cities=[loaded.city],
            title={"en": "Unrelated"},
            summary={},
            body={"en": f"Only the body says {loaded.prefix}omega."},
        )

        body = await search(catalog, q=loaded.prefix, city=loaded.city, kind="tool")

        found = [item["id"] for item in body["items"]]
        assert len(found) == TOOLS + 1
        assert rare["id"] in found
        assert found[-1] == rare["id"]  # a body-only match ranks below the title matches
