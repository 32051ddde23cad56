"""500s that fuzzing found with other seeds, each kept as a regression test."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.participation.conftest import API, Headers, SpaceFactory


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


class TestDatesAtTheEdgeOfTheCalendar:
    """A local day is a pair of UTC instants: 0001-01-01 in Celje starts in year 0."""

    @pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "9999-12-31"])
    async def test_availability_of_a_day_out_of_range_is_a_422(
        self, participation: httpx.AsyncClient, new_space: SpaceFactory, day: str
    ) -> None:
        space = await new_space()

        response = await participation.get(
            f"{API}/spaces/{space['id']}/availability", params={"date": day}
        )

        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["query", "date"]

    @pytest.mark.parametrize("day", ["1900-01-01", "9998-12-31"])
    async def test_availability_at_the_edges_of_the_range_is_answered(
        self, participation: httpx.AsyncClient, new_space: SpaceFactory, day: str
    ) -> None:
        space = await new_space()

        response = await participation.get(
            f"{API}/spaces/{space['id']}/availability", params={"date": day}
        )

        assert response.status_code == 200, response.text
        assert response.json()["date"] == day

    @pytest.mark.parametrize(
        ("starts", "ends"),
        [
            ("0001-01-01T00:00:00+05:00", "0001-01-02T00:00:00+05:00"),
            ("9999-12-31T00:00:00-05:00", "9999-12-31T12:00:00-05:00"),
        ],
    )
    async def test_a_window_out_of_range_is_a_422(
        self, participation: httpx.AsyncClient, starts: str, ends: str
    ) -> None:
        response = await participation.get(
            f"{API}/availability", params={"from": starts, "to": ends}
        )

        assert_problem(response, 422)

    async def test_a_booking_out_of_range_is_a_422(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()

        response = await participation.post(
            f"{API}/bookings",
            json={
                "space_id": space["id"],
                "starts_at": "0001-01-01T00:00:00Z",
                "ends_at": "0001-01-01T01:00:00Z",
                "purpose": "edge",
            },
            headers=resident,
        )

        assert_problem(response, 422)


class TestClosuresPageByPage:
    """Closures are sorted by their first day (a `date`): the next page's cursor once
    failed to encode it, so any hub with more closures than one page made a 500."""

    async def test_closures_are_listed_page_by_page(
        self, participation: httpx.AsyncClient, coordinator: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()
        hub = space["hub_id"]
        created = []
        for day in ("9000-01-01", "9000-02-01", "9000-03-01", "9000-04-01", "9998-12-31"):
            response = await participation.post(
                f"{API}/hubs/{hub}/closures",
                json={"starts_on": day, "ends_on": day, "space_id": space["id"]},
                headers=coordinator,
            )
            assert response.status_code == 201, response.text
            created.append(response.json()["id"])

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = await participation.get(f"{API}/hubs/{hub}/closures", params=params)
            assert page.status_code == 200, page.text
            seen += [closure["id"] for closure in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break

        assert [closure for closure in seen if closure in created] == created
        assert len(seen) == len(set(seen))

    @pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
    async def test_a_closure_out_of_range_is_a_422(
        self,
        participation: httpx.AsyncClient,
        coordinator: Headers,
        new_space: SpaceFactory,
        day: str,
    ) -> None:
        space = await new_space()

        response = await participation.post(
            f"{API}/hubs/{space['hub_id']}/closures",
            json={"starts_on": day, "ends_on": day},
            headers=coordinator,
        )

        assert_problem(response, 422)
