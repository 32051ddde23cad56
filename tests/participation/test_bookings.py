"""Bookings of hub spaces: opening hours, buffers and overlaps refused by the database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from shared.auth import Role
from shared.db import libpq_url
from shared.settings import Settings
from tests.participation.conftest import API, Headers, SpaceFactory, bearer


def slot(day: str, starts: str, ends: str, **extra: Any) -> dict[str, Any]:
    """A booking body; times are UTC (Celje is UTC+1 in winter, UTC+2 in summer)."""
    return {
        "starts_at": f"{day}T{starts}:00Z",
        "ends_at": f"{day}T{ends}:00Z",
        "purpose": "Workshop on shared housing",
        "organisation": "Youth Centre Celje",
        **extra,
    }


async def book(
    client: httpx.AsyncClient, headers: Headers, space: dict[str, Any], body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"{API}/bookings", json={"space_id": space["id"], **body}, headers=headers
    )


async def close_for_a_day(
    client: httpx.AsyncClient,
    coordinator: Headers,
    space: dict[str, Any],
    day: str,
    reason: str = "Closed",
) -> None:
    closure = await client.post(
        f"{API}/hubs/{space['hub_id']}/closures",
        json={"starts_on": day, "ends_on": day, "reason": reason, "space_id": space["id"]},
        headers=coordinator,
    )
    assert closure.status_code == 201, closure.text


class TestBookingCreate:
    async def test_a_free_slot_is_booked_and_confirmed(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        new_space: SpaceFactory,
        settings: Settings,
    ) -> None:
        space = await new_space()

        response = await book(participation, resident, space, slot("2027-01-12", "09:00", "11:00"))

        assert response.status_code == 201, response.text
        booking = response.json()
        assert booking["status"] == "confirmed"
        assert booking["space_id"] == space["id"]
        assert booking["hub_id"] == space["hub_id"]
        assert booking["starts_at"] == "2027-01-12T09:00:00Z"
        assert booking["ends_at"] == "2027-01-12T11:00:00Z"
        assert booking["version"] == 1
        assert response.headers["location"] == (
            f"{settings.public_base_url}{API}/bookings/{booking['id']}"
        )
        assert response.headers["etag"] == '"v1"'

    async def test_anonymous_callers_cannot_book(
        self, participation: httpx.AsyncClient, new_space: SpaceFactory
    ) -> None:
        space = await new_space()

        response = await book(participation, {}, space, slot("2027-01-12", "09:00", "10:00"))

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize(("starts", "ends"), [("10:00", "10:00"), ("11:00", "10:00")])
    async def test_an_empty_or_negative_range_is_a_422(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        new_space: SpaceFactory,
        starts: str,
        ends: str,
    ) -> None:
        space = await new_space()

        response = await book(participation, resident, space, slot("2027-01-12", starts, ends))

        assert response.status_code == 422
        assert response.json()["errors"][0]["msg"].endswith("ends_at must be after starts_at")

    async def test_outside_opening_hours_is_a_422(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()  # open 08:00-20:00 local = 07:00-19:00 UTC in January

        response = await book(participation, resident, space, slot("2027-01-12", "18:30", "19:30"))

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"loc": ["body", "starts_at"], "msg": "outside opening hours"}
        ]

    async def test_opening_hours_follow_daylight_saving_time(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()  # 08:00 local: 07:00 UTC until 28 March 2027, then 06:00 UTC

        winter = await book(participation, resident, space, slot("2027-03-26", "06:00", "07:00"))
        summer = await book(participation, resident, space, slot("2027-03-29", "06:00", "07:00"))

        assert winter.status_code == 422  # 07:00 local, before opening
        assert summer.status_code == 201, summer.text  # 08:00 local, opening time

    async def test_a_closed_day_is_a_422(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        coordinator: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space()
        await close_for_a_day(participation, coordinator, space, "2027-02-08", "Prešeren Day")

        response = await book(participation, resident, space, slot("2027-02-08", "09:00", "10:00"))

        assert response.status_code == 422
        assert response.json()["errors"][0]["msg"] == "the space is closed that day"

    async def test_the_closed_day_is_the_local_day_the_booking_starts(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        coordinator: Headers,
        new_space: SpaceFactory,
    ) -> None:
        around_the_clock = {
            day: [{"opens": "00:00", "closes": "23:59"}]
            for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        }
        space = await new_space(opening_hours=around_the_clock)
        await close_for_a_day(participation, coordinator, space, "2027-02-09")

        # Celje is UTC+1 in February: 22:00 UTC on the 8th is still the 8th there, and
        # 23:30 UTC is already the closed 9th.
        late = await book(participation, resident, space, slot("2027-02-08", "22:00", "22:30"))
        closed = await book(participation, resident, space, slot("2027-02-08", "23:30", "23:59"))

        assert late.status_code == 201, late.text
        assert closed.status_code == 422
        assert closed.json()["errors"][0]["msg"] == "the space is closed that day"

    async def test_an_unknown_space_is_a_422(
        self, participation: httpx.AsyncClient, resident: Headers
    ) -> None:
        response = await book(
            participation, resident, {"id": str(uuid.uuid4())}, slot("2027-01-12", "9:00", "10:00")
        )

        assert response.status_code == 422

    async def test_a_booking_in_the_past_is_a_422(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()

        response = await book(participation, resident, space, slot("2025-01-14", "09:00", "10:00"))

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "starts_at"]


class TestBookingOverlap:
    async def test_an_overlap_is_a_409_naming_the_taken_slot(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        other_resident: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space()
        first = await book(participation, resident, space, slot("2027-01-13", "09:00", "11:00"))
        assert first.status_code == 201

        clash = await book(
            participation, other_resident, space, slot("2027-01-13", "10:30", "12:00")
        )

        assert clash.status_code == 409
        problem = clash.json()
        assert clash.headers["content-type"] == "application/problem+json"
        assert problem["conflicting"] == {
            "starts_at": "2027-01-13T09:00:00Z",
            "ends_at": "2027-01-13T11:00:00Z",
            "status": "confirmed",
            "buffer_minutes": 0,
        }

    async def test_back_to_back_bookings_fit_without_a_buffer(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()

        first = await book(participation, resident, space, slot("2027-01-13", "09:00", "10:00"))
        second = await book(participation, resident, space, slot("2027-01-13", "10:00", "11:00"))

        assert (first.status_code, second.status_code) == (201, 201)

    async def test_the_buffer_keeps_bookings_apart(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space(buffer_minutes=30)
        assert (
            await book(participation, resident, space, slot("2027-01-13", "09:00", "10:00"))
        ).status_code == 201

        too_soon_after = await book(
            participation, resident, space, slot("2027-01-13", "10:15", "11:00")
        )
        too_close_before = await book(
            participation, resident, space, slot("2027-01-13", "08:00", "08:45")
        )
        after_the_buffer = await book(
            participation, resident, space, slot("2027-01-13", "10:30", "11:00")
        )
        before_the_buffer = await book(
            participation, resident, space, slot("2027-01-13", "07:45", "08:30")
        )

        assert too_soon_after.status_code == 409
        assert too_soon_after.json()["conflicting"]["buffer_minutes"] == 30
        assert too_close_before.status_code == 409
        assert after_the_buffer.status_code == 201, after_the_buffer.text
        assert before_the_buffer.status_code == 201, before_the_buffer.text

    async def test_other_spaces_are_not_affected(
        self, participation: httpx.AsyncClient, resident: Headers, new_space: SpaceFactory
    ) -> None:
        one, other = await new_space(), await new_space()

        first = await book(participation, resident, one, slot("2027-01-13", "09:00", "10:00"))
        second = await book(participation, resident, other, slot("2027-01-13", "09:00", "10:00"))

        assert (first.status_code, second.status_code) == (201, 201)

    async def test_the_database_refuses_an_overlap_written_behind_the_service(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        new_space: SpaceFactory,
        database_url: str,
    ) -> None:
        space = await new_space()
        assert (
            await book(participation, resident, space, slot("2027-01-14", "09:00", "10:00"))
        ).status_code == 201

        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            with pytest.raises(asyncpg.exceptions.ExclusionViolationError):
                await connection.execute(
                    "INSERT INTO participation.bookings"
                    " (id, space_id, during, status, purpose, booked_by)"
                    " VALUES ($1, $2, tstzrange($3::timestamptz, $4::timestamptz), 'confirmed',"
                    " 'sneaky', 'nobody')",
                    uuid.uuid4(),
                    uuid.UUID(space["id"]),
                    datetime(2027, 1, 14, 9, 30, tzinfo=UTC),
                    datetime(2027, 1, 14, 9, 45, tzinfo=UTC),
                )
        finally:
            await connection.close()


class TestBookingConcurrency:
    async def test_fifty_simultaneous_overlapping_bookings_confirm_exactly_one(
        self, participation: httpx.AsyncClient, settings: Settings, new_space: SpaceFactory
    ) -> None:

        space = await new_space(buffer_minutes=15)
        callers = [bearer(settings, Role.EDITOR) for _ in range(50)]
        bodies = [
            slot("2027-01-15", f"09:{index % 3 * 20:02d}", f"10:{index % 3 * 20 + 10:02d}")
            for index in range(50)
        ]

        responses = await asyncio.gather(
            *(
                book(participation, caller, space, body)
                for caller, body in zip(callers, bodies, strict=True)
            )
        )

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [409] * 49, [
            r.text for r in responses if r.status_code not in (201, 409)
        ]
        listed = await participation.get(
            f"{API}/bookings",
            params={"space_id": space["id"], "limit": 100},
            headers=bearer(settings, Role.COORDINATOR),
        )
        assert [b["status"] for b in listed.json()["items"]] == ["confirmed"]


class TestBookingCancellation:
    async def test_cancelling_needs_if_match_and_frees_the_slot(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        other_resident: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space()
        booking = (
            await book(participation, resident, space, slot("2027-01-18", "09:00", "10:00"))
        ).json()
        url = f"{API}/bookings/{booking['id']}"

        missing = await participation.delete(url, headers=resident)
        stale = await participation.delete(url, headers={**resident, "If-Match": '"v7"'})
        stranger = await participation.delete(url, headers={**other_resident, "If-Match": '"v1"'})
        cancelled = await participation.delete(url, headers={**resident, "If-Match": '"v1"'})
        again = await book(
            participation, other_resident, space, slot("2027-01-18", "09:00", "10:00")
        )

        assert missing.status_code == 428
        assert stale.status_code == 412
        assert stale.headers["etag"] == '"v1"'
        assert stranger.status_code == 404
        assert cancelled.status_code == 204
        after = (await participation.get(url, headers=resident)).json()
        assert (after["status"], after["version"]) == ("cancelled", 2)
        assert again.status_code == 201


class TestBookingApproval:
    async def test_a_space_that_needs_approval_holds_the_slot_as_pending(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        other_resident: Headers,
        coordinator: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space(requires_approval=True)
        pending = await book(participation, resident, space, slot("2027-01-19", "09:00", "10:00"))
        assert pending.status_code == 201
        assert pending.json()["status"] == "pending"
        transitions = f"{API}/bookings/{pending.json()['id']}/transitions"

        clash = await book(
            participation, other_resident, space, slot("2027-01-19", "09:00", "10:00")
        )
        by_resident = await participation.post(
            transitions, json={"to": "confirmed"}, headers=resident
        )
        confirmed = await participation.post(
            transitions, json={"to": "confirmed"}, headers=coordinator
        )
        twice = await participation.post(transitions, json={"to": "rejected"}, headers=coordinator)

        assert clash.status_code == 409
        assert clash.json()["conflicting"]["status"] == "pending"
        assert by_resident.status_code == 403
        assert confirmed.status_code == 200
        assert (confirmed.json()["status"], confirmed.json()["version"]) == ("confirmed", 2)
        assert twice.status_code == 409

    async def test_a_rejected_booking_frees_the_slot(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        coordinator: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space(requires_approval=True)
        pending = (
            await book(participation, resident, space, slot("2027-01-19", "09:00", "10:00"))
        ).json()

        rejected = await participation.post(
            f"{API}/bookings/{pending['id']}/transitions",
            json={"to": "rejected"},
            headers=coordinator,
        )
        again = await book(participation, resident, space, slot("2027-01-19", "09:00", "10:00"))

        assert rejected.json()["status"] == "rejected"
        assert again.status_code == 201
