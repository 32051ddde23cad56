"""Learning labs: phases, catalog references checked over HTTP, participation statistics."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from shared.db import libpq_url
from tests.participation.conftest import API, Headers
from tests.participation.test_events import create_event, person, register

pytestmark = pytest.mark.slow


def phases(current: str = "co-create") -> list[dict[str, Any]]:
    dates = [
        ("discover", "2026-09-01", "2026-10-31"),
        ("co-create", "2026-11-01", "2027-01-31"),
        ("prototype", "2027-02-01", "2027-04-30"),
        ("test", "2027-05-01", "2027-06-30"),
    ]
    return [
        {
            "key": key,
            "title": {"en": key.replace("-", " ").capitalize()},
            "starts_on": starts,
            "ends_on": ends,
            "current": key == current,
        }
        for key, starts, ends in dates
    ]


def lab_body(celje_hub: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "slug": f"lab-{uuid.uuid4().hex[:10]}",
        "title": {"sl": "Laboratorij za stanovanja", "en": "Housing lab"},
        "description": {"en": "Affordable, community-focused housing in Celje."},
        "challenge": "housing",
        "hub_id": celje_hub["id"],
        "phases": phases(),
        "partners": ["Real Estate Celje", "IPoP - Institute for Spatial Policies"],
        **fields,
    }


async def labs_with_slug(database_url: str, slug: str) -> int:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM participation.labs WHERE slug = $1", slug
        )
        return count
    finally:
        await connection.close()


class TestLabCreate:
    async def test_a_coordinator_starts_a_lab_with_ordered_phases(
        self, with_catalog: httpx.AsyncClient, coordinator: Headers, celje_hub: dict[str, Any]
    ) -> None:
        body = lab_body(celje_hub)

        response = await with_catalog.post(f"{API}/labs", json=body, headers=coordinator)

        assert response.status_code == 201, response.text
        lab = response.json()
        assert (lab["slug"], lab["challenge"], lab["current_phase"]) == (
            body["slug"],
            "housing",
            "co-create",
        )
        assert [(p["position"], p["key"]) for p in lab["phases"]] == [
            (1, "discover"),
            (2, "co-create"),
            (3, "prototype"),
            (4, "test"),
        ]
        assert lab["partners"] == body["partners"]
        read = await with_catalog.get(response.headers["location"])
        assert read.json() == lab

    async def test_an_unknown_challenge_is_a_422(
        self, with_catalog: httpx.AsyncClient, coordinator: Headers, celje_hub: dict[str, Any]
    ) -> None:
        response = await with_catalog.post(
            f"{API}/labs", json=lab_body(celje_hub, challenge="space-travel"), headers=coordinator
        )

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"loc": ["body", "challenge"], "msg": "unknown challenge"}
        ]

    async def test_a_catalog_entry_that_does_not_exist_is_a_422_and_nothing_is_saved(
        self,
        with_catalog: httpx.AsyncClient,
        coordinator: Headers,
        celje_hub: dict[str, Any],
        database_url: str,
    ) -> None:
        missing = str(uuid.uuid4())
        body = lab_body(celje_hub, outcomes=[missing])

        response = await with_catalog.post(f"{API}/labs", json=body, headers=coordinator)

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"loc": ["body", "outcomes", 0], "msg": f"no catalog entry {missing}"}
        ]
        assert await labs_with_slug(database_url, body["slug"]) == 0

    async def test_a_catalog_that_is_down_is_a_503_and_nothing_is_saved(
        self,
        without_catalog: httpx.AsyncClient,
        coordinator: Headers,
        celje_hub: dict[str, Any],
        database_url: str,
    ) -> None:
        body = lab_body(celje_hub, methods=[str(uuid.uuid4())])

        response = await without_catalog.post(f"{API}/labs", json=body, headers=coordinator)

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "127.0.0.1" not in response.text
        assert await labs_with_slug(database_url, body["slug"]) == 0

    @pytest.mark.parametrize(
        "broken",
        [
            [{**p, "current": True} for p in phases()],  # every phase current
            [{**p, "current": False} for p in phases()],  # none current
            list(reversed(phases())),  # not in order
        ],
    )
    async def test_phases_must_be_ordered_with_exactly_one_current(
        self,
        with_catalog: httpx.AsyncClient,
        coordinator: Headers,
        celje_hub: dict[str, Any],
        broken: list[dict[str, Any]],
    ) -> None:
        response = await with_catalog.post(
            f"{API}/labs", json=lab_body(celje_hub, phases=broken), headers=coordinator
        )

        assert response.status_code == 422

    async def test_residents_cannot_start_labs(
        self, with_catalog: httpx.AsyncClient, resident: Headers, celje_hub: dict[str, Any]
    ) -> None:
        response = await with_catalog.post(
            f"{API}/labs", json=lab_body(celje_hub), headers=resident
        )

        assert response.status_code == 403


class TestLabChange:
    async def test_moving_to_the_next_phase(
        self, with_catalog: httpx.AsyncClient, coordinator: Headers, celje_hub: dict[str, Any]
    ) -> None:
        created = await with_catalog.post(
            f"{API}/labs", json=lab_body(celje_hub), headers=coordinator
        )
        url = created.headers["location"]

        moved = await with_catalog.patch(
            url,
            json={"phases": phases(current="prototype")},
            headers={**coordinator, "If-Match": created.headers["etag"]},
        )
        stale = await with_catalog.patch(
            url,
            json={"partners": []},
            headers={**coordinator, "If-Match": created.headers["etag"]},
        )

        assert moved.status_code == 200, moved.text
        assert (moved.json()["current_phase"], moved.json()["version"]) == ("prototype", 2)
        assert stale.status_code == 412


class TestLabStatistics:
    async def test_registrations_and_attendance_by_age_band(
        self, with_catalog: httpx.AsyncClient, coordinator: Headers, celje_hub: dict[str, Any]
    ) -> None:
        lab = (
            await with_catalog.post(f"{API}/labs", json=lab_body(celje_hub), headers=coordinator)
        ).json()
        event = await create_event(with_catalog, coordinator, capacity=2, lab_id=lab["id"])
        young = (await register(with_catalog, event, person(age_band="15-29"))).json()
        await register(with_catalog, event, person(age_band="65-plus"))
        await register(with_catalog, event, person())  # waitlisted, no age band given
        await with_catalog.post(
            f"{API}/events/{event['id']}/registrations/{young['id']}/attendance",
            json={"attended": True},
            headers=coordinator,
        )

        response = await with_catalog.get(f"{API}/labs/{lab['id']}/statistics")

        assert response.status_code == 200
        stats = response.json()
        assert (stats["events"], stats["registered"], stats["waitlisted"], stats["attended"]) == (
            1,
            2,
            1,
            1,
        )
        bands = {band["age_band"]: band for band in stats["by_age_band"]}
        assert set(bands) == {"under-15", "15-29", "30-49", "50-64", "65-plus", None}
        assert bands["15-29"] == {
            "age_band": "15-29",
            "registered": 1,
            "waitlisted": 0,
            "attended": 1,
        }
        assert (bands["65-plus"]["registered"], bands[None]["waitlisted"]) == (1, 1)
        assert bands["under-15"]["registered"] == 0
