"""The guarantees hold between real processes: the gateway in front of the service."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from shared.auth import Role
from shared.settings import Settings
from tests.participation.conftest import API, EVERY_DAY_8_TO_20, bearer
from tests.participation.proposal_helpers import HOUSING_LAB, resident, staff
from tests.participation.test_bookings import slot
from tests.participation.test_events import event_body, person

pytestmark = pytest.mark.slow


class TestThroughTheGateway:
    async def test_fifty_overlapping_bookings_at_once_confirm_exactly_one(
        self, gateway: httpx.AsyncClient, settings: Settings, celje_hub: dict[str, Any]
    ) -> None:
        created = await gateway.post(
            f"{API}/hubs/{celje_hub['id']}/spaces",
            json={
                "slug": f"gateway-contention-{uuid.uuid4().hex[:8]}",
                "name": {"en": "Contention room"},
                "kind": "room",
                "capacity": 4,
                "opening_hours": EVERY_DAY_8_TO_20,
                "buffer_minutes": 10,
            },
            headers=bearer(settings, Role.COORDINATOR),
        )
        assert created.status_code == 201, created.text
        space_id = created.json()["id"]

        answers = await asyncio.gather(
            *(
                gateway.post(
                    f"{API}/bookings",
                    json={"space_id": space_id, **slot("2027-02-02", "09:00", "10:00")},
                    headers=bearer(settings, Role.EDITOR),
                )
                for _ in range(50)
            )
        )

        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201] + [409] * 49
        conflict = next(answer for answer in answers if answer.status_code == 409)
        assert conflict.headers["content-type"] == "application/problem+json"
        assert conflict.json()["conflicting"]["starts_at"] == "2027-02-02T09:00:00Z"

    async def test_thirty_registrations_at_once_fill_five_seats_and_a_waitlist(
        self, gateway: httpx.AsyncClient, settings: Settings
    ) -> None:
        event = await gateway.post(
            f"{API}/events", json=event_body(), headers=bearer(settings, Role.COORDINATOR)
        )
        assert event.status_code == 201, event.text
        url = f"{API}/events/{event.json()['id']}/registrations"

        answers = await asyncio.gather(*(gateway.post(url, json=person()) for _ in range(30)))

        bodies = [answer.json() for answer in answers]
        assert [answer.status_code for answer in answers] == [201] * 30
        assert sum(body["status"] == "confirmed" for body in bodies) == 5
        positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
        assert positions == list(range(1, 26))


class TestResidentsThroughTheGateway:
    async def test_an_idea_in_the_housing_lab_gets_twenty_supports_at_once_and_an_answer(
        self, gateway: httpx.AsyncClient, settings: Settings
    ) -> None:
        author = resident(settings, "Ana")
        proposed = await gateway.post(
            f"{API}/labs/{HOUSING_LAB}/proposals",
            json={"title": {"sl": "Skupnostna pralnica"}, "body": {"sl": "V vsakem bloku."}},
            headers=author,
        )
        assert proposed.status_code == 201, proposed.text
        url = f"{API}/proposals/{proposed.json()['id']}"
        assert proposed.headers["Location"].startswith(f"http://{settings.host}:")

        supporters = [resident(settings, f"S{n}") for n in range(20)]
        answers = await asyncio.gather(
            *(gateway.post(f"{url}/supports", headers=headers) for headers in supporters)
        )
        second = await gateway.post(f"{url}/supports", headers=supporters[0])
        answered = await gateway.post(
            f"{url}/answer",
            json={"text": {"sl": "Preučujemo."}, "state": "evaluating"},
            headers=staff(settings, Role.COORDINATOR),
        )

        assert [answer.status_code for answer in answers] == [201] * 20
        assert second.status_code == 409
        assert second.headers["content-type"] == "application/problem+json"
        assert (await gateway.get(url)).json()["supports"] == 20
        assert answered.status_code == 200 and answered.json()["state"] == "evaluating"
