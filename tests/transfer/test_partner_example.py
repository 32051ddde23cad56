"""The reference partner client (`examples/partner_sync.py`) does what its docstring says."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples import partner_sync
from tests.stack import Stack
from tests.transfer.conftest import make_city
from tests.transfer.test_changes import settle

SYNC_URL = "http://magnet/api/v1/transfer/cities/x/sync"
STALE = {"type": partner_sync.SYNC_CONFLICT, "status": 409, "applied": False}
IN_FLIGHT = {"type": "urn:magnet:problem:conflict", "status": 409}


def scripted(*answers: httpx.Response | Exception) -> tuple[httpx.Client, list[int]]:
    """A client whose server gives `answers` in turn; the list counts the attempts."""
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        answer = answers[len(attempts) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.Client(transport=httpx.MockTransport(handler)), attempts


def answer(status: int, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def send(client: httpx.Client, sleeps: list[float]) -> httpx.Response:
    return partner_sync.send(client, client.build_request("POST", SYNC_URL), sleep=sleeps.append)


class TestRetries:
    def test_in_flight_and_unavailable_are_retried_after_the_servers_retry_after(self) -> None:
        client, attempts = scripted(
            answer(503, {"status": 503}, **{"Retry-After": "7"}),
            answer(409, IN_FLIGHT, **{"Retry-After": "1"}),
            answer(200, {"applied": True}),
        )
        sleeps: list[float] = []

        response = send(client, sleeps)

        assert response.status_code == 200
        assert len(attempts) == 3
        assert sleeps == [7.0, 1.0]

    def test_a_connection_error_is_retried_with_backoff(self) -> None:
        client, attempts = scripted(httpx.ConnectError("refused"), answer(200, {}))
        sleeps: list[float] = []

        assert send(client, sleeps).status_code == 200
        assert len(attempts) == 2
        assert len(sleeps) == 1
        assert 0 <= sleeps[0] <= 1

    @pytest.mark.parametrize(
        ("status", "body"), [(409, STALE), (422, {"applied": False}), (403, {}), (200, {})]
    )
    def test_final_answers_are_not_retried(self, status: int, body: dict[str, Any]) -> None:
        client, attempts = scripted(answer(status, body))
        sleeps: list[float] = []

        assert send(client, sleeps).status_code == status
        assert (len(attempts), sleeps) == (1, [])

    def test_it_gives_up_after_a_bounded_number_of_attempts(self) -> None:
        client, attempts = scripted(*[answer(500, {})] * partner_sync.ATTEMPTS)
        sleeps: list[float] = []

        with pytest.raises(partner_sync.RetryableResponse):
            send(client, sleeps)
        assert len(attempts) == partner_sync.ATTEMPTS


class TestEncoding:
    def test_equal_batches_give_equal_bytes_and_keys_whatever_their_key_order(self) -> None:
        batch = big_batch(milestones=1000)
        reordered = json.loads(json.dumps(batch, sort_keys=True))
        reordered["plans"][0] = dict(reversed(reordered["plans"][0].items()))

        body, headers = partner_sync.encode_batch(batch)

        assert headers["Content-Encoding"] == "gzip"
        assert partner_sync.encode_batch(reordered) == (body, headers)
        assert partner_sync.idempotency_key("c", batch) == partner_sync.idempotency_key(
            "c", reordered
        )
        assert partner_sync.idempotency_key("c", batch) != partner_sync.idempotency_key("d", batch)

    def test_small_batches_go_uncompressed(self) -> None:
        _, headers = partner_sync.encode_batch(big_batch(milestones=1))
        assert "Content-Encoding" not in headers


def big_batch(milestones: int, done: int = 0) -> dict[str, Any]:
    """One plan with `milestones` milestones (the first `done` of them done) and an indicator."""
    return {
        "plans": [
            {"external_id": "P-1", "challenge": "housing", "title": {"hr": "Stanovanje"}},
        ],
        "milestones": [
            {
                "external_id": f"M-{index}",
                "plan_external_id": "P-1",
                "title": {"hr": f"Korak {index}", "en": f"Step {index}"},
                "due": "2027-03-31",
                "status": "done" if index < done else "planned",
            }
            for index in range(milestones)
        ],
        "indicators": [
            {
                "external_id": "I-1",
                "plan_external_id": "P-1",
                "code": "FLATS",
                "title": {"en": "Flats renovated"},
                "unit": "flats",
                "baseline": {"value": 0, "date": "2025-12-31"},
                "target": {"value": 100, "date": "2027-12-31"},
                "periods": [{"start": "2026-01-01", "end": "2026-12-31", "actual": 20}],
            }
        ],
    }


def ids_in(answer: dict[str, Any]) -> set[str]:
    kinds = ("plans", "milestones", "indicators")
    return {record["id"] for kind in kinds for record in answer[kind]}


@pytest.mark.slow
class TestAgainstTheStack:
    async def test_push_replay_pull_then_resume_from_the_saved_cursor(
        self,
        stack: Stack,
        gateway: httpx.AsyncClient,
        admin: dict[str, str],
        database_url: str,
        tmp_path: Path,
    ) -> None:
        city = await make_city(database_url, ("city-vibe", "housing"))
        created = await gateway.post(
            "/api/v1/auth/api-keys", json={"city": city, "name": "example client"}, headers=admin
        )
        assert created.status_code == 201, created.text
        with partner_sync.connect(stack.gateway_url, created.json()["key"]) as client:
            await self.push_then_pull(client, city, database_url, tmp_path / "cursor")

    async def push_then_pull(
        self, client: httpx.Client, city: str, database_url: str, cursor_file: Path
    ) -> None:
        seen: list[dict[str, Any]] = []

        def run(call: Callable[..., Any], *args: Any) -> Any:
            return asyncio.to_thread(call, client, city, *args)

        batch = big_batch(milestones=600)  # > 64 KiB: goes gzip-compressed through the gateway
        assert "Content-Encoding" in partner_sync.encode_batch(batch)[1]
        first = await run(partner_sync.push, batch)
        replay = await run(partner_sync.push, batch)

        assert first.status_code == 200, first.text
        assert first.json()["summary"] == {"created": 602}
        assert "idempotent-replayed" not in first.headers
        assert replay.status_code == 200
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.content == first.content

        await settle(database_url)
        applied = await run(partner_sync.pull, cursor_file, seen.append)

        assert applied == len(seen) == 603  # the records and the indicator's one period
        assert {c["id"] for c in seen if c["entity"] != "period"} == ids_in(first.json())
        assert {c["op"] for c in seen} == {"upsert"}
        saved = await asyncio.to_thread(partner_sync.load_cursor, cursor_file)
        assert saved is not None

        changed = await run(partner_sync.push, big_batch(milestones=600, done=2))
        assert changed.status_code == 200, changed.text
        assert changed.json()["summary"] == {"unchanged": 600, "updated": 2}
        await settle(database_url)
        seen.clear()
        applied = await run(partner_sync.pull, cursor_file, seen.append)

        updated = {r["id"] for r in changed.json()["milestones"] if r["status"] == "updated"}
        assert applied == 2
        assert {(c["entity"], c["id"], c["version"]) for c in seen} == {
            ("milestone", milestone_id, 2) for milestone_id in updated
        }
        assert await asyncio.to_thread(partner_sync.load_cursor, cursor_file) != saved
        assert await run(partner_sync.pull, cursor_file, seen.append) == 0
