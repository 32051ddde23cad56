"""Text PostgreSQL cannot store (a NUL character) is the caller's mistake: a 422, never a 500.

Found by fuzzing: a NUL in a search filter reached the database and came back as a 500.
"""

from __future__ import annotations

import httpx

from tests.catalog.conftest import Headers, entry_body, unique
from tests.test_problems import assert_problem

ENTRIES = "/api/v1/catalog/entries"


class TestNulCharacters:
    async def test_a_nul_in_a_filter_is_a_422_problem(self, catalog: httpx.AsyncClient) -> None:
        for params in (
            {"city": "celje\x00"},
            {"block": "a\x00b"},
            {"q": "celje", "city": "celje\x00"},
        ):
            body = assert_problem(await catalog.get(ENTRIES, params=params), 422)
            assert "cannot be stored" in str(body["detail"])

    async def test_a_nul_in_the_search_words_separates_words(
        self, catalog: httpx.AsyncClient
    ) -> None:
        response = await catalog.get(ENTRIES, params={"q": "hiša\x00"})
        assert response.status_code == 200, response.text

    async def test_a_nul_in_a_new_entry_is_a_422_and_nothing_is_created(
        self, catalog: httpx.AsyncClient, editor: Headers
    ) -> None:
        slug = unique("nul-")
        new = entry_body(slug=slug, title={"en": "Zero\x00byte"})
        assert_problem(await catalog.post(ENTRIES, json=new, headers=editor), 422)
        missing = await catalog.get(f"{ENTRIES}/{slug}", headers=editor)
        assert missing.status_code == 404
