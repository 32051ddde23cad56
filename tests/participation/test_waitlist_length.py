"""The waitlist length an event shows is counted by the database, whatever changed it."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from shared.db import libpq_url
from tests.participation.conftest import API, Headers
from tests.participation.test_events import create_event, register


async def _counted(database_url: str, event_id: str) -> tuple[int, int]:
    """(the event's waitlist_length, its waitlisted registrations counted one by one)."""
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT waitlist_length, (SELECT count(*) FROM participation.registrations"
            " WHERE event_id = events.id AND status = 'waitlisted') AS counted"
            " FROM participation.events WHERE id = $1::uuid",
            event_id,
        )
    finally:
        await connection.close()
    return row["waitlist_length"], row["counted"]


async def test_registering_cancelling_and_promoting_keep_the_waitlist_length_true(
    participation: httpx.AsyncClient, coordinator: Headers, database_url: str
) -> None:
    event = await create_event(participation, coordinator, capacity=2)
    registered = [(await register(participation, event)).json() for _ in range(5)]

    def cancel(registration: dict[str, Any]) -> Any:
        return participation.delete(
            f"{API}/events/{event['id']}/registrations/{registration['id']}",
            headers={"X-Cancel-Token": registration["cancel_token"], "If-Match": '"v1"'},
        )

    # A confirmed seat freed (the first waiting is promoted), one waiting person leaves,
    # and more people register meanwhile.
    storm = [register(participation, event) for _ in range(6)]
    results = await asyncio.gather(cancel(registered[0]), cancel(registered[4]), *storm)
    raised = await participation.patch(
        f"{API}/events/{event['id']}",
        json={"capacity": 4},
        headers={
            **coordinator,
            "Content-Type": "application/merge-patch+json",
            "If-Match": (await participation.get(f"{API}/events/{event['id']}")).headers["ETag"],
        },
    )
    shown = (await participation.get(f"{API}/events/{event['id']}")).json()

    assert sorted(r.status_code for r in results) == [201] * 6 + [204] * 2
    assert raised.status_code == 200, raised.text
    # 5 + 6 registered, 2 cancelled: 9 hold or wait for one of 4 seats.
    assert (shown["confirmed"], shown["waitlisted"]) == (4, 5)
    assert await _counted(database_url, event["id"]) == (5, 5)
