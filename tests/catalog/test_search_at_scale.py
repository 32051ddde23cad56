"""Searches matching more entries than they rank, and the shortcut that must not lose one.

A search takes its candidates from a fixed sample of the entries only when the sample
alone holds a full candidate set; these tests load that many entries straight into the
table.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from services.catalog.service.ranked import CANDIDATES
from services.catalog.service.statements import SAMPLE
from shared.db import libpq_url
from tests.catalog.conftest import EntryFactory, unique

ENTRIES = "/api/v1/catalog/entries"
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
async def crowded(connection: asyncpg.Connection) -> AsyncIterator[Loaded]:
    """So many entries with one title word that the sample alone holds a candidate set.

    The first few are tools.
    """
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
        2 * SAMPLE * CANDIDATES,
    )
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
            "SELECT catalog.search_query($1)::text", ["housing", "sta:*", "stani kosice"]
        )
        assert set(query.split(" & ")) == {
            "( 'hous' | 'housing' )",
            "'sta':*",
            "( 'kosic' | 'kosice' | 'stan' | 'stani' )",
        }


class TestSample:
    async def test_a_word_in_very_many_entries_takes_its_candidates_from_the_sample(
        self, catalog: httpx.AsyncClient, connection: asyncpg.Connection, crowded: Loaded
    ) -> None:
        body = await search(catalog, q=crowded.common_word, city=crowded.city, facets="true")

        assert len(body["items"]) == 20
        assert body["facets"]["complete"] is False
        assert sum(body["facets"]["kind"].values()) == CANDIDATES
        ids = [uuid.UUID(item["id"]) for item in body["items"]]
        sampled = await connection.fetchval(
            "SELECT bool_and(uuid_hash(id) % $2 = 0) FROM catalog.entries WHERE id = ANY($1)",
            ids,
            SAMPLE,
        )
        assert sampled is True

    async def test_the_whole_table_is_searched_when_the_sample_holds_too_few(
        self, catalog: httpx.AsyncClient, crowded: Loaded
    ) -> None:
        body = await search(catalog, q=crowded.common_word, city=crowded.city, kind="tool")

        assert len(body["items"]) == TOOLS

    async def test_a_prefix_still_finds_a_word_only_in_a_body(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory, crowded: Loaded
    ) -> None:
        rare = await make_entry(
            "published",
            kind="tool",
            cities=[crowded.city],
            title={"en": "Unrelated"},
            summary={},
            body={"en": f"Only the body says {crowded.prefix}omega."},
        )

        everything = await search(catalog, q=crowded.prefix, city=crowded.city)
        tools = await search(catalog, q=crowded.prefix, city=crowded.city, kind="tool")

        assert len(everything["items"]) == 20
        found = [item["id"] for item in tools["items"]]
        assert len(found) == TOOLS + 1
        assert found[-1] == rare["id"]  # a body-only match ranks below the title matches
