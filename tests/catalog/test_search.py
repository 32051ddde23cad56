"""Search over all five languages at once: accents, case, stems, prefixes, typos, ranking."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.catalog.conftest import EntryFactory, unique

ENTRIES = "/api/v1/catalog/entries"

# Per language: the text of an entry, then (query, what it shows) pairs that must find it.
LANGUAGE_CASES: list[tuple[str, dict[str, str], list[str]]] = [
    (
        "sl",
        {
            "title": "Dostopna stanovánja in življenje v Celju",
            "summary": "Kako mladi najdejo dom.",
            "body": "Občina Celje gradi stanovanja za mlade družine.",
        },
        ["stanovanja", "stanovánja", "zivljenje", "življenje", "ŽIVLJENJE", "obcina"],
    ),
    (
        "hr",
        {
            "title": "Održiva mobilnost u Varaždinu",
            "summary": "Biciklističke staze i javni prijevoz.",
            "body": "Građani Varaždina biraju održivi prijevoz.",
        },
        ["odrziva", "održiva", "varazdinu", "gradani", "građani", "biciklisticke"],
    ),
    (
        "sk",
        {
            "title": "Energetické komunity v Košiciach",
            "summary": "Miestna čistá energia pre Košice.",
            "body": "Obyvatelia znižujú energetickú chudobu.",
        },
        ["kosice", "Košice", "energeticke", "energetické", "cista", "znizuju"],
    ),
    (
        "it",
        {
            "title": "Creatività e hub creativi a Nardò",
            "summary": "La città sostiene le industrie culturali.",
            "body": "Più spazi per la comunità creativa.",
        },
        ["creativita", "creatività", "nardo", "Nardò", "citta", "comunita", "piu"],
    ),
    (
        "en",
        {
            "title": "Affordable housing and a café in Celje",
            "summary": "Homes for young families.",
            "body": "Residents co-design houses near the old town.",
        },
        ["housing", "houses", "cafe", "café", "CAFÉ", "residents", "resident"],
    ),
]


def texts(language: str, text: dict[str, str]) -> dict[str, Any]:
    return {field: {language: value} for field, value in text.items()}


async def search(catalog: httpx.AsyncClient, q: str, city: str, **params: Any) -> dict[str, Any]:
    response = await catalog.get(ENTRIES, params={"q": q, "city": city, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestFiveLanguages:
    @pytest.mark.parametrize(
        ("language", "text", "queries"), LANGUAGE_CASES, ids=[case[0] for case in LANGUAGE_CASES]
    )
    async def test_found_with_and_without_diacritics_in_any_case(
        self,
        catalog: httpx.AsyncClient,
        make_entry: EntryFactory,
        language: str,
        text: dict[str, str],
        queries: list[str],
    ) -> None:
        city = unique("c")
        entry = await make_entry("published", cities=[city], **texts(language, text))

        for q in queries:
            found = (await search(catalog, q, city))["items"]
            assert [item["id"] for item in found] == [entry["id"]], q
            assert found[0]["matched_language"] == language, q
            assert "<mark>" in (found[0]["snippet"] or ""), q

    async def test_all_languages_are_searched_at_once(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        slovak = await make_entry("published", cities=[city], **texts("sk", LANGUAGE_CASES[2][1]))
        italian = await make_entry("published", cities=[city], **texts("it", LANGUAGE_CASES[3][1]))

        found = (await search(catalog, "kosice", city))["items"]
        also = (await search(catalog, "nardo", city))["items"]

        assert [item["id"] for item in found] == [slovak["id"]]
        assert [item["id"] for item in also] == [italian["id"]]

    async def test_the_preferred_language_is_reported_when_several_match(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        entry = await make_entry(
            "published",
            cities=[city],
            title={"sl": "Košice in Celje", "en": "Košice and Celje"},
            summary={},
            body={},
        )
        english = (await search(catalog, "kosice", city, lang="en"))["items"]
        slovenian = (await search(catalog, "kosice", city, lang="sl"))["items"]
        assert english[0]["id"] == slovenian[0]["id"] == entry["id"]
        assert (english[0]["matched_language"], slovenian[0]["matched_language"]) == ("en", "sl")


class TestMatching:
    async def test_the_last_word_matches_as_a_prefix(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        entry = await make_entry("published", cities=[city], **texts("sl", LANGUAGE_CASES[0][1]))
        for q in ("stanov", "dostopna stan", "zivlj", "Življ"):
            found = (await search(catalog, q, city))["items"]
            assert [item["id"] for item in found] == [entry["id"]], q

    async def test_every_word_must_match(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        await make_entry("published", cities=[city], **texts("sl", LANGUAGE_CASES[0][1]))
        assert (await search(catalog, "stanovanja ljubljana", city))["items"] == []

    @pytest.mark.parametrize(
        ("q", "language"),
        [("stanovnja", "sl"), ("innovaton", "en"), ("varazdnu", "hr"), ("creativta", "it")],
    )
    async def test_a_typo_in_a_longer_title_word_still_finds_it(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory, q: str, language: str
    ) -> None:
        city = unique("c")
        titles = {
            "sl": "Dostopna stanovanja",
            "en": "Innovation blocks",
            "hr": "Mobilnost u Varaždinu",
            "it": "Creatività a Nardò",
        }
        entry = await make_entry(
            "published",
            cities=[city],
            title={language: titles[language]},
            summary={},
            body={},
        )
        found = (await search(catalog, q, city))["items"]
        assert [item["id"] for item in found] == [entry["id"]]
        assert found[0]["matched_language"] == language

    async def test_unrelated_words_find_nothing(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        await make_entry("published", cities=[city], **texts("sl", LANGUAGE_CASES[0][1]))
        for q in ("zzqqxx", "mobilnost", "stan ovanja"):
            assert (await search(catalog, q, city))["items"] == [], q

    async def test_a_query_without_words_lists_everything(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        entry = await make_entry("published", cities=[city])
        found = (await search(catalog, " ?! ", city))["items"]
        assert [item["id"] for item in found] == [entry["id"]]
        assert found[0]["snippet"] is None


class TestRanking:
    async def test_title_ranks_above_summary_above_body(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city, word = unique("c"), unique("w")
        in_body = await make_entry(
            "published", cities=[city], body={"en": f"Something about {word} here."}
        )
        in_title = await make_entry("published", cities=[city], title={"en": f"The {word}"})
        in_summary = await make_entry(
            "published", cities=[city], summary={"en": f"A note on {word}."}
        )

        found = (await search(catalog, word, city))["items"]

        assert [item["id"] for item in found] == [in_title["id"], in_summary["id"], in_body["id"]]

    async def test_exact_matches_rank_above_typo_matches(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        typo = await make_entry(
            "published", cities=[city], title={"en": "Innovation"}, summary={}, body={}
        )
        exact = await make_entry(
            "published",
            cities=[city],
            title={"en": "Summary"},
            summary={},
            body={"en": "innovaton is misspelt here on purpose"},
        )
        found = (await search(catalog, "innovaton", city))["items"]
        assert [item["id"] for item in found] == [exact["id"], typo["id"]]

    async def test_recency_sort_is_available_with_a_query(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city, word = unique("c"), unique("w")
        older = await make_entry("published", cities=[city], title={"en": f"{word} title"})
        newer = await make_entry("published", cities=[city], body={"en": f"{word} in body"})
        found = (await search(catalog, word, city, sort="recent"))["items"]
        assert [item["id"] for item in found] == [newer["id"], older["id"]]


class TestSnippets:
    async def test_a_snippet_marks_the_match_and_carries_no_markup_of_its_own(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        await make_entry(
            "published",
            cities=[city],
            summary={"en": "Use <b>bold</b> moves & the Towns' Living Room."},
        )
        found = (await search(catalog, "living", city))["items"]
        snippet = found[0]["snippet"]
        assert "<mark>Living</mark>" in snippet
        assert "<b>" not in snippet
        assert "&amp;" in snippet


class TestFacets:
    async def test_counts_per_kind_block_and_challenge_for_the_query(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city, word = unique("c"), unique("w")
        common = {"cities": [city], "title": {"en": f"{word} entry"}}
        await make_entry(
            "published", kind="story", innovation_blocks=["governance"], challenges=[], **common
        )
        await make_entry(
            "published",
            kind="method",
            innovation_blocks=["governance", "creativity"],
            challenges=["housing"],
            **common,
        )
        await make_entry("published", kind="method", cities=[city], title={"en": "Other"})
        await make_entry("draft", kind="tool", **common)

        body = await search(catalog, word, city, facets="true", limit=1)

        facets = body["facets"]
        assert facets["kind"] == {"story": 1, "method": 1, "tool": 0, "practice": 0}
        assert facets["block"]["governance"] == 2
        assert facets["block"]["creativity"] == 1
        assert facets["block"]["participation"] == 0
        assert facets["challenge"]["housing"] == 1
        assert set(facets["challenge"]) >= {"housing", "mobility", "city-vibe"}
        assert len(body["items"]) == 1

    async def test_no_facets_unless_asked(self, catalog: httpx.AsyncClient) -> None:
        body = (await catalog.get(ENTRIES, params={"q": "celje"})).json()
        assert body["facets"] is None


class TestSearchPages:
    async def pages(self, catalog: httpx.AsyncClient, **params: Any) -> list[str]:
        ids: list[str] = []
        cursor = None
        for _ in range(10):
            page_params = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
            response = await catalog.get(ENTRIES, params=page_params)
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["items"]) <= 2
            ids += [item["id"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                return ids
        raise AssertionError("more pages than entries")

    @pytest.mark.parametrize("sort", ["relevance", "recent"])
    async def test_pages_of_a_search_repeat_and_skip_nothing(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory, sort: str
    ) -> None:
        city, word = unique("c"), unique("w")
        made = [
            await make_entry("published", cities=[city], title={"en": f"The {word}"}),
            await make_entry("published", cities=[city], summary={"en": f"On {word}."}),
            await make_entry("published", cities=[city], body={"en": f"About {word}."}),
            await make_entry("published", cities=[city], title={"en": f"{word} again"}),
            await make_entry("published", cities=[city], body={"en": f"{word} twice"}),
        ]

        whole = (await search(catalog, word, city, sort=sort))["items"]
        paged = await self.pages(catalog, q=word, city=city, sort=sort)

        assert paged == [item["id"] for item in whole]
        assert sorted(paged) == sorted(entry["id"] for entry in made)
        if sort == "recent":
            assert paged == [entry["id"] for entry in reversed(made)]

    async def test_pages_of_a_typo_search_stay_at_the_typo_level(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city = unique("c")
        made = [
            await make_entry(
                "published", cities=[city], title={"en": f"Innovation {n}"}, summary={}, body={}
            )
            for n in range(3)
        ]
        paged = await self.pages(catalog, q="innovaton", city=city)
        assert sorted(paged) == sorted(entry["id"] for entry in made)

    async def test_a_cursor_of_the_other_sort_is_400(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city, word = unique("c"), unique("w")
        for _ in range(2):
            await make_entry("published", cities=[city], title={"en": f"The {word}"})
        first = await search(catalog, word, city, limit=1)
        response = await catalog.get(
            ENTRIES,
            params={"q": word, "city": city, "sort": "recent", "cursor": first["next_cursor"]},
        )
        assert response.status_code == 400, response.text
        assert response.json()["status"] == 400


class TestSearchFilters:
    async def test_tags_kind_and_language_narrow_a_search(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        city, word = unique("c"), unique("w")
        tagged = await make_entry(
            "published",
            kind="tool",
            cities=[city],
            title={"en": f"The {word}", "it": f"Il {word}"},
            innovation_blocks=["governance", "creativity"],
            challenges=["housing"],
        )
        await make_entry(
            "published",
            kind="tool",
            cities=[city],
            title={"en": f"The {word}"},
            innovation_blocks=["governance"],
            challenges=["housing"],
        )
        await make_entry("published", kind="story", cities=[city], title={"it": f"Il {word}"})

        found = await search(
            catalog,
            word,
            city,
            kind="tool",
            block=["governance", "creativity"],
            challenge="housing",
            lang="it",
        )

        assert [item["id"] for item in found["items"]] == [tagged["id"]]
        assert found["items"][0]["matched_language"] == "it"
