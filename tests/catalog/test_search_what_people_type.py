"""Search finds what people type: the names of an entry's tags, and a typo in any word.

An entry written in English, tagged `housing` and Varaždin, whose text names neither in
another language, must be found by `stanovanja`, `Varaždin` and their misspellings.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import asyncpg
import httpx
import pytest

from shared.db import libpq_url
from tests.catalog.conftest import EntryFactory, unique

ENTRIES = "/api/v1/catalog/entries"


async def found_ids(catalog: httpx.AsyncClient, q: str, city: str) -> list[str]:
    response = await catalog.get(ENTRIES, params={"q": q, "city": city})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
async def kitchen(make_entry: EntryFactory) -> dict[str, Any]:
    """An English entry tagged with housing and Varaždin, naming neither in its text."""
    return await make_entry(
        "published",
        title={"en": "Community kitchen"},
        summary={"en": "Neighbours cook together once a week."},
        body={"en": "A cooperative greenhouse supplies the kitchen, somewhere in Croatia."},
        innovation_blocks=["participation"],
        challenges=["housing"],
        cities=[unique("c"), "varazdin"],
    )


class TestTagNamesAreSearchable:
    @pytest.mark.parametrize(
        "q",
        ["Varaždin", "varazdin", "VARAŽDIN", "stanovanja", "housing", "Dostopna stanovanja"],
    )
    async def test_a_tag_is_found_by_its_name(
        self, catalog: httpx.AsyncClient, kitchen: dict[str, Any], q: str
    ) -> None:
        assert await found_ids(catalog, q, kitchen["cities"][0]) == [kitchen["id"]]

    async def test_every_label_in_every_language_finds_it(
        self, catalog: httpx.AsyncClient, kitchen: dict[str, Any]
    ) -> None:
        taxonomy = (await catalog.get("/api/v1/catalog/taxonomy")).json()
        labels = [
            label
            for group in ("innovation_blocks", "challenges")
            for term in taxonomy[group]
            if term["code"] in ("participation", "housing")
            for label in term["label"].values()
        ]
        assert len(labels) == 10
        for label in labels:
            response = await catalog.get(ENTRIES, params={"q": label, "city": kitchen["cities"][0]})
            items = response.json()["items"]
            assert [item["id"] for item in items] == [kitchen["id"]], label
            # Found by a tag only, it still shows in its own language.
            assert items[0]["matched_language"] == "en", label

    async def test_other_tags_do_not_find_it(
        self, catalog: httpx.AsyncClient, kitchen: dict[str, Any]
    ) -> None:
        for q in ("Košice", "mobilnost", "Upravljanje", "Nardò"):
            assert await found_ids(catalog, q, kitchen["cities"][0]) == [], q

    async def test_a_city_without_a_name_is_found_by_its_code_words(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        code = f"novo-mesto-{unique('m')}"
        entry = await make_entry("published", cities=[code])
        assert await found_ids(catalog, "novo mesto", code) == [entry["id"]]

    async def test_a_renamed_city_is_found_by_its_new_name(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory, database_url: str
    ) -> None:
        code = unique("city")
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            await connection.execute(
                "INSERT INTO catalog.cities (code, label) VALUES ($1, $2::jsonb)",
                code,
                json.dumps({"sl": "Ptuj", "it": "Petovio"}),
            )
            entry = await make_entry("published", cities=[code])
            assert await found_ids(catalog, "Petovio", code) == [entry["id"]]
            await connection.execute(
                "UPDATE catalog.cities SET label = $2::jsonb WHERE code = $1",
                code,
                json.dumps({"sl": "Ptuj", "it": "Pettau"}),
            )
            assert await found_ids(catalog, "Pettau", code) == [entry["id"]]
            assert await found_ids(catalog, "Petovio", code) == []
        finally:
            await connection.execute("DELETE FROM catalog.cities WHERE code = $1", code)
            await connection.close()


class TestTyposInAnyWord:
    @pytest.mark.parametrize(
        "q",
        [
            "stanovnja",  # a letter left out of a tag's Slovenian name
            "hausing",  # a letter swapped for another: 0.45 by trigrams alone
            "housng",
            "Varaždn",
            "varazdn",
            "cooprative",  # a word of the body only
            "greenhose",
            "comunity kitchn",  # every word of the query
            "hausing varazdn",
            "kichen",
        ],
    )
    async def test_one_typo_per_word_still_finds_it(
        self, catalog: httpx.AsyncClient, kitchen: dict[str, Any], q: str
    ) -> None:
        assert await found_ids(catalog, q, kitchen["cities"][0]) == [kitchen["id"]]

    async def test_typos_find_nothing_when_nothing_is_near(
        self, catalog: httpx.AsyncClient, kitchen: dict[str, Any]
    ) -> None:
        for q in ("hxxxxng", "kitchen zzqqxx", "qwertyuiop"):
            assert await found_ids(catalog, q, kitchen["cities"][0]) == [], q

    async def test_the_seeded_catalog_answers_what_people_type(
        self, catalog: httpx.AsyncClient
    ) -> None:
        for q in ("stanovnja", "hausing", "housng", "laboratorji", "Varaždin"):
            response = await catalog.get(ENTRIES, params={"q": q})
            slugs = {item["slug"] for item in response.json()["items"]}
            assert slugs, q
        varazdin = await catalog.get(ENTRIES, params={"q": "Varaždin", "city": "varazdin"})
        assert {item["slug"] for item in varazdin.json()["items"]} >= {"opening-site-visit-celje"}


class TestNewWordsUnderConcurrency:
    async def test_editors_adding_the_same_new_words_at_once_all_succeed(
        self, catalog: httpx.AsyncClient, editor: dict[str, str]
    ) -> None:
        city = unique("c")
        words = [unique("word") for _ in range(40)]
        bodies = [
            {
                "kind": "method",
                "title": {"en": f"Shared words {index}"},
                "body": {"en": " ".join(random.Random(index).sample(words, len(words)))},
                "cities": [city],
            }
            for index in range(8)
        ]

        created = await asyncio.gather(
            *(catalog.post(ENTRIES, json=body, headers=editor) for body in bodies)
        )

        assert [response.status_code for response in created] == [201] * 8
        typo = words[0][:6] + words[0][7:]  # a letter left out
        response = await catalog.get(
            ENTRIES, params={"q": typo, "city": city, "status": "draft"}, headers=editor
        )
        assert len(response.json()["items"]) == 8
