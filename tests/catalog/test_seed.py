"""The seeded entries other services link to: fixed ids and slugs, published, bilingual."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from services.catalog.seed import seed
from shared.db import sqlalchemy_url
from shared.seeding import seed_id

SEEDED = {
    "reallife-learning-labs": "method",
    "magnet-hub-co-creation-model": "method",
    "innovation-blocks-framework": "tool",
    "opening-site-visit-celje": "story",
    "towns-living-room": "practice",
    "creative-spirits": "practice",
    "citycentredoctor": "practice",
}


class TestSeededEntries:
    @pytest.mark.parametrize(("slug", "kind"), SEEDED.items())
    async def test_published_in_slovenian_and_english_under_a_stable_id(
        self, catalog: httpx.AsyncClient, slug: str, kind: str
    ) -> None:
        response = await catalog.get(f"/api/v1/catalog/entries/{seed_id('entry', slug)}")

        assert response.status_code == 200
        entry = response.json()
        assert (entry["slug"], entry["kind"], entry["status"]) == (slug, kind, "published")
        for field in ("title", "summary", "body"):
            assert {"sl", "en"} <= set(entry[field]), field

    @pytest.mark.parametrize(
        ("slug", "languages"),
        [
            ("opening-site-visit-celje", {"hr", "sk", "it"}),
            ("towns-living-room", {"hr", "sk", "it"}),
            ("citycentredoctor", {"hr", "sk", "it"}),
            ("creative-spirits", {"it"}),
        ],
    )
    async def test_what_the_partner_cities_transfer_is_in_their_languages_too(
        self, catalog: httpx.AsyncClient, slug: str, languages: set[str]
    ) -> None:
        entry = (await catalog.get(f"/api/v1/catalog/entries/{seed_id('entry', slug)}")).json()

        for field in ("title", "summary"):
            assert {"sl", "en", *languages} == set(entry[field]), field

    async def test_a_partner_finds_a_practice_in_its_own_language(
        self, catalog: httpx.AsyncClient
    ) -> None:
        found = await catalog.get("/api/v1/catalog/entries", params={"q": "gradska dnevna soba"})
        first = found.json()["items"][0]
        assert (first["slug"], first["matched_language"]) == ("towns-living-room", "hr")

    async def test_seeding_again_changes_nothing(self, database_url: str) -> None:
        engine = create_async_engine(sqlalchemy_url(database_url))
        try:
            async with engine.begin() as connection:
                seeded = await seed(connection)
            assert (seeded.added, seeded.skipped, seeded.adopted) == ([], [], 0)
        finally:
            await engine.dispose()

    async def test_the_seeds_are_searchable(self, catalog: httpx.AsyncClient) -> None:
        found = await catalog.get("/api/v1/catalog/entries", params={"q": "ucni laboratoriji"})
        slugs = [item["slug"] for item in found.json()["items"]]
        assert slugs[0] == "reallife-learning-labs"
