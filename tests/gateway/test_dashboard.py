"""The city dashboard: one answer from three services, still there when one of them is not."""

from __future__ import annotations

import time

import httpx
import pytest

from services.gateway.dashboard.api import preferred_language
from shared.i18n import Language
from tests.gateway.conftest import GatewayFactory

pytestmark = pytest.mark.slow

DEADLINE = 1.0


def sections(body: dict[str, object]) -> dict[str, object]:
    return {
        name: body[name]["status"]  # type: ignore[index]
        for name in ("transfer", "practices", "events")
    }


class TestCityDashboard:
    async def test_gathers_plans_indicators_practices_and_events(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/api/v1/dashboard/cities/kosice")

        assert response.status_code == 200, response.text
        body = response.json()
        assert sections(body) == {"transfer": "ok", "practices": "ok", "events": "ok"}
        assert body["city"] == "kosice"
        assert body["transfer"]["city"]["name"] == "Košice"
        plans = {plan["challenge"]: plan for plan in body["transfer"]["plans"]}
        assert set(plans) == {"city-vibe", "housing", "energy-communities"}
        housing = plans["housing"]
        assert housing["progress"]["milestones"]["total"] >= 2
        assert {m["status"] for m in housing["milestones"]} >= {"done", "in_progress"}
        indicator = next(i for i in housing["indicators"] if i["code"] == "LOCAL-EVENTS")
        assert indicator["baseline"]["value"] == 0
        assert indicator["target"]["value"] == 12
        practices = {p["slug"]: p for p in body["practices"]["items"]}
        assert {"towns-living-room", "citycentredoctor"} <= set(practices)
        assert practices["towns-living-room"]["challenges"] == ["city-vibe"]
        assert practices["towns-living-room"]["title"].startswith("Towns' Living Room")
        events = body["events"]["items"]
        assert events, "the seeded events in December are upcoming"
        assert [e["starts_at"] for e in events] == sorted(e["starts_at"] for e in events)

    async def test_titles_come_in_the_language_asked_for(self, gateway: httpx.AsyncClient) -> None:
        by_query = await gateway.get("/api/v1/dashboard/cities/varazdin", params={"lang": "sl"})
        by_header = await gateway.get(
            "/api/v1/dashboard/cities/varazdin",
            headers={"Accept-Language": "de;q=1, sl;q=0.8, en;q=0.5"},
        )

        for response in (by_query, by_header):
            assert response.status_code == 200
            assert response.headers["content-language"] == "sl"
            body = response.json()
            assert body["lang"] == "sl"
            titles = {p["slug"]: p["title"] for p in body["practices"]["items"]}
            assert titles["towns-living-room"].startswith("Mestna dnevna soba")
            event_titles = {e["title"] for e in body["events"]["items"]}
            assert "Kartiranje javnih prostorov z mladimi" in event_titles

    async def test_an_unknown_city_is_a_404_problem(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/api/v1/dashboard/cities/atlantis")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_an_unknown_language_is_a_422_problem(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/api/v1/dashboard/cities/nardo", params={"lang": "de"})

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestOverview:
    async def test_covers_the_three_cities_and_the_events_once(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/api/v1/dashboard/overview", params={"lang": "en"})

        assert response.status_code == 200
        body = response.json()
        assert {c["city"] for c in body["cities"]} >= {"varazdin", "kosice", "nardo"}
        assert all(c["transfer"]["status"] == "ok" for c in body["cities"])
        nardo = next(c for c in body["cities"] if c["city"] == "nardo")
        assert "creative-spirits" in {p["slug"] for p in nardo["practices"]["items"]}
        assert body["events"]["status"] == "ok"


class TestAServiceDown:
    """Each service stopped in turn (a closed port): 200, that part `unavailable`."""

    @pytest.mark.parametrize(
        ("service", "expected"),
        [
            ("catalog", {"transfer": "ok", "practices": "unavailable", "events": "ok"}),
            ("participation", {"transfer": "ok", "practices": "ok", "events": "unavailable"}),
            # The linked practices are known from the plans only.
            ("transfer", {"transfer": "unavailable", "practices": "unavailable", "events": "ok"}),
        ],
    )
    async def test_the_rest_still_answers(
        self,
        gateway_app: GatewayFactory,
        closed_url: str,
        service: str,
        expected: dict[str, str],
    ) -> None:
        async with gateway_app(
            **{f"{service}_url": closed_url},
            dashboard_deadline_seconds=DEADLINE,
            public_url="https://magnet.example.org",  # links name it, never a service
        ) as gateway:
            started = time.monotonic()
            response = await gateway.get("/api/v1/dashboard/cities/kosice")
            elapsed = time.monotonic() - started

        assert response.status_code == 200, response.text
        body = response.json()
        assert sections(body) == expected
        unavailable = [body[name] for name, state in expected.items() if state != "ok"]
        assert all(part["reason"] for part in unavailable)
        assert "127.0.0.1" not in response.text
        assert elapsed < DEADLINE + 1

    async def test_the_overview_marks_every_city_when_transfer_is_down(
        self, gateway_app: GatewayFactory, closed_url: str
    ) -> None:
        async with gateway_app(transfer_url=closed_url) as gateway:
            response = await gateway.get("/api/v1/dashboard/overview")

        assert response.status_code == 200
        body = response.json()
        assert {c["city"] for c in body["cities"]} == {"varazdin", "kosice", "nardo"}
        assert all(c["transfer"]["status"] == "unavailable" for c in body["cities"])
        assert body["events"]["status"] == "ok"


class TestAServiceSlow:
    @pytest.mark.parametrize("service", ["catalog", "participation", "transfer"])
    async def test_answers_within_the_deadline_without_that_part(
        self, gateway_app: GatewayFactory, silent_url: str, service: str
    ) -> None:
        async with gateway_app(
            **{f"{service}_url": silent_url}, dashboard_deadline_seconds=DEADLINE
        ) as gateway:
            started = time.monotonic()
            response = await gateway.get("/api/v1/dashboard/cities/nardo")
            elapsed = time.monotonic() - started

        assert response.status_code == 200, response.text
        body = response.json()
        slow_part = {"catalog": "practices", "participation": "events", "transfer": "transfer"}
        assert body[slow_part[service]]["status"] == "unavailable"
        assert "in time" in body[slow_part[service]]["reason"]
        assert DEADLINE - 0.1 <= elapsed < DEADLINE + 1


class TestLanguagePreference:
    @pytest.mark.parametrize(
        ("query", "header", "chosen"),
        [
            (Language.IT, "sl", "it"),
            (None, "hr-HR, en;q=0.9", "hr"),
            (None, "en;q=0.2, sk;q=0.9", "sk"),
            (None, "sl;q=0", "en"),
            (None, "fr, de", "en"),
            (None, None, "en"),
            (None, "sk;q=nonsense, it", "it"),
        ],
    )
    def test_query_wins_then_the_best_known_language(
        self, query: Language | None, header: str | None, chosen: str
    ) -> None:
        assert preferred_language(query, header) == chosen
