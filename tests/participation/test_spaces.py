"""Spaces, closures and availability: what is free, per space and across the hubs."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.participation.conftest import API, Headers, SpaceFactory
from tests.participation.test_bookings import book, slot


class TestSpaces:
    async def test_a_coordinator_adds_a_space_and_anyone_reads_it(
        self, participation: httpx.AsyncClient, coordinator: Headers, celje_hub: dict[str, Any]
    ) -> None:
        body = {
            "slug": f"maker-corner-{uuid.uuid4().hex[:6]}",
            "name": {"sl": "Kotiček izdelovalcev", "en": "Maker corner"},
            "kind": "workshop",
            "capacity": 6,
            "opening_hours": {"tue": [{"opens": "16:00", "closes": "19:00"}]},
            "buffer_minutes": 10,
            "requires_approval": True,
        }

        created = await participation.post(
            f"{API}/hubs/{celje_hub['id']}/spaces", json=body, headers=coordinator
        )
        read = await participation.get(created.headers["location"])

        assert created.status_code == 201, created.text
        assert read.status_code == 200
        space = read.json()
        assert space == created.json()
        assert space["timezone"] == "Europe/Ljubljana"
        assert space["opening_hours"]["tue"] == [{"opens": "16:00:00", "closes": "19:00:00"}]
        assert space["opening_hours"]["mon"] == []
        assert (space["buffer_minutes"], space["requires_approval"]) == (10, True)

    async def test_residents_cannot_add_spaces(
        self, participation: httpx.AsyncClient, resident: Headers, celje_hub: dict[str, Any]
    ) -> None:
        response = await participation.post(
            f"{API}/hubs/{celje_hub['id']}/spaces",
            json={
                "slug": "nope",
                "name": {"en": "x"},
                "kind": "room",
                "capacity": 1,
                "opening_hours": {},
            },
            headers=resident,
        )

        assert response.status_code == 403

    async def test_overlapping_opening_intervals_are_a_422(
        self, participation: httpx.AsyncClient, coordinator: Headers, celje_hub: dict[str, Any]
    ) -> None:
        hours = {
            "mon": [{"opens": "08:00", "closes": "12:00"}, {"opens": "11:00", "closes": "14:00"}]
        }

        response = await participation.post(
            f"{API}/hubs/{celje_hub['id']}/spaces",
            json={
                "slug": "overlapping",
                "name": {"en": "x"},
                "kind": "room",
                "capacity": 1,
                "opening_hours": hours,
            },
            headers=coordinator,
        )

        assert response.status_code == 422

    async def test_a_duplicate_slug_in_a_hub_is_a_409(
        self, participation: httpx.AsyncClient, coordinator: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()

        again = await participation.post(
            f"{API}/hubs/{space['hub_id']}/spaces",
            json={
                "slug": space["slug"],
                "name": {"en": "x"},
                "kind": "room",
                "capacity": 1,
                "opening_hours": {},
            },
            headers=coordinator,
        )

        assert again.status_code == 409

    async def test_a_change_needs_the_current_etag(
        self, participation: httpx.AsyncClient, coordinator: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()
        url = f"{API}/spaces/{space['id']}"
        patch_headers = {**coordinator, "Content-Type": "application/merge-patch+json"}

        without = await participation.patch(url, content='{"capacity": 4}', headers=patch_headers)
        changed = await participation.patch(
            url,
            content='{"capacity": 4, "buffer_minutes": 20}',
            headers={**patch_headers, "If-Match": '"v1"'},
        )
        stale = await participation.patch(
            url, content='{"capacity": 5}', headers={**patch_headers, "If-Match": '"v1"'}
        )

        assert without.status_code == 428
        assert changed.status_code == 200, changed.text
        assert (changed.json()["capacity"], changed.json()["buffer_minutes"]) == (4, 20)
        assert changed.headers["etag"] == '"v2"'
        assert stale.status_code == 412


class TestAvailability:
    async def test_a_day_shows_the_open_time_minus_bookings_and_buffers(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space(buffer_minutes=30)
        assert (
            await book(participation, resident, space, slot("2027-06-15", "09:00", "10:00"))
        ).status_code == 201

        response = await participation.get(
            f"{API}/spaces/{space['id']}/availability", params={"date": "2027-06-15"}
        )

        assert response.status_code == 200
        day = response.json()
        assert day["closed"] is False
        # Open 08:00-20:00 CEST = 06:00-18:00 UTC; booked 09:00-10:00 UTC plus 30 min each side.
        assert day["free"] == [
            {"starts_at": "2027-06-15T06:00:00Z", "ends_at": "2027-06-15T08:30:00Z"},
            {"starts_at": "2027-06-15T10:30:00Z", "ends_at": "2027-06-15T18:00:00Z"},
        ]

    async def test_a_closed_day_has_no_free_time(
        self, participation: httpx.AsyncClient, coordinator: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()
        await participation.post(
            f"{API}/hubs/{space['hub_id']}/closures",
            json={"starts_on": "2027-12-24", "ends_on": "2027-12-26", "space_id": space["id"]},
            headers=coordinator,
        )

        day = (
            await participation.get(
                f"{API}/spaces/{space['id']}/availability", params={"date": "2027-12-25"}
            )
        ).json()

        assert (day["closed"], day["free"]) == (True, [])

    async def test_across_hubs_filters_by_kind_and_capacity(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        big = await new_space(kind="equipment", capacity=400)
        small = await new_space(kind="equipment", capacity=2)
        assert (
            await book(participation, resident, big, slot("2027-06-16", "07:00", "17:00"))
        ).status_code == 201

        response = await participation.get(
            f"{API}/availability",
            params={
                "from": "2027-06-16T06:00:00Z",
                "to": "2027-06-16T12:00:00Z",
                "kind": "equipment",
                "min_capacity": 300,
            },
        )

        assert response.status_code == 200, response.text
        spaces = {entry["space_id"]: entry for entry in response.json()["spaces"]}
        assert small["id"] not in spaces
        assert spaces[big["id"]]["free"] == [
            {"starts_at": "2027-06-16T06:00:00Z", "ends_at": "2027-06-16T07:00:00Z"}
        ]

    async def test_a_window_that_ends_before_it_starts_is_a_422(
        self, participation: httpx.AsyncClient
    ) -> None:
        response = await participation.get(
            f"{API}/availability",
            params={"from": "2027-06-16T12:00:00Z", "to": "2027-06-16T06:00:00Z"},
        )

        assert response.status_code == 422
