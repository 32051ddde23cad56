"""Supports: once per resident, an exact count under concurrency, a lab's limit per resident."""

from __future__ import annotations

import asyncio

import httpx

from shared.auth import Role
from shared.settings import Settings
from tests.participation.proposal_helpers import API, new_lab, propose, resident, staff


class TestSupports:
    async def test_twenty_residents_at_once_make_exactly_twenty(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        proposal = await propose(participation, await new_lab(database_url), resident(settings))
        url = f"{API}/proposals/{proposal['id']}/supports"
        supporters = [resident(settings, f"Podpornik {n}") for n in range(20)]

        answers = await asyncio.gather(
            *(participation.post(url, headers=headers) for headers in supporters)
        )

        assert [answer.status_code for answer in answers] == [201] * 20
        assert sorted(answer.json()["supports"] for answer in answers) == list(range(1, 21))
        read = (await participation.get(f"{API}/proposals/{proposal['id']}")).json()
        assert read["supports"] == 20

    async def test_a_second_support_is_409_even_at_once_and_withdrawing_counts_down(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        author = resident(settings)
        proposal = await propose(participation, await new_lab(database_url), author)
        url = f"{API}/proposals/{proposal['id']}/supports"
        supporter = resident(settings)

        answers = await asyncio.gather(
            *(participation.post(url, headers=supporter) for _ in range(5))
        )
        statuses = sorted(answer.status_code for answer in answers)
        mine = await participation.get(f"{API}/proposals/{proposal['id']}", headers=supporter)
        withdrawn = await participation.delete(url, headers=supporter)
        again = await participation.delete(url, headers=supporter)
        after = (await participation.get(f"{API}/proposals/{proposal['id']}")).json()

        assert statuses == [201, 409, 409, 409, 409]
        assert mine.json()["supports"] == 1 and mine.json()["supported"] is True
        by_author = await participation.get(f"{API}/proposals/{proposal['id']}", headers=author)
        assert by_author.json()["supported"] is False
        assert (withdrawn.status_code, again.status_code) == (204, 404)
        assert after["supports"] == 0

    async def test_a_copy_cached_before_a_support_is_not_confirmed(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        proposal = await propose(participation, await new_lab(database_url), resident(settings))
        url = f"{API}/proposals/{proposal['id']}"
        cached = await participation.get(url)

        await participation.post(f"{url}/supports", headers=resident(settings))
        revalidated = await participation.get(
            url, headers={"If-None-Match": cached.headers["ETag"]}
        )

        assert revalidated.status_code == 200
        assert revalidated.json()["supports"] == 1
        assert revalidated.headers["ETag"] != cached.headers["ETag"]

    async def test_only_residents_support(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        proposal = await propose(participation, await new_lab(database_url), resident(settings))
        url = f"{API}/proposals/{proposal['id']}/supports"
        for role in (Role.EDITOR, Role.PARTNER, Role.COORDINATOR, Role.ADMIN):
            assert (await participation.post(url, headers=staff(settings, role))).status_code == 403
        assert (await participation.post(url)).status_code == 401
        read = (await participation.get(f"{API}/proposals/{proposal['id']}")).json()
        assert read["supports"] == 0

    async def test_a_labs_limit_per_resident_holds_when_they_support_at_once(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url, supports_per_resident=2)
        author = resident(settings)
        proposals = [await propose(participation, lab, author, f"Predlog {n}") for n in range(5)]
        supporter = resident(settings)

        answers = await asyncio.gather(
            *(
                participation.post(f"{API}/proposals/{p['id']}/supports", headers=supporter)
                for p in proposals
            )
        )

        assert sorted(answer.status_code for answer in answers) == [201, 201, 409, 409, 409]
        refused = next(answer for answer in answers if answer.status_code == 409)
        assert "at most 2" in refused.json()["detail"]
        supported = [p for p, a in zip(proposals, answers, strict=True) if a.status_code == 201]
        await participation.delete(
            f"{API}/proposals/{supported[0]['id']}/supports", headers=supporter
        )
        unsupported = next(
            p for p, a in zip(proposals, answers, strict=True) if a.status_code == 409
        )
        freed = await participation.post(
            f"{API}/proposals/{unsupported['id']}/supports", headers=supporter
        )
        assert freed.status_code == 201

    async def test_an_answered_or_withdrawn_proposal_takes_no_supports(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        author = resident(settings)
        proposal = await propose(participation, await new_lab(database_url), author)
        await participation.post(
            f"{API}/proposals/{proposal['id']}/transitions",
            json={"to": "withdrawn"},
            headers=author,
        )
        response = await participation.post(
            f"{API}/proposals/{proposal['id']}/supports", headers=resident(settings)
        )
        assert response.status_code == 409
