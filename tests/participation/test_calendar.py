"""iCalendar feeds: stable UIDs, growing SEQUENCE, cancellations, local times with TZID."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from icalendar import Calendar

from tests.participation.conftest import API, Headers, SpaceFactory
from tests.participation.test_bookings import book, slot
from tests.participation.test_events import create_event


def vevents(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(component["uid"]): component for component in calendar.walk("VEVENT")}


class TestEventCalendar:
    async def test_an_event_keeps_its_uid_and_its_sequence_follows_changes(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator)
        url = f"{API}/events/{event['id']}"
        uid = f"event-{event['id']}@participation.magnet-celje.si"

        before = vevents(await participation.get(f"{url}.ics"))[uid]
        patched = await participation.patch(
            url, json={"title": {"en": "Moved online"}}, headers={**coordinator, "If-Match": '"v1"'}
        )
        changed = vevents(await participation.get(f"{url}.ics"))[uid]
        await participation.delete(
            url, headers={**coordinator, "If-Match": patched.headers["etag"]}
        )
        cancelled = vevents(await participation.get(f"{url}.ics"))[uid]

        assert (int(before["sequence"]), str(before["status"])) == (1, "CONFIRMED")
        assert (int(changed["sequence"]), str(changed["summary"])) == (2, "Moved online")
        assert (int(cancelled["sequence"]), str(cancelled["status"])) == (3, "CANCELLED")

    async def test_times_are_local_with_their_time_zone(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator)  # 16:00 UTC = 17:00 in Celje

        response = await participation.get(f"{API}/events/{event['id']}.ics")

        text = response.text
        assert "DTSTART;TZID=Europe/Ljubljana:20270310T170000" in text
        assert "BEGIN:VTIMEZONE" in text
        assert "TZID:Europe/Ljubljana" in text

    async def test_the_feed_lists_public_events_only(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        public = await create_event(participation, coordinator)
        private = await create_event(participation, coordinator, is_public=False)

        feed = vevents(await participation.get(f"{API}/events.ics", params={"lang": "sl"}))

        assert f"event-{public['id']}@participation.magnet-celje.si" in feed
        assert f"event-{private['id']}@participation.magnet-celje.si" not in feed
        summary = feed[f"event-{public['id']}@participation.magnet-celje.si"]["summary"]
        assert str(summary) == "Delavnica: skupnostno bivanje"


class TestTextIsEscaped:
    """RFC 5545 §3.3.11: a title with line breaks, `;`, `,` and `\\` once made a 500
    (X-WR-CALNAME was written raw); every text property is escaped now."""

    TITLE = "Stanovanja;\r\nhousing, together \\ zdaj\rnow\x07"
    EXPECTED = "Stanovanja;\nhousing, together \\ zdaj\nnow"

    @pytest.mark.parametrize("path", ["/events/{id}.ics", "/events.ics"])
    async def test_a_title_with_line_breaks_and_separators_survives_a_round_trip(
        self, participation: httpx.AsyncClient, coordinator: Headers, path: str
    ) -> None:
        event = await create_event(
            participation,
            coordinator,
            title={"en": self.TITLE},
            description={"en": self.TITLE},
            address=self.TITLE,
        )

        response = await participation.get(f"{API}{path.format(id=event['id'])}")

        uid = f"event-{event['id']}@participation.magnet-celje.si"
        component = vevents(response)[uid]
        assert str(component["summary"]) == self.EXPECTED
        assert str(component["description"]) == self.EXPECTED
        assert str(component["location"]) == self.EXPECTED
        if path.startswith("/events/"):
            # The library keeps an X- property's value as written: escaped by §3.3.11.
            escaped = self.EXPECTED.replace("\\", "\\\\").replace(";", "\\;")
            escaped = escaped.replace(",", "\\,").replace("\n", "\\n")
            calendar = Calendar.from_ical(response.content)
            assert str(calendar["x-wr-calname"]) == escaped


class TestBookingCalendar:
    async def test_a_hub_feed_shows_bookings_and_their_purpose_only_to_coordinators(
        self,
        participation: httpx.AsyncClient,
        resident: Headers,
        coordinator: Headers,
        new_space: SpaceFactory,
    ) -> None:
        space = await new_space()
        booking = (
            await book(participation, resident, space, slot("2027-01-20", "09:00", "10:00"))
        ).json()
        await participation.delete(
            f"{API}/bookings/{booking['id']}", headers={**resident, "If-Match": '"v1"'}
        )
        url = f"{API}/hubs/{space['hub_id']}/bookings.ics"
        uid = f"booking-{booking['id']}@participation.magnet-celje.si"

        public = vevents(await participation.get(url))[uid]
        managed = vevents(await participation.get(url, headers=coordinator))[uid]

        assert str(public["summary"]) == "Test room: booked"
        assert str(managed["summary"]) == "Test room: Workshop on shared housing"
        assert (str(public["status"]), int(public["sequence"])) == ("CANCELLED", 2)
