"""The demo data: one plan per adopted challenge, linked to the seeded practices."""

from __future__ import annotations

import httpx

from services.transfer.seed import seed
from shared.seeding import seed_id
from shared.settings import Settings
from tests.conftest import asgi_client
from tests.transfer.test_plans import BASE


class TestSeed:
    async def test_each_city_has_one_plan_per_adopted_challenge(
        self, transfer: httpx.AsyncClient
    ) -> None:
        for city, challenges in {
            "varazdin": {"city-vibe", "housing"},
            "kosice": {"city-vibe", "housing", "energy-communities"},
            "nardo": {"city-vibe", "housing", "culture-creativity"},
        }.items():
            plans = (await transfer.get(f"{BASE}/{city}/plans")).json()["items"]
            assert {plan["challenge"] for plan in plans} == challenges
            by_challenge = {plan["challenge"]: plan for plan in plans}
            assert by_challenge["city-vibe"]["practice_ids"] == [
                str(seed_id("entry", "towns-living-room")),
                str(seed_id("entry", "citycentredoctor")),
            ]
            vibe = by_challenge["city-vibe"]["progress"]
            assert vibe["milestones"] == {"total": 2, "done": 1, "progress": 0.5}
        nardo = (await transfer.get(f"{BASE}/nardo/plans")).json()["items"]
        creative = next(p for p in nardo if p["challenge"] == "culture-creativity")
        assert creative["practice_ids"] == [str(seed_id("entry", "creative-spirits"))]

    async def test_plans_milestones_and_indicators_speak_english_and_the_city_language(
        self, transfer: httpx.AsyncClient
    ) -> None:
        for city, language in {"varazdin": "hr", "kosice": "sk", "nardo": "it"}.items():
            described = (await transfer.get(f"{BASE}/{city}")).json()
            plans = (await transfer.get(f"{BASE}/{city}/plans")).json()["items"]
            seeded = [p for p in plans if p["id"] == str(seed_id("transfer-plan", city, "housing"))]
            milestones = (
                await transfer.get(f"{BASE}/{city}/plans/{seeded[0]['id']}/milestones")
            ).json()["items"]
            indicators = (
                await transfer.get(f"{BASE}/{city}/plans/{seeded[0]['id']}/indicators")
            ).json()["items"]

            assert set(described["description"]) == {"en", language}, city
            assert seeded[0]["external_id"] is None  # a partner's first sync takes it over
            for text in (seeded[0], *milestones, *indicators):
                assert set(text["title"]) == {"en", language}, (city, text["title"])
                assert all(text["title"].values())
        varazdin = (await transfer.get(f"{BASE}/varazdin/plans")).json()["items"]
        titles = {plan["title"]["hr"] for plan in varazdin}
        assert "Varaždin: prijenos praksi iz Celja – Gradski duh" in titles

    async def test_seeding_again_changes_nothing(self, settings: Settings) -> None:
        from services.transfer.app import create_app

        app = create_app(settings)
        async with asgi_client(app), app.state.database.engine.begin() as connection:
            seeded = await seed(connection)
            assert (seeded.added, seeded.skipped, seeded.adopted) == ([], [], 0)
