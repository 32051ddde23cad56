"""Each service's first endpoint, straight from the seeds, through its own HTTP API."""

from __future__ import annotations

import httpx

LANGUAGES = {"sl", "en", "hr", "sk", "it"}


class TestTaxonomy:
    async def test_lists_the_innovation_blocks_and_challenges_in_five_languages(
        self, catalog: httpx.AsyncClient
    ) -> None:
        response = await catalog.get("/api/v1/catalog/taxonomy")

        assert response.status_code == 200
        body = response.json()
        assert [block["code"] for block in body["innovation_blocks"]] == [
            "governance",
            "participation",
            "creativity",
            "digital-capacity",
            "economic-development",
        ]
        assert [challenge["code"] for challenge in body["challenges"]] == [
            "housing",
            "mobility",
            "industry-4-0",
            "culture-creativity",
            "energy-communities",
            "city-vibe",
        ]
        for term in body["innovation_blocks"] + body["challenges"]:
            assert set(term["label"]) == LANGUAGES
        city_vibe = body["challenges"][-1]
        assert city_vibe["label"]["en"] == "City Vibe"


class TestHubs:
    async def test_lists_the_celje_hub_and_the_prebold_minihub(
        self, participation: httpx.AsyncClient
    ) -> None:
        response = await participation.get("/api/v1/participation/hubs")

        assert response.status_code == 200
        hubs = {hub["slug"]: hub for hub in response.json()["items"]}
        assert set(hubs) == {"magnet-hub-celje", "minihub-prebold"}
        assert hubs["magnet-hub-celje"]["town"] == "Celje"
        assert hubs["minihub-prebold"]["town"] == "Prebold"
        assert all(hub["timezone"] == "Europe/Ljubljana" for hub in hubs.values())

    async def test_a_hub_has_spaces_with_opening_hours(
        self, participation: httpx.AsyncClient
    ) -> None:
        hubs = (await participation.get("/api/v1/participation/hubs")).json()["items"]
        celje = next(hub for hub in hubs if hub["slug"] == "magnet-hub-celje")

        response = await participation.get(f"/api/v1/participation/hubs/{celje['id']}/spaces")

        assert response.status_code == 200
        spaces = response.json()["items"]
        assert {space["kind"] for space in spaces} == {"room", "workshop", "desk", "equipment"}
        room = next(space for space in spaces if space["slug"] == "co-creation-room")
        assert room["opening_hours"]["mon"] == [{"opens": "09:00:00", "closes": "20:00:00"}]
        assert room["opening_hours"]["sun"] == []
        assert room["timezone"] == "Europe/Ljubljana"

    async def test_an_unknown_hub_is_a_404_problem(self, participation: httpx.AsyncClient) -> None:
        response = await participation.get(
            "/api/v1/participation/hubs/00000000-0000-0000-0000-000000000000"
        )

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404


class TestCities:
    async def test_lists_the_three_partner_cities_with_their_challenges(
        self, transfer: httpx.AsyncClient
    ) -> None:
        response = await transfer.get("/api/v1/transfer/cities")

        assert response.status_code == 200
        cities = {city["code"]: city for city in response.json()["items"]}
        assert cities["varazdin"]["name"] == "Varaždin"
        assert cities["varazdin"]["country"] == "HR"
        assert cities["varazdin"]["challenges"] == ["city-vibe", "housing"]
        assert cities["kosice"]["challenges"] == ["city-vibe", "housing", "energy-communities"]
        assert cities["nardo"]["challenges"] == ["city-vibe", "housing", "culture-creativity"]
        assert cities["nardo"]["country"] == "IT"

    async def test_one_city_carries_an_etag_and_honours_if_none_match(
        self, transfer: httpx.AsyncClient
    ) -> None:
        first = await transfer.get("/api/v1/transfer/cities/kosice")
        assert first.status_code == 200
        etag = first.headers["etag"]

        again = await transfer.get(
            "/api/v1/transfer/cities/kosice", headers={"If-None-Match": etag}
        )
        other = await transfer.get(
            "/api/v1/transfer/cities/kosice", headers={"If-None-Match": '"v999"'}
        )

        assert again.status_code == 304
        assert again.content == b""
        assert other.status_code == 200
