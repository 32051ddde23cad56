"""Push sync: upsert by the partner's keys, atomic batches, idempotent retries."""

from __future__ import annotations

import asyncio
import gzip
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.transfer.test_plans import BASE, plan_body


def batch(milestones: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "plans": [{"external_id": "plan-housing", **plan_body("housing")}],
        "milestones": [
            {
                "external_id": f"m-{index}",
                "plan_external_id": "plan-housing",
                "title": {"en": f"Milestone {index}"},
                "due": "2026-06-30",
            }
            for index in range(milestones)
        ],
        "indicators": [
            {
                "external_id": "i-homes",
                "plan_external_id": "plan-housing",
                "code": "HOMES",
                "title": {"en": "Homes renovated"},
                "unit": "homes",
                "baseline": {"value": 0, "date": "2025-12-31"},
                "target": {"value": 40, "date": "2027-12-31"},
                "periods": [{"start": "2026-01-01", "end": "2026-06-30", "actual": 10}],
            }
        ],
        "reports": [
            {
                "external_id": "r-2026h1",
                "plan_external_id": "plan-housing",
                "period_start": "2026-01-01",
                "period_end": "2026-06-30",
                "narrative": {"hr": "Prvo polugodište"},
            }
        ],
        **extra,
    }


def statuses(answer: dict[str, Any]) -> dict[str, list[str]]:
    return {
        kind: [record["status"] for record in answer[kind]]
        for kind in ("plans", "milestones", "indicators", "reports")
    }


