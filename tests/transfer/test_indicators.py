"""Indicators in IATI's result model, derived progress, and reports frozen at submission."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.transfer.test_plans import BASE, create_plan


async def new_indicator(
    api: httpx.AsyncClient, city: str, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    plan = await create_plan(api, city, headers)
    body = {"code": "I1", "title": {"en": "Indicator"}, "unit": "people", **fields}
    response = await api.post(
        f"{BASE}/{city}/plans/{plan['id']}/indicators", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    indicator: dict[str, Any] = response.json()
    return indicator


def period(start: str, end: str, actual: float | None = None) -> dict[str, Any]:
    return {"start": start, "end": end, "actual": actual}


class TestPeriods:
    async def test_overlapping_periods_in_one_request_are_a_422(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        plan = await create_plan(api, city, partner)
        response = await api.post(
            f"{BASE}/{city}/plans/{plan['id']}/indicators",
            json={
                "code": "I1",
                "title": {"en": "x"},
                "unit": "u",
                "periods": [
                    period("2026-01-01", "2026-06-30"),
                    period("2026-06-30", "2026-12-31"),
                ],
            },
            headers=partner,
        )
        assert response.status_code == 422
        assert "overlap" in response.json()["errors"][0]["msg"]

    async def test_a_period_must_end_after_it_starts(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        indicator = await new_indicator(api, city, partner)
        response = await api.post(
            f"{BASE}/{city}/indicators/{indicator['id']}/periods",
            json=period("2026-02-01", "2026-02-01"),
            headers=partner,
        )
        assert response.status_code == 422

    async def test_the_database_refuses_overlaps_even_from_concurrent_writers(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        indicator = await new_indicator(api, city, partner)
        url = f"{BASE}/{city}/indicators/{indicator['id']}/periods"
        bodies = [period(f"2026-01-{day:02d}", f"2026-03-{day:02d}", day) for day in range(1, 11)]

        responses = await asyncio.gather(*(api.post(url, json=b, headers=partner) for b in bodies))

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [409] * 9
        stored = (await api.get(f"{BASE}/{city}/indicators/{indicator['id']}")).json()
        assert len(stored["periods"]) == 1
        assert stored["version"] == 2


class TestDerivedProgress:
    @pytest.mark.parametrize(
        ("fields", "actuals", "expected"),
        [
            ({"baseline": {"value": 0}, "target": {"value": 200}}, [50, 150], 0.75),
            ({"baseline": {"value": 0}, "target": {"value": 200}}, [150, 50], 0.25),
            ({"baseline": {"value": 0}, "target": {"value": 100}}, [250], 1.0),
            ({"baseline": {"value": 100}, "target": {"value": 200}}, [40], 0.0),
            (
                {"ascending": False, "baseline": {"value": 40}, "target": {"value": 20}},
                [30],
                0.5,
            ),
            ({"baseline": {"value": 10}, "target": {"value": 10}}, [12], 1.0),
            ({"baseline": {"value": 0}, "target": {"value": 10}}, [], 0.0),
            ({"target": {"value": 10}}, [5], None),
            (
                {"measure": "qualitative", "baseline": {"value": 0}, "target": {"value": 1}},
                [1],
                None,
            ),
        ],
    )
    async def test_progress_comes_from_baseline_target_latest_actual_and_direction(
        self,
        api: httpx.AsyncClient,
        city: str,
        partner: dict[str, str],
        fields: dict[str, Any],
        actuals: list[float],
        expected: float | None,
    ) -> None:
        periods = [
            period(f"202{6 + index}-01-01", f"202{6 + index}-12-31", actual)
            for index, actual in enumerate(actuals)
        ]
        indicator = await new_indicator(api, city, partner, periods=periods, **fields)

        assert indicator["progress"] == expected
        assert indicator["latest_actual"] == (actuals[-1] if actuals else None)

    async def test_progress_cannot_be_typed_in(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        plan = await create_plan(api, city, partner)
        response = await api.post(
            f"{BASE}/{city}/plans/{plan['id']}/indicators",
            json={"code": "I", "title": {"en": "x"}, "unit": "u", "progress": 1},
            headers=partner,
        )
        assert response.status_code == 422

    async def test_a_target_on_the_wrong_side_of_the_baseline_is_a_422(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        plan = await create_plan(api, city, partner)
        response = await api.post(
            f"{BASE}/{city}/plans/{plan['id']}/indicators",
            json={
                "code": "I",
                "title": {"en": "x"},
                "unit": "u",
                "ascending": True,
                "baseline": {"value": 10},
                "target": {"value": 5},
            },
            headers=partner,
        )
        assert response.status_code == 422


class TestReports:
    async def test_submission_freezes_a_snapshot_and_corrections_make_revisions(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        indicator = await new_indicator(
            api,
            city,
            partner,
            baseline={"value": 0},
            target={"value": 10},
            periods=[period("2026-01-01", "2026-06-30", 4)],
        )
        plan_id = indicator["plan_id"]
        created = await api.post(
            f"{BASE}/{city}/plans/{plan_id}/reports",
            json={
                "period_start": "2026-01-01",
                "period_end": "2026-06-30",
                "narrative": {"en": "First half"},
            },
            headers=partner,
        )
        assert created.status_code == 201, created.text
        report = created.json()
        url = f"{BASE}/{city}/reports/{report['id']}"
        assert report["status"] == "draft"
        assert (await api.get(url)).status_code == 404  # drafts are not public

        submitted = await api.post(f"{url}/submit", headers=partner)
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["revision"] == 1
        assert submitted.json()["snapshot"] == [
            {
                "indicator_id": indicator["id"],
                "code": "I1",
                "baseline": 0.0,
                "target": 10.0,
                "actual": 4.0,
                "progress": 0.4,
            }
        ]
        public = await api.get(url)
        assert public.status_code == 200
        assert public.json() == submitted.json()

        # A later actual does not change the frozen report.
        await api.patch(
            f"{BASE}/{city}/indicators/{indicator['id']}",
            json={"periods": [period("2026-01-01", "2026-06-30", 6)]},
            headers={**partner, "If-Match": f'"v{indicator["version"]}"'},
        )
        assert (await api.get(url)).json()["snapshot"][0]["actual"] == 4.0
        frozen = await api.patch(
            url,
            json={"narrative": {"en": "Edited"}},
            headers={**partner, "If-Match": f'"v{submitted.json()["version"]}"'},
        )
        assert frozen.status_code == 409

        corrected = await api.post(
            f"{url}/corrections", json={"narrative": {"en": "Corrected"}}, headers=partner
        )
        assert corrected.status_code == 200, corrected.text
        assert corrected.json()["revision"] == 2
        assert corrected.json()["snapshot"][0]["actual"] == 6.0
        revisions = (await api.get(f"{url}/revisions")).json()
        assert [(r["revision"], r["narrative"]["en"]) for r in revisions] == [
            (1, "First half"),
            (2, "Corrected"),
        ]
        assert revisions[0]["snapshot"][0]["actual"] == 4.0
