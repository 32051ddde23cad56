"""The registrations CSV opens safely and readably in a spreadsheet."""

from __future__ import annotations

import csv
import io

import httpx

from tests.participation.conftest import API, Headers
from tests.participation.test_events import create_event, person, register


class TestRegistrationsCsv:
    async def test_names_keep_their_letters_and_formulas_stay_inert(
        self, participation: httpx.AsyncClient, coordinator: Headers
    ) -> None:
        event = await create_event(participation, coordinator, capacity=5)
        for name in ("Žiga Čeč", '  =HYPERLINK("http://evil.example","click")', "-1+1"):
            assert (await register(participation, event, person(name=name))).status_code == 201

        exported = await participation.get(
            f"{API}/events/{event['id']}/registrations.csv", headers=coordinator
        )

        assert exported.status_code == 200, exported.text
        assert exported.content.startswith(b"\xef\xbb\xbf")
        text = exported.content.decode("utf-8-sig")
        assert text.count("\r\n") == text.count("\n") == 4
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert [row["name"] for row in rows] == [
            "Žiga Čeč",
            '\'  =HYPERLINK("http://evil.example","click")',
            "'-1+1",
        ]
        assert {row["status"] for row in rows} == {"confirmed"}