async def push(
    api: httpx.AsyncClient, city: str, headers: dict[str, str], body: Any, key: str | None = None
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await api.post(f"{BASE}/{city}/sync", json=body, headers={**headers, **extra})


async def plans_of(api: httpx.AsyncClient, city: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await api.get(f"{BASE}/{city}/plans")).json()["items"]
    return items


class TestUpsert:
    async def test_create_then_unchanged_then_updated(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        first = await push(api, city, partner, batch())
        assert first.status_code == 200, first.text
        assert first.json()["applied"] is True
        assert statuses(first.json()) == {
            "plans": ["created"],
            "milestones": ["created", "created"],
            "indicators": ["created"],
            "reports": ["created"],
        }
        [plan] = await plans_of(api, city)
        assert plan["external_id"] == "plan-housing"
        assert plan["progress"]["indicators"]["progress"] == 0.25

        again = await push(api, city, partner, batch())
        assert again.status_code == 200
        assert again.json()["summary"] == {"unchanged": 5}
        assert [r["version"] for r in again.json()["milestones"]] == [1, 1]

        changed = batch()
        changed["milestones"][1]["status"] = "done"
        changed["indicators"][0]["periods"].append(
            {"start": "2026-07-01", "end": "2026-12-31", "actual": 30}
        )
        third = await push(api, city, partner, changed)
        assert third.status_code == 200
        assert statuses(third.json())["milestones"] == ["unchanged", "updated"]
        assert third.json()["milestones"][1]["version"] == 2
        assert third.json()["indicators"][0]["status"] == "updated"
        [plan] = await plans_of(api, city)
        assert plan["progress"]["milestones"] == {"total": 2, "done": 1, "progress": 0.5}
        assert plan["progress"]["indicators"]["progress"] == 0.75

    async def test_a_child_of_an_unknown_plan_is_invalid(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch()
        body["milestones"][0]["plan_external_id"] = "nowhere"
        response = await push(api, city, partner, body)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["milestones"][0] == {
            "external_id": "m-0",
            "status": "invalid",
            "id": None,
            "version": None,
            "errors": [
                {
                    "loc": ["milestones", 0, "plan_external_id"],
                    "msg": "no such plan, here or stored",
                    "type": "invalid_record",
                }
            ],
            "current": None,
        }
        assert await plans_of(api, city) == []


class TestUniqueRules:
    """What a unique constraint would refuse is an `invalid` record, never a 500."""

    async def test_a_plan_for_a_challenge_another_synced_plan_holds_is_invalid(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        first = await push(api, city, partner, batch())
        assert first.status_code == 200, first.text
        body = batch()
        body["plans"][0]["external_id"] = "plan-housing-2"
        for kind in ("milestones", "indicators", "reports"):
            body[kind] = []

        response = await push(api, city, partner, body)

        assert response.status_code == 422, response.text
        [plan] = response.json()["plans"]
        assert plan["status"] == "invalid"
        assert plan["errors"][0]["loc"] == ["plans", 0, "challenge"]
        assert "external_id plan-housing)" in plan["errors"][0]["msg"]
        assert [p["external_id"] for p in await plans_of(api, city)] == ["plan-housing"]

    async def test_a_synced_plan_may_move_to_another_challenge(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        assert (await push(api, city, partner, batch())).status_code == 200
        moved = batch()
        moved["plans"][0]["challenge"] = "mobility"

        response = await push(api, city, partner, moved)

        assert response.status_code == 200, response.text
        assert statuses(response.json())["plans"] == ["updated"]
        assert [p["challenge"] for p in await plans_of(api, city)] == ["mobility"]

    async def test_two_indicators_with_one_code_in_one_plan_are_invalid(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch()
        body["indicators"].append(dict(body["indicators"][0], external_id="i-twin"))

        response = await push(api, city, partner, body)

        assert response.status_code == 422, response.text
        assert statuses(response.json())["indicators"] == ["invalid", "invalid"]
        assert response.json()["indicators"][1]["errors"][0]["msg"] == "repeated in this plan"
        assert await plans_of(api, city) == []

    async def test_a_new_indicator_with_a_stored_code_is_invalid(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        assert (await push(api, city, partner, batch())).status_code == 200
        body = batch()
        body["indicators"] = [dict(body["indicators"][0], external_id="i-renamed")]

        response = await push(api, city, partner, body)

        assert response.status_code == 422, response.text
        [indicator] = response.json()["indicators"]
        assert indicator["status"] == "invalid"
        assert indicator["errors"][0]["msg"] == "the plan already has it"


class TestAtomicity:
    async def test_one_invalid_record_last_applies_nothing(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch(milestones=50)
        body["reports"][0]["period_end"] = "2025-01-01"  # ends before it starts

        response = await push(api, city, partner, body)

        assert response.status_code == 422
        answer = response.json()
        assert answer["applied"] is False
        assert answer["summary"] == {"invalid": 1, "not_applied": 52}
        assert answer["reports"][0]["status"] == "invalid"
        assert {r["status"] for r in answer["milestones"]} == {"not_applied"}
        assert await plans_of(api, city) == []

    async def test_one_stale_record_applies_nothing_and_shows_the_current_one(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        assert (await push(api, city, partner, batch())).status_code == 200
        changed = batch(milestones=3)
        changed["plans"][0]["title"] = {"en": "Renamed"}
        changed["plans"][0]["base_version"] = 1
        changed["milestones"][0]["title"] = {"en": "Moved"}
        changed["milestones"][0]["base_version"] = 7

        response = await push(api, city, partner, changed)

        assert response.status_code == 409, response.text
        answer = response.json()
        assert statuses(answer)["plans"] == ["not_applied"]
        assert statuses(answer)["milestones"] == ["conflict", "unchanged", "not_applied"]
        assert answer["summary"] == {"conflict": 1, "not_applied": 2, "unchanged": 3}
        conflict = answer["milestones"][0]
        assert conflict["version"] == 1
        assert conflict["current"]["title"] == {"en": "Milestone 0"}
        assert conflict["current"]["external_id"] == "m-0"
        assert conflict["current"]["plan_external_id"] == "plan-housing"
        [plan] = await plans_of(api, city)
        assert plan["title"] == {"en": "Transfer of housing"}
        assert plan["version"] == 1


class TestIdempotency:
    async def test_a_replay_returns_the_first_answer_byte_for_byte(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        key = str(uuid.uuid4())
        first = await push(api, city, partner, batch(), key)
        replay = await push(api, city, partner, batch(), key)
        other = await push(api, city, partner, batch(milestones=1), key)

        assert first.status_code == replay.status_code == 200
        assert replay.content == first.content
        assert replay.headers["idempotent-replayed"] == "true"
        assert other.status_code == 422

    async def test_a_refused_batch_is_not_kept_and_runs_again_once_fixed(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        holder = {"plans": [{"external_id": "old-housing", **plan_body("housing")}]}
        assert (await push(api, city, partner, holder)).status_code == 200
        key = str(uuid.uuid4())

        refused = await push(api, city, partner, batch(), key)
        again = await push(api, city, partner, batch(), key)
        assert refused.status_code == again.status_code == 422, refused.text
        assert "idempotent-replayed" not in again.headers
        [old] = await plans_of(api, city)
        deleted = await api.delete(
            f"{BASE}/{city}/plans/{old['id']}", headers={**partner, "If-Match": '"v1"'}
        )
        assert deleted.status_code == 204, deleted.text
        fixed = await push(api, city, partner, batch(), key)
        replay = await push(api, city, partner, batch(), key)

        assert fixed.status_code == 200, fixed.text
        assert fixed.json()["summary"] == {"created": 5}
        assert "idempotent-replayed" not in fixed.headers
        assert replay.content == fixed.content
        assert replay.headers["idempotent-replayed"] == "true"
        assert [p["external_id"] for p in await plans_of(api, city)] == ["plan-housing"]

    async def test_twenty_parallel_replays_with_one_key_apply_once(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        key = str(uuid.uuid4())
        body = batch(milestones=200)

        responses = await asyncio.gather(*(push(api, city, partner, body, key) for _ in range(20)))

        codes = [response.status_code for response in responses]
        assert set(codes) <= {200, 409}
        answers = {response.content for response in responses if response.status_code == 200}
        assert len(answers) == 1
        assert json.loads(answers.pop())["summary"] == {"created": 203}
        final = await push(api, city, partner, body, key)
        assert final.status_code == 200
        assert json.loads(final.content)["summary"] == {"created": 203}
        assert len(await plans_of(api, city)) == 1

    async def test_the_same_batch_sent_concurrently_without_a_key_is_applied_once(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch(milestones=100)

        responses = await asyncio.gather(*(push(api, city, partner, body) for _ in range(8)))

        assert [response.status_code for response in responses] == [200] * 8
        summaries = sorted(json.dumps(r.json()["summary"]) for r in responses)
        assert summaries == [json.dumps({"created": 103})] + [json.dumps({"unchanged": 103})] * 7
        milestones = (await push(api, city, partner, body)).json()["milestones"]
        assert {m["version"] for m in milestones} == {1}


class TestLargeBatches:
    async def test_ten_thousand_records_in_one_gzip_request(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch(milestones=9_997)
        raw = json.dumps(body).encode()
        compressed = gzip.compress(raw, mtime=0)
        assert len(raw) > 1024 * 1024 > len(compressed)

        response = await api.post(
            f"{BASE}/{city}/sync",
            content=compressed,
            headers={**partner, "Content-Type": "application/json", "Content-Encoding": "gzip"},
        )

        assert response.status_code == 200, response.text[:500]
        assert response.json()["summary"] == {"created": 10_000}

    async def test_more_than_ten_thousand_records_is_a_422(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = batch(milestones=9_998)
        compressed = gzip.compress(json.dumps(body).encode(), mtime=0)
        response = await api.post(
            f"{BASE}/{city}/sync",
            content=compressed,
            headers={**partner, "Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        assert response.status_code == 422
        assert await plans_of(api, city) == []


@pytest.mark.slow
class TestAgainstTheRealCatalog:
    async def test_an_unknown_practice_is_invalid(
        self, real_catalog: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        unknown = str(uuid.uuid4())
        response = await real_catalog.post(
            f"{BASE}/{city}/plans",
            json=plan_body(practice_ids=[unknown]),
            headers=partner,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["msg"] == f"unknown catalog entry {unknown}"
