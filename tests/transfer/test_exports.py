"""Exports of a city's indicators for partner cities' own EU reporting."""

from __future__ import annotations

import csv
import io

import httpx

from tests.transfer.test_plans import BASE
from tests.transfer.test_sync import batch, push


class TestExports:
    async def test_csv_has_one_row_per_period(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch(milestones=0)
        body["indicators"][0]["periods"].append(
            {
                "start": "2026-07-01",
                "end": "2026-12-31",
                "actual": 20,
                "comment": {"en": "Second half", "hr": "Drugo polugodište"},
            }
        )
        assert (await push(api, city, partner, body)).status_code == 200

        response = await api.get(f"{BASE}/{city}/indicators.csv", params={"lang": "hr"})

        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        rows = read_csv(response)
        assert [(r["code"], r["period_start"], r["actual"]) for r in rows] == [
            ("HOMES", "2026-01-01", "10.0"),
            ("HOMES", "2026-07-01", "20.0"),
        ]
        assert rows[0]["title"] == "Homes renovated"
        assert rows[0]["progress"] == "0.5"
        assert [r["comment"] for r in rows] == ["", "Drugo polugodište"]

    async def test_csv_cells_never_start_a_formula_and_keep_their_letters(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch(milestones=0)
        indicator = body["indicators"][0]
        indicator["title"] = {"en": '=HYPERLINK("http://evil.example","click")'}
        indicator["unit"] = "+cmd|' /C calc'!A0"
        indicator["periods"][0]["comment"] = {"en": "  @SUM(A1:A9)", "sl": "Žiga Čeč"}
        assert (await push(api, city, partner, body)).status_code == 200

        english = read_csv(await api.get(f"{BASE}/{city}/indicators.csv?lang=en"))
        slovenian = read_csv(await api.get(f"{BASE}/{city}/indicators.csv?lang=sl"))

        [row] = english
        assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
        assert row["unit"] == "'+cmd|' /C calc'!A0"
        assert row["comment"] == "'  @SUM(A1:A9)"
        assert [r["comment"] for r in slovenian] == ["Žiga Čeč"]
        for cell in (value for r in english + slovenian for value in r.values()):
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), cell


def read_csv(response: httpx.Response) -> list[dict[str, str]]:
    """Read the file as a spreadsheet would: UTF-8 announced by a BOM, CRLF line ends."""
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n") > 0
    return list(csv.DictReader(io.StringIO(text, newline="")))

    async def test_an_unknown_city_is_a_404(self, api: httpx.AsyncClient) -> None:
        assert (await api.get(f"{BASE}/atlantis/indicators.csv")).status_code == 404
