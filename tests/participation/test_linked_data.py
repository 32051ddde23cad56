"""Events as schema.org `Event`, hubs and spaces as schema.org `Place` (API.md §4)."""

from __future__ import annotations

from typing import Any

import httpx

from shared.settings import Settings
from tests.participation.conftest import API, Headers, SpaceFactory
from tests.participation.test_events import create_event

LD = {"Accept": "application/ld+json"}


async def linked_data(client: httpx.AsyncClient, path: str, **headers: str) -> dict[str, Any]:
    response = await client.get(path, headers={**LD, **headers})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    assert "Accept" in response.headers["vary"]
    document: dict[str, Any] = response.json()
    assert document["@context"] == "https://schema.org"
    return document


class TestEventAsSchemaOrgEvent:
    async def test_an_event_in_a_hub_space_is_an_event_at_that_place(
        self,
        participation: httpx.AsyncClient,
        coordinator: Headers,
        new_space: SpaceFactory,
        settings: Settings,
        celje_hub: dict[str, Any],
    ) -> None:
        space = await new_space(name={"en": "Workshop room", "sl": "Delavnica"}, capacity=30)
        event = await create_event(
            participation, coordinator, address=None, space_id=space["id"], capacity=12
        )

        document = await linked_data(participation, f"{API}/events/{event['id']}?lang=sl")

        link = f"{settings.public_base_url}{API}/events/{event['id']}"
        assert document["@type"] == "Event"
        assert document["@id"] == document["url"] == link
        assert document["name"] == "Delavnica: skupnostno bivanje"
        assert document["startDate"] == "2027-03-10T17:00:00+01:00"  # Europe/Ljubljana
        assert document["endDate"] == "2027-03-10T19:00:00+01:00"
        assert document["eventStatus"] == "https://schema.org/EventScheduled"
        assert document["maximumAttendeeCapacity"] == 12
        assert document["remainingAttendeeCapacity"] == 12
        assert document["organizer"]["@type"] == "Organization"
        place = document["location"]
        assert place["@type"] == "Place"
        assert place["@id"] == f"{settings.public_base_url}{API}/spaces/{space['id']}"
        assert place["name"] == "Delavnica"
        assert place["address"]["@type"] == "PostalAddress"
        assert place["address"]["addressLocality"] == celje_hub["town"]
        assert place["containedInPlace"]["@id"].endswith(f"/hubs/{celje_hub['id']}")

    async def test_a_cancelled_event_says_so(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator)
        cancelled = await participation.delete(
            f"{API}/events/{event['id']}", headers={**coordinator, "If-Match": '"v1"'}
        )
        assert cancelled.status_code == 204, cancelled.text

        document = await linked_data(participation, f"{API}/events/{event['id']}")

        assert document["eventStatus"] == "https://schema.org/EventCancelled"
        assert "offers" not in document

    async def test_an_event_at_an_address_is_located_at_that_address(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator)

        document = await linked_data(
            participation, f"{API}/events/{event['id']}", **{"Accept-Language": "en"}
        )

        assert document["name"] == "Workshop: community housing"
        assert document["location"]["address"] == {
            "@type": "PostalAddress",
            "streetAddress": "Ljubljanska cesta 1, Celje",
        }

    async def test_plain_json_stays_the_default_and_each_form_has_its_etag(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator)
        path = f"{API}/events/{event['id']}"

        plain = await participation.get(path)
        document = await participation.get(path, headers=LD)
        unchanged = await participation.get(
            path, headers={**LD, "If-None-Match": document.headers["etag"]}
        )

        assert plain.headers["content-type"] == "application/json"
        assert plain.json()["id"] == event["id"]
        assert document.headers["etag"] != plain.headers["etag"]
        assert unchanged.status_code == 304


class TestHubsAndSpacesAsSchemaOrgPlaces:
    async def test_a_hub_is_a_place_with_its_address(
        self, participation: httpx.AsyncClient, celje_hub: dict[str, Any], settings: Settings
    ) -> None:
        document = await linked_data(participation, f"{API}/hubs/{celje_hub['id']}?lang=en")

        assert document["@type"] == "Place"
        assert document["@id"] == f"{settings.public_base_url}{API}/hubs/{celje_hub['id']}"
        assert document["name"] == celje_hub["name"]["en"]
        assert document["address"]["addressLocality"] == celje_hub["town"]
        assert document["address"].get("streetAddress") == celje_hub["address"]

    async def test_a_space_is_a_place_in_its_hub_with_opening_hours(
        self, participation: httpx.AsyncClient, new_space: SpaceFactory, celje_hub: dict[str, Any]
    ) -> None:
        space = await new_space(
            capacity=8, opening_hours={"mon": [{"opens": "09:00", "closes": "17:00"}]}
        )

        document = await linked_data(participation, f"{API}/spaces/{space['id']}")

        assert document["@type"] == "Place"
        assert document["maximumAttendeeCapacity"] == 8
        assert document["containedInPlace"]["name"] == celje_hub["name"]["en"]
        assert document["openingHoursSpecification"] == [
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": "https://schema.org/Monday",
                "opens": "09:00:00",
                "closes": "17:00:00",
            }
        ]
