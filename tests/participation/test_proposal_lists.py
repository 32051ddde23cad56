"""Lists of proposals: three orders that page without repeats, filters, and search."""

from __future__ import annotations

from typing import Any

import httpx

from shared.auth import Role
from shared.settings import Settings
from tests.participation.proposal_helpers import API, new_lab, propose, resident, staff


async def every_page(
    client: httpx.AsyncClient, url: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await client.get(
            url, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if (cursor := page["next_cursor"]) is None:
            return items


async def support(
    client: httpx.AsyncClient, settings: Settings, proposal: dict[str, Any], n: int
) -> None:
    for _ in range(n):
        response = await client.post(
            f"{API}/proposals/{proposal['id']}/supports", headers=resident(settings)
        )
        assert response.status_code == 201


class TestOrders:
    async def test_recent_is_newest_first(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        made = [await propose(participation, lab, resident(settings), f"P{n}") for n in range(5)]

        listed = await every_page(participation, f"{API}/labs/{lab}/proposals", {"limit": 2})

        assert [p["id"] for p in listed] == [p["id"] for p in reversed(made)]

    async def test_random_is_stable_per_seed_pages_without_repeats_and_differs_by_seed(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        made = {
            (await propose(participation, lab, resident(settings), f"P{n}"))["id"]
            for n in range(12)
        }
        url = f"{API}/labs/{lab}/proposals"

        first = await every_page(participation, url, {"sort": "random", "seed": "ana", "limit": 5})
        again = await every_page(participation, url, {"sort": "random", "seed": "ana", "limit": 3})
        other = await every_page(participation, url, {"sort": "random", "seed": "bor", "limit": 50})

        ids = [p["id"] for p in first]
        assert len(ids) == len(set(ids)) == 12 and set(ids) == made
        assert [p["id"] for p in again] == ids
        assert [p["id"] for p in other] != ids
        assert [p["id"] for p in other] != sorted(ids)

    async def test_random_needs_a_seed_and_a_cursor_keeps_its_seed(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        for n in range(3):
            await propose(participation, lab, resident(settings), f"P{n}")
        url = f"{API}/labs/{lab}/proposals"

        unseeded = await participation.get(url, params={"sort": "random"})
        page = (
            await participation.get(url, params={"sort": "random", "seed": "a", "limit": 1})
        ).json()
        swapped = await participation.get(
            url, params={"sort": "random", "seed": "b", "limit": 1, "cursor": page["next_cursor"]}
        )
        resorted = await participation.get(
            url, params={"sort": "recent", "limit": 1, "cursor": page["next_cursor"]}
        )

        assert unseeded.status_code == 422
        assert (swapped.status_code, resorted.status_code) == (400, 400)

    async def test_most_supported_first_and_supports_while_paging_move_nothing(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        made = [await propose(participation, lab, resident(settings), f"P{n}") for n in range(4)]
        for proposal, count in zip(made, (1, 3, 0, 2), strict=True):
            await support(participation, settings, proposal, count)
        url = f"{API}/labs/{lab}/proposals"

        first = (await participation.get(url, params={"sort": "most_supported", "limit": 2})).json()
        # While the visitor reads page one, the last two overtake everything.
        await support(participation, settings, made[2], 5)
        await support(participation, settings, made[0], 5)
        rest = await participation.get(
            url, params={"sort": "most_supported", "limit": 2, "cursor": first["next_cursor"]}
        )
        fresh = await every_page(participation, url, {"sort": "most_supported"})

        order = [p["id"] for p in first["items"]] + [p["id"] for p in rest.json()["items"]]
        assert order == [made[1]["id"], made[3]["id"], made[0]["id"], made[2]["id"]]
        assert [p["id"] for p in fresh] == [
            made[0]["id"],
            made[2]["id"],
            made[1]["id"],
            made[3]["id"],
        ]


class TestFilters:
    async def test_by_state_and_phase_and_withdrawn_only_when_asked(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        author = resident(settings)
        listening = await propose(participation, lab, author, "A", phase="listen")
        creating = await propose(participation, lab, author, "B", phase="co-create")
        withdrawn = await propose(participation, lab, author, "C")
        await participation.post(
            f"{API}/proposals/{withdrawn['id']}/transitions",
            json={"to": "withdrawn"},
            headers=author,
        )
        await participation.post(
            f"{API}/proposals/{creating['id']}/transitions",
            json={"to": "evaluating"},
            headers=staff(settings, Role.COORDINATOR),
        )
        url = f"{API}/labs/{lab}/proposals"

        async def ids(**params: str) -> set[str]:
            return {p["id"] for p in await every_page(participation, url, params)}

        assert await ids() == {listening["id"], creating["id"]}
        assert await ids(state="evaluating") == {creating["id"]}
        assert await ids(state="withdrawn") == {withdrawn["id"]}
        assert await ids(phase="listen") == {listening["id"]}
        assert (await participation.get(url, params={"state": "gone"})).status_code == 422
        assert (
            await participation.get(f"{API}/labs/00000000-0000-4000-8000-000000000000/proposals")
        ).status_code == 404


class TestSearch:
    async def test_accents_case_and_typos_in_any_language_are_forgiven(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        housing = await propose(
            participation,
            lab,
            resident(settings),
            "Cenejša stanovánja za mlade",
            "Mladi v Celju težko najdejo stanovanje.",
        )
        square = await propose(
            participation,
            lab,
            resident(settings),
            "Živahnejši Krekov trg",
            "Več dogodkov na trgu ob koncih tedna.",
        )
        english = await participation.post(
            f"{API}/labs/{lab}/proposals",
            json={"title": {"en": "Shared gardens"}, "body": {"en": "Gardening between blocks."}},
            headers=resident(settings),
        )
        url = f"{API}/labs/{lab}/proposals"

        async def found(q: str) -> set[str]:
            return {p["id"] for p in await every_page(participation, url, {"q": q})}

        assert await found("stanovanja") == {housing["id"]}
        assert await found("ZIVAHNEJSI trg") == {square["id"]}
        assert await found("stanvanja") == {housing["id"]}  # a letter missing
        assert await found("garden") == {english.json()["id"]}  # English stemming
        assert await found("krek") == {square["id"]}  # the last word as a prefix
        assert await found("podmornica") == set()
