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

    async def test_seeding_again_changes_nothing(self, settings: Settings) -> None:
        from services.transfer.app import create_app

        app = create_app(settings)
        async with asgi_client(app), app.state.database.engine.begin() as connection:
            seeded = await seed(connection)
            assert (seeded.added, seeded.skipped, seeded.adopted) == ([], [], 0)
