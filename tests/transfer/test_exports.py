"""Exports of a city's indicators for partner cities' own EU reporting."""

from __future__ import annotations

import csv
import io

import httpx

from tests.transfer.test_plans import BASE
from tests.transfer.test_sync import batch, push


class TestExports:
    async def test_iati_json_carries_results_indicators_and_periods(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        assert (await push(api, city, partner, batch(milestones=0))).status_code == 200

        response = await api.get(f"{BASE}/{city}/indicators.json")

        assert response.status_code == 200
        body = response.json()
        assert body["iati-version"] == "2.03"
        [result] = body["result"]
        assert result["challenge"] == "housing"
        [indicator] = result["indicator"]
        assert indicator["ref"] == "HOMES"
        assert indicator["measure"] == "1"
        assert indicator["ascending"] == "1"
        assert indicator["title"] == {"narrative": [{"lang": "en", "text": "Homes renovated"}]}
        assert indicator["baseline"] == {"value": 0.0, "iso-date": "2025-12-31"}
        assert indicator["target"] == {"value": 40.0, "iso-date": "2027-12-31"}
        assert indicator["period"][0]["period-start"] == {"iso-date": "2026-01-01"}
        assert indicator["period"][0]["actual"]["value"] == 10.0
        assert indicator["progress"] == 0.25

    async def test_csv_has_one_row_per_period(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch(milestones=0)
        body["indicators"][0]["periods"].append(
            {"start": "2026-07-01", "end": "2026-12-31", "actual": 20}
        )
        assert (await push(api, city, partner, body)).status_code == 200

        response = await api.get(f"{BASE}/{city}/indicators.csv", params={"lang": "en"})

        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [(r["code"], r["period_start"], r["actual"]) for r in rows] == [
            ("HOMES", "2026-01-01", "10.0"),
            ("HOMES", "2026-07-01", "20.0"),
        ]
        assert rows[0]["title"] == "Homes renovated"
        assert rows[0]["progress"] == "0.5"

    async def test_an_unknown_city_is_a_404(self, api: httpx.AsyncClient) -> None:
        assert (await api.get(f"{BASE}/atlantis/indicators.csv")).status_code == 404
