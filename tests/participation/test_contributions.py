"""A resident's own data and contributions: read, erased (anonymised), and rate-limited."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from services.participation.app import create_app
from shared.db import libpq_url
from shared.settings import Settings
from tests.conftest import asgi_client, make_settings
from tests.participation.proposal_helpers import API, new_lab, propose, resident


class TestOwnContributions:
    async def test_a_resident_reads_then_erases_their_contributions_which_stay_anonymised(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        subject = str(uuid.uuid4())
        ana = resident(settings, "Ana Kos", email="ana@example.org", subject=subject)
        other = await propose(participation, lab, resident(settings), "Tuji predlog")
        mine = await propose(participation, lab, ana, "Moj predlog")
        said = await participation.post(
            f"{API}/proposals/{other['id']}/comments", json={"body": "Podpiram."}, headers=ana
        )
        await participation.post(f"{API}/proposals/{other['id']}/supports", headers=ana)
        await participation.post(
            f"{API}/proposals/{other['id']}/reports", json={"reason": "test"}, headers=ana
        )

        read = await participation.get(f"{API}/me/contributions", headers=ana)

        assert read.status_code == 200
        data = read.json()
        assert data["resident"] == {"name": "Ana Kos", "email": "ana@example.org", "language": "sl"}
        assert [p["id"] for p in data["proposals"]] == [mine["id"]]
        assert [c["id"] for c in data["comments"]] == [said.json()["id"]]
        assert data["supports"][0]["proposal_id"] == other["id"]
        assert data["supports"][0]["proposal_title"] == {"sl": "Tuji predlog"}

        erased = await participation.delete(f"{API}/me/contributions", headers=ana)
        again = await participation.delete(f"{API}/me/contributions", headers=ana)

        assert (erased.status_code, again.status_code) == (204, 204)
        after = (await participation.get(f"{API}/me/contributions", headers=ana)).json()
        assert after == {"resident": None, "proposals": [], "comments": [], "supports": []}
        kept = (await participation.get(f"{API}/proposals/{mine['id']}")).json()
        assert kept["title"] == {"sl": "Moj predlog"} and kept["author_name"] is None
        supported = (await participation.get(f"{API}/proposals/{other['id']}")).json()
        assert supported["supports"] == 1
        thread = (await participation.get(f"{API}/proposals/{other['id']}/comments")).json()
        assert (
            thread["items"][0]["body"] == "Podpiram." and thread["items"][0]["author_name"] is None
        )
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            trace = await connection.fetchval(
                "SELECT count(*) FROM participation.residents WHERE subject = $1 OR name = $2 "
                "OR email = $3",
                subject,
                "Ana Kos",
                "ana@example.org",
            )
            reporters = await connection.fetchval(
                "SELECT count(*) FROM participation.reports WHERE reporter LIKE $1", f"%{subject}%"
            )
            actors = await connection.fetchval(
                "SELECT count(*) FROM participation.proposal_revisions WHERE actor LIKE $1",
                f"%{subject}%",
            )
        finally:
            await connection.close()
        assert (trace, reporters, actors) == (0, 0, 0)

    async def test_staff_have_no_contributions_and_anonymous_callers_are_401(
        self, participation: httpx.AsyncClient, settings: Settings
    ) -> None:
        from shared.auth import Role
        from tests.participation.proposal_helpers import staff

        answer = await participation.get(
            f"{API}/me/contributions", headers=staff(settings, Role.EDITOR)
        )
        assert answer.json() == {"resident": None, "proposals": [], "comments": [], "supports": []}
        assert (await participation.get(f"{API}/me/contributions")).status_code == 401
        assert (await participation.delete(f"{API}/me/contributions")).status_code == 401


class TestRateLimit:
    async def test_a_resident_contributes_a_limited_number_of_times_an_hour(
        self, database_url: str
    ) -> None:
        settings = make_settings(database_url, contributions_per_hour=3)
        lab = await new_lab(database_url)
        async with asgi_client(create_app(settings)) as participation:
            ana, bor = resident(settings), resident(settings)
            proposal = await propose(participation, lab, ana)
            await participation.post(
                f"{API}/proposals/{proposal['id']}/comments", json={"body": "1"}, headers=ana
            )
            await participation.post(
                f"{API}/proposals/{proposal['id']}/comments", json={"body": "2"}, headers=ana
            )

            over = await participation.post(
                f"{API}/proposals/{proposal['id']}/comments", json={"body": "3"}, headers=ana
            )
            others = await participation.post(
                f"{API}/proposals/{proposal['id']}/comments", json={"body": "B"}, headers=bor
            )
            thread = (await participation.get(f"{API}/proposals/{proposal['id']}/comments")).json()

        assert over.status_code == 429
        assert over.headers["content-type"] == "application/problem+json"
        assert 3000 < int(over.headers["Retry-After"]) <= 3601
        assert others.status_code == 201
        assert [c["body"] for c in thread["items"]] == ["1", "2", "B"]

    async def test_contributions_sent_at_once_are_counted_exactly(self, database_url: str) -> None:
        settings = make_settings(database_url, contributions_per_hour=3)
        lab = await new_lab(database_url)
        async with asgi_client(create_app(settings)) as participation:
            proposal = await propose(participation, lab, resident(settings))
            ana = resident(settings)

            answers = await asyncio.gather(
                *(
                    participation.post(
                        f"{API}/proposals/{proposal['id']}/comments",
                        json={"body": str(n)},
                        headers=ana,
                    )
                    for n in range(8)
                )
            )
            thread = (await participation.get(f"{API}/proposals/{proposal['id']}/comments")).json()

        assert sorted(answer.status_code for answer in answers) == [201] * 3 + [429] * 5
        assert len(thread["items"]) == 3
