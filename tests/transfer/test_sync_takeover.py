"""A partner's first sync on plans made by staff or the demo data takes them over (API.md §5)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.transfer.test_plans import BASE, create_plan
from tests.transfer.test_sync import batch, plans_of, push, statuses


async def staff_milestone(
    api: httpx.AsyncClient, city: str, headers: dict[str, str], plan_id: str
) -> dict[str, Any]:
    response = await api.post(
        f"{BASE}/{city}/plans/{plan_id}/milestones",
        json={"title": {"en": "Agreed with staff"}, "due": "2026-03-31"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def staff_indicator(
    api: httpx.AsyncClient, city: str, headers: dict[str, str], plan_id: str, code: str
) -> dict[str, Any]:
    response = await api.post(
        f"{BASE}/{city}/plans/{plan_id}/indicators",
        json={"code": code, "title": {"en": "Typed in by staff"}, "unit": "homes"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def children(api: httpx.AsyncClient, city: str, plan_id: str, kind: str) -> list[Any]:
    response = await api.get(f"{BASE}/{city}/plans/{plan_id}/{kind}")
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


class TestPlanTakeover:
    async def test_the_first_batch_takes_over_the_plan_of_its_challenge(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        staff_plan = await create_plan(api, city, partner, title={"en": "Typed by staff"})
        kept = await staff_milestone(api, city, partner, str(staff_plan["id"]))

        response = await push(api, city, partner, batch())

        assert response.status_code == 200, response.text
        answer = response.json()
        assert statuses(answer) == {
            "plans": ["updated"],
            "milestones": ["created", "created"],
            "indicators": ["created"],
            "reports": ["created"],
        }
        assert answer["summary"] == {"created": 4, "updated": 1}
        assert answer["plans"][0]["id"] == staff_plan["id"]
        assert answer["plans"][0]["version"] == 2
        [plan] = await plans_of(api, city)
        assert plan["id"] == staff_plan["id"]
        assert plan["external_id"] == "plan-housing"
        assert plan["title"] == {"en": "Transfer of housing"}
        milestones = await children(api, city, plan["id"], "milestones")
        assert {m["id"] for m in milestones} >= {kept["id"]}
        assert sorted(m["external_id"] or "" for m in milestones) == ["", "m-0", "m-1"]
        [indicator] = await children(api, city, plan["id"], "indicators")
        assert indicator["external_id"] == "i-homes"

        again = await push(api, city, partner, batch())
        assert again.status_code == 200
        assert again.json()["summary"] == {"unchanged": 5}

    async def test_an_indicator_takes_over_the_staff_indicator_with_its_code(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        staff_plan = await create_plan(api, city, partner)
        typed = await staff_indicator(api, city, partner, str(staff_plan["id"]), "HOMES")

        response = await push(api, city, partner, batch())

        assert response.status_code == 200, response.text
        assert response.json()["indicators"][0]["status"] == "updated"
        assert response.json()["indicators"][0]["id"] == typed["id"]
        [indicator] = await children(api, city, str(staff_plan["id"]), "indicators")
        assert indicator["id"] == typed["id"]
        assert indicator["external_id"] == "i-homes"
        assert indicator["title"] == {"en": "Homes renovated"}
        assert [p["actual"] for p in indicator["periods"]] == [10]

    async def test_a_stale_base_version_on_a_takeover_is_a_conflict(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        staff_plan = await create_plan(api, city, partner)
        body = batch()
        body["plans"][0]["base_version"] = 3

        response = await push(api, city, partner, body)

        assert response.status_code == 409, response.text
        [plan] = response.json()["plans"]
        assert plan["status"] == "conflict"
        assert plan["external_id"] == "plan-housing"
        assert plan["current"]["id"] == staff_plan["id"]
        assert plan["current"]["external_id"] is None
        assert plan["current"]["version"] == 1
        [stored] = await plans_of(api, city)
        assert stored["external_id"] is None

    async def test_a_refused_takeover_changes_nothing(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        staff_plan = await create_plan(api, city, partner)
        body = batch()
        body["reports"][0]["period_end"] = "2025-01-01"

        response = await push(api, city, partner, body)

        assert response.status_code == 422, response.text
        assert response.json()["summary"] == {"invalid": 1, "not_applied": 4}
        [stored] = await plans_of(api, city)
        assert stored == {**stored, "id": staff_plan["id"], "external_id": None, "version": 1}

    async def test_concurrent_first_batches_take_the_plan_over_once(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        staff_plan = await create_plan(api, city, partner)

        responses = await asyncio.gather(*(push(api, city, partner, batch()) for _ in range(6)))

        assert [response.status_code for response in responses] == [200] * 6
        summaries = sorted(json.dumps(r.json()["summary"]) for r in responses)
        assert (
            summaries
            == [json.dumps({"created": 4, "updated": 1})] + [json.dumps({"unchanged": 5})] * 5
        )
        [plan] = await plans_of(api, city)
        assert (plan["id"], plan["external_id"], plan["version"]) == (
            staff_plan["id"],
            "plan-housing",
            2,
        )
