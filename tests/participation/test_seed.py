"""The demo programme: two labs with phases, the Opening Site Visit and upcoming workshops."""

from __future__ import annotations

import httpx

from shared.seeding import seed_id
from tests.participation.conftest import API


class TestDemoProgramme:
    async def test_the_labs_are_seeded_with_their_current_phase(
        self, participation: httpx.AsyncClient
    ) -> None:
        for slug, challenge in (("city-vibe-lab", "city-vibe"), ("housing-lab", "housing")):
            response = await participation.get(f"{API}/labs/{seed_id('lab', slug)}")

            assert response.status_code == 200
            lab = response.json()
            assert (lab["challenge"], lab["current_phase"]) == (challenge, "co-create")
            assert [phase["key"] for phase in lab["phases"]] == [
                "discover",
                "co-create",
                "prototype",
                "test",
            ]
            assert str(seed_id("entry", "reallife-learning-labs")) in lab["methods"]

    async def test_the_local_alliance_works_in_the_labs(
        self, participation: httpx.AsyncClient
    ) -> None:
        partners: set[str] = set()
        for slug in ("city-vibe-lab", "housing-lab", "industry-4-0-lab"):
            lab = (await participation.get(f"{API}/labs/{seed_id('lab', slug)}")).json()
            partners |= set(lab["partners"])
            assert lab["description"]["sl"] and lab["description"]["en"], slug

        assert {
            "City Municipality of Celje",
            "Business Incubator of the Savinjska Region",
            "Real Estate Celje",
            "Youth Centre Celje",
            "ETRA",
            "Institute for Economic Democracy",
            "Poligon Institute for the Development of Creative Industries",
            "IPoP – Institute for Spatial Policies",
            "Institute for Innovation and Development of the University of Ljubljana",
        } <= partners

    async def test_every_event_is_described_and_the_visit_speaks_every_network_language(
        self, participation: httpx.AsyncClient
    ) -> None:
        for slug in (
            "opening-site-visit",
            "mapping-public-spaces",
            "housing-co-creation-workshop",
            "intergenerational-prototyping-evening",
        ):
            event = (await participation.get(f"{API}/events/{seed_id('event', slug)}")).json()
            assert event["description"]["sl"] and event["description"]["en"], slug
        visit = (
            await participation.get(f"{API}/events/{seed_id('event', 'opening-site-visit')}")
        ).json()

        for text in (visit["title"], visit["description"]):
            assert set(text) == {"sl", "en", "hr", "sk", "it"}

    async def test_the_opening_site_visit_and_workshops_are_public_events(
        self, participation: httpx.AsyncClient
    ) -> None:
        visit = (
            await participation.get(f"{API}/events/{seed_id('event', 'opening-site-visit')}")
        ).json()
        workshop = (
            await participation.get(
                f"{API}/events/{seed_id('event', 'housing-co-creation-workshop')}"
            )
        ).json()

        assert visit["title"]["en"] == "Opening Site Visit"
        assert visit["starts_at"] == "2025-10-15T07:00:00Z"
        assert visit["registration_open"] is False
        assert workshop["space_id"] == str(seed_id("space", "magnet-hub-celje", "co-creation-room"))

    async def test_a_workshop_in_a_hub_space_holds_its_booking(
        self, participation: httpx.AsyncClient
    ) -> None:
        space_id = seed_id("space", "magnet-hub-celje", "co-creation-room")

        day = (
            await participation.get(
                f"{API}/spaces/{space_id}/availability", params={"date": "2026-12-10"}
            )
        ).json()

        # Open 09:00-20:00 CET; the workshop holds 16:00-19:00 plus 15 minutes either side.
        assert day["free"] == [
            {"starts_at": "2026-12-10T08:00:00Z", "ends_at": "2026-12-10T14:45:00Z"},
            {"starts_at": "2026-12-10T18:15:00Z", "ends_at": "2026-12-10T19:00:00Z"},
        ]


class TestDemoContributions:
    async def test_the_city_vibe_and_housing_labs_hold_ideas_supports_and_a_thread(
        self, participation: httpx.AsyncClient
    ) -> None:
        for slug in ("city-vibe-lab", "housing-lab"):
            lab_id = seed_id("lab", slug)
            page = await participation.get(
                f"{API}/labs/{lab_id}/proposals", params={"sort": "most_supported"}
            )

            proposals = page.json()["items"]
            assert len(proposals) >= 2, slug
            assert all(p["title"]["sl"] and p["body"]["sl"] for p in proposals)
            assert all(p["supports"] > 0 for p in proposals)
            # Nobody invented is presented as real: authors sign as workshop participants.
            assert {p["author_name"] for p in proposals} <= {
                "Udeleženec delavnice",
                "Anonimni prebivalec",
            }
        benches = seed_id("proposal", "benches-by-the-savinja")
        read = (await participation.get(f"{API}/proposals/{benches}")).json()
        thread = (await participation.get(f"{API}/proposals/{benches}/comments")).json()["items"]
        assert read["supports"] == 5
        [opening] = [comment for comment in thread if comment["parent_id"] is None]
        assert [comment["parent_id"] for comment in thread if comment is not opening] == [
            opening["id"]
        ]
        answered = seed_id("proposal", "youth-evenings-in-prebold")
        youth = (await participation.get(f"{API}/proposals/{answered}")).json()
        assert youth["state"] == "evaluating" and youth["answer"]["text"]["sl"]
