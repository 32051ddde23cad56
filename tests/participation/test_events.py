"""Events reserve their space; registrations fill seats, then a waitlist, under a row lock."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.participation.conftest import API, Headers, SpaceFactory
from tests.participation.test_bookings import book, slot

EventFactory = Any


def event_body(**fields: Any) -> dict[str, Any]:
    return {
        "title": {"sl": "Delavnica: skupnostno bivanje", "en": "Workshop: community housing"},
        "address": "Ljubljanska cesta 1, Celje",
        "starts_at": "2027-03-10T16:00:00Z",
        "ends_at": "2027-03-10T18:00:00Z",
        "capacity": 5,
        **fields,
    }


async def create_event(
    client: httpx.AsyncClient, coordinator: Headers, **fields: Any
) -> dict[str, Any]:
    response = await client.post(f"{API}/events", json=event_body(**fields), headers=coordinator)
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


def person(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Ana Novak",
        "email": f"ana-{uuid.uuid4().hex[:8]}@example.org",
        "consent": True,
        **fields,
    }


async def register(
    client: httpx.AsyncClient, event: dict[str, Any], body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(f"{API}/events/{event['id']}/registrations", json=body or person())


class TestEventCreation:
    async def test_an_event_in_a_space_reserves_it(
        self,
        participation: httpx.AsyncClient,
        coordinator: Headers,
        resident: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space()

        event = await create_event(participation, coordinator, address=None, space_id=space["id"])
        clash = await book(participation, resident, space, slot("2027-03-10", "17:00", "18:00"))

        assert (event["space_id"], event["hub_id"]) == (space["id"], space["hub_id"])
        assert (event["confirmed"], event["waitlisted"], event["seats_left"]) == (0, 0, 5)
        assert event["registration_open"] is True
        assert clash.status_code == 409

    async def test_a_taken_space_refuses_the_event_and_nothing_is_created(
        self,
        participation: httpx.AsyncClient,
        coordinator: Headers,
        resident: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space()
        assert (
            await book(participation, resident, space, slot("2027-03-10", "15:00", "16:30"))
        ).status_code == 201
        title = {"en": f"Never created {uuid.uuid4().hex[:6]}"}

        response = await participation.post(
            f"{API}/events",
            json=event_body(address=None, space_id=space["id"], title=title),
            headers=coordinator,
        )

        assert response.status_code == 409
        assert response.json()["conflicting"]["starts_at"] == "2027-03-10T15:00:00Z"
        listed = (
            await participation.get(
                f"{API}/events",
                params={"from": "2027-03-10T00:00:00Z", "to": "2027-03-11T00:00:00Z", "limit": 100},
                headers=coordinator,
            )
        ).json()["items"]
        assert title not in [event["title"] for event in listed]

    async def test_an_event_needs_a_space_or_an_address_and_an_end_after_its_start(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        neither = await participation.post(
            f"{API}/events", json=event_body(address=None), headers=coordinator
        )
        backwards = await participation.post(
            f"{API}/events", json=event_body(ends_at="2027-03-10T15:00:00Z"), headers=coordinator
        )

        assert (neither.status_code, backwards.status_code) == (422, 422)

    async def test_residents_cannot_create_events(
        self, participation: httpx.AsyncClient, resident: Headers
    ) -> None:
        response = await participation.post(f"{API}/events", json=event_body(), headers=resident)

        assert response.status_code == 403

    async def test_cancelling_an_event_frees_its_space(
        self,
        participation: httpx.AsyncClient,
        coordinator: Headers,
        resident: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space()
        event = await create_event(participation, coordinator, address=None, space_id=space["id"])

        cancelled = await participation.delete(
            f"{API}/events/{event['id']}", headers={**coordinator, "If-Match": '"v1"'}
        )
        booked = await book(participation, resident, space, slot("2027-03-10", "16:00", "18:00"))
        after = (await participation.get(f"{API}/events/{event['id']}")).json()

        assert cancelled.status_code == 204
        assert booked.status_code == 201
        assert (after["status"], after["registration_open"]) == ("cancelled", False)


class TestRegistration:
    async def test_seats_then_a_waitlist_with_positions(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator, capacity=2)

        answers = [await register(participation, event) for _ in range(4)]

        assert [a.status_code for a in answers] == [201] * 4
        bodies = [a.json() for a in answers]
        assert [b["status"] for b in bodies] == [
            "confirmed",
            "confirmed",
            "waitlisted",
            "waitlisted",
        ]
        assert [b["waitlist_position"] for b in bodies] == [None, None, 1, 2]
        assert all(len(b["cancel_token"]) >= 32 for b in bodies)
        public = (await participation.get(f"{API}/events/{event['id']}")).json()
        assert (public["confirmed"], public["waitlisted"], public["seats_left"]) == (2, 2, 0)

    async def test_the_same_email_twice_is_a_409(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator, capacity=1)
        body = person()

        first = await register(participation, event, body)
        seen = (await participation.get(f"{API}/events/{event['id']}")).json()
        again = await register(participation, event, {**body, "email": body["email"].upper()})
        after = (await participation.get(f"{API}/events/{event['id']}")).json()
        waiting = await register(participation, event)

        assert (first.status_code, again.status_code) == (201, 409)
        # The refused registration took no place: the event is as the first one left it,
        # and the next person waits first in line.
        assert after == seen
        assert (after["confirmed"], after["waitlisted"]) == (1, 0)
        assert waiting.json()["waitlist_position"] == 1

    async def test_consent_is_required(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator)

        refused = await register(participation, event, person(consent=False))
        missing = await register(participation, event, {"name": "Ana", "email": "a@example.org"})

        assert (refused.status_code, missing.status_code) == (422, 422)
        assert "Ana" not in refused.text  # validation errors never echo personal data

    async def test_registration_outside_the_window_is_a_409(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        closed = await create_event(
            participation, coordinator, registration_closes_at="2026-01-01T00:00:00Z"
        )
        not_yet = await create_event(
            participation, coordinator, registration_opens_at="2027-03-01T00:00:00Z"
        )

        before = [
            (await participation.get(f"{API}/events/{event['id']}")).json()
            for event in (closed, not_yet)
        ]

        assert (await register(participation, closed)).status_code == 409
        assert (await register(participation, not_yet)).status_code == 409
        after = [
            (await participation.get(f"{API}/events/{event['id']}")).json()
            for event in (closed, not_yet)
        ]
        assert after == before  # no seat taken, no version moved

    async def test_a_private_event_is_invisible_to_the_public(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator, is_public=False)

        assert (await participation.get(f"{API}/events/{event['id']}")).status_code == 404
        assert (await register(participation, event)).status_code == 404


class TestCancellationAndWaitlist:
    async def test_cancelling_gives_the_seat_to_the_first_person_waiting(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator, capacity=1)
        seated, first_waiting, second_waiting = [
            (await register(participation, event)).json() for _ in range(3)
        ]
        url = f"{API}/events/{event['id']}/registrations"

        without_token = await participation.delete(
            f"{url}/{seated['id']}", headers={"If-Match": '"v1"'}
        )
        without_if_match = await participation.delete(
            f"{url}/{seated['id']}", headers={"X-Cancel-Token": seated["cancel_token"]}
        )
        cancelled = await participation.delete(
            f"{url}/{seated['id']}",
            headers={"X-Cancel-Token": seated["cancel_token"], "If-Match": '"v1"'},
        )

        assert without_token.status_code == 404
        assert without_if_match.status_code == 428
        assert cancelled.status_code == 204
        promoted = await participation.get(
            f"{url}/{first_waiting['id']}",
            headers={"X-Cancel-Token": first_waiting["cancel_token"]},
        )
        still_waiting = await participation.get(
            f"{url}/{second_waiting['id']}",
            headers={"X-Cancel-Token": second_waiting["cancel_token"]},
        )
        assert (promoted.json()["status"], promoted.json()["waitlist_position"]) == (
            "confirmed",
            None,
        )
        assert (still_waiting.json()["status"], still_waiting.json()["waitlist_position"]) == (
            "waitlisted",
            1,
        )
        counts = (await participation.get(f"{API}/events/{event['id']}")).json()
        assert (counts["confirmed"], counts["waitlisted"]) == (1, 1)

    async def test_raising_the_capacity_seats_people_waiting(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator, capacity=1)
        for _ in range(3):
            await register(participation, event)
        current = await participation.get(f"{API}/events/{event['id']}")

        raised = await participation.patch(
            f"{API}/events/{event['id']}",
            json={"capacity": 2},
            headers={**coordinator, "If-Match": current.headers["etag"]},
        )
        lowered = await participation.patch(
            f"{API}/events/{event['id']}",
            json={"capacity": 1},
            headers={**coordinator, "If-Match": raised.headers["etag"]},
        )

        assert raised.status_code == 200, raised.text
        assert (raised.json()["confirmed"], raised.json()["waitlisted"]) == (2, 1)
        assert lowered.status_code == 409


class TestPersonalData:
    async def test_coordinators_see_registrants_and_export_them(
        self, participation: httpx.AsyncClient, coordinator: Headers, resident: Headers
    ) -> None:
        event = await create_event(participation, coordinator)
        body = person(name="=HYPERLINK(evil)", age_band="65-plus")
        await register(participation, event, body)
        url = f"{API}/events/{event['id']}/registrations"

        public = await participation.get(url)
        by_resident = await participation.get(url, headers=resident)
        listed = await participation.get(url, headers=coordinator)
        exported = await participation.get(f"{url}.csv", headers=coordinator)

        assert (public.status_code, by_resident.status_code) == (401, 403)
        assert [r["email"] for r in listed.json()["items"]] == [body["email"]]
        assert exported.headers["content-type"].startswith("text/csv")
        lines = exported.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "name,email,age_band,status,waitlist_position,attended,registered_at"
        assert lines[1].startswith(f"'=HYPERLINK(evil),{body['email']},65-plus,confirmed,,False,")
        assert body["email"] not in (await participation.get(f"{API}/events/{event['id']}")).text

    async def test_erasure_forgets_the_person_but_keeps_the_counts(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator)
        registration = (await register(participation, event, person(age_band="15-29"))).json()
        url = f"{API}/events/{event['id']}/registrations/{registration['id']}"

        erased = await participation.post(
            f"{url}/erasure", headers={"X-Cancel-Token": registration["cancel_token"]}
        )

        assert erased.status_code == 204
        after = (await participation.get(url, headers=coordinator)).json()
        assert (after["name"], after["email"], after["erased"]) == (None, None, True)
        assert (after["status"], after["age_band"]) == ("confirmed", "15-29")
        assert (await participation.get(f"{API}/events/{event['id']}")).json()["confirmed"] == 1


class TestRegistrationConcurrency:
    async def test_thirty_simultaneous_registrations_for_five_seats(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator, capacity=5)

        answers = await asyncio.gather(*(register(participation, event) for _ in range(30)))

        assert [a.status_code for a in answers] == [201] * 30, [a.text for a in answers]
        bodies = [a.json() for a in answers]
        confirmed = [b for b in bodies if b["status"] == "confirmed"]
        waitlisted = [b for b in bodies if b["status"] == "waitlisted"]
        assert len(confirmed) == 5
        assert len(waitlisted) == 25
        assert sorted(b["waitlist_position"] for b in waitlisted) == list(range(1, 26))

    async def test_a_cancellation_during_a_storm_never_leaves_a_seat_free_with_people_waiting(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator, capacity=3)
        seated = [(await register(participation, event)).json() for _ in range(3)]

        def cancel(registration: dict[str, Any]) -> Any:
            return participation.delete(
                f"{API}/events/{event['id']}/registrations/{registration['id']}",
                headers={"X-Cancel-Token": registration["cancel_token"], "If-Match": '"v1"'},
            )

        storm = [register(participation, event) for _ in range(20)]
        results = await asyncio.gather(*storm[:10], *map(cancel, seated[:2]), *storm[10:])

        assert sorted(r.status_code for r in results) == [201] * 20 + [204] * 2
        listed = (
            await participation.get(
                f"{API}/events/{event['id']}/registrations",
                params={"limit": 100},
                headers=coordinator,
            )
        ).json()["items"]
        statuses = [r["status"] for r in listed]
        assert statuses.count("confirmed") == 3
        assert statuses.count("waitlisted") == 18
        assert statuses.count("cancelled") == 2
        positions = sorted(r["waitlist_position"] for r in listed if r["status"] == "waitlisted")
        assert positions == list(range(1, 19))
