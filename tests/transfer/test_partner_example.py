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
    def test_equal_batches_give_equal_bytes_and_digests_whatever_their_key_order(self) -> None:
        batch = big_batch(milestones=1000)
        reordered = json.loads(json.dumps(batch, sort_keys=True))
        reordered["plans"][0] = dict(reversed(reordered["plans"][0].items()))

        body, headers = partner_sync.encode_batch(batch)

        assert headers["Content-Encoding"] == "gzip"
        assert partner_sync.encode_batch(reordered) == (body, headers)
        digest = partner_sync.batch_digest
        assert digest("c", batch) == digest("c", reordered) != digest("d", batch)

    def test_small_batches_go_uncompressed(self) -> None:
        _, headers = partner_sync.encode_batch(big_batch(milestones=1))
        assert "Content-Encoding" not in headers


class TestPushKeys:
    def test_a_run_that_died_before_its_answer_reuses_its_key_for_the_same_batch(
        self, tmp_path: Path
    ) -> None:
        key_file = tmp_path / "push"
        batch = big_batch(milestones=2)

        first = partner_sync.push_key(key_file, "c", batch)
        after_a_crash = partner_sync.push_key(key_file, "c", batch)
        another_batch = partner_sync.push_key(key_file, "c", big_batch(milestones=3))

        assert first == after_a_crash
        assert another_batch != first

    def test_a_final_answer_ends_the_push_so_the_same_batch_gets_a_new_key(
        self, tmp_path: Path
    ) -> None:
        key_file = tmp_path / "push"
        keys: list[str] = []

        def server(request: httpx.Request) -> httpx.Response:
            keys.append(request.headers["idempotency-key"])
            return answer(422, {"applied": False})

        client = httpx.Client(transport=httpx.MockTransport(server), base_url="http://magnet")
        for _ in range(2):
            assert partner_sync.push(client, "c", big_batch(1), key_file).status_code == 422

        assert len(set(keys)) == 2
        assert not key_file.exists()

    def test_giving_up_keeps_the_key_for_the_next_run(self, tmp_path: Path) -> None:
        key_file = tmp_path / "push"
        client, _ = scripted(*[httpx.ConnectError("refused")] * partner_sync.ATTEMPTS)
        client.base_url = httpx.URL("http://magnet")

        with pytest.raises(httpx.ConnectError):
            partner_sync.push(client, "c", big_batch(1), key_file, sleep=lambda _: None)

        saved = json.loads(key_file.read_text())
        assert partner_sync.push_key(key_file, "c", big_batch(1)) == saved["key"]


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


def delete_plan(client: httpx.Client, city: str, refusal: str) -> None:
    """Delete the plan a refusal names ("… (id <uuid>, external_id …)") through the API."""
    plan_id = refusal.split("(id ")[1].split(",")[0]
    url = f"/api/v1/transfer/cities/{city}/plans/{plan_id}"
    deleted = client.delete(url, headers={"If-Match": '"v1"'})
    assert deleted.status_code == 204, deleted.text


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

    async def test_a_refused_batch_is_applied_once_its_cause_is_fixed(
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
        key_file = tmp_path / "push-key"
        holder = {"plans": [{"external_id": "P-0", "challenge": "housing", "title": {"hr": "S"}}]}
        batch = big_batch(milestones=3)
        with partner_sync.connect(stack.gateway_url, created.json()["key"]) as client:
            assert partner_sync.push(client, city, holder, key_file).status_code == 200
            key = partner_sync.push_key(key_file, city, batch)
            refused = partner_sync.push(client, city, batch, key_file)
            assert refused.status_code == 422, refused.text  # P-0 holds the challenge
            delete_plan(client, city, refused.json()["plans"][0]["errors"][0]["msg"])
            # As if that run had died before reading its answer: the next one reuses the key.
            saved = {"digest": partner_sync.batch_digest(city, batch), "key": key}
            partner_sync.write_atomically(key_file, json.dumps(saved))
            fixed = partner_sync.push(client, city, batch, key_file)

        assert fixed.status_code == 200, fixed.text
        assert "idempotent-replayed" not in fixed.headers
        assert fixed.json()["summary"] == {"created": 5}

    async def push_then_pull(
        self, client: httpx.Client, city: str, database_url: str, cursor_file: Path
    ) -> None:
        seen: list[dict[str, Any]] = []

        def run(call: Callable[..., Any], *args: Any) -> Any:
            return asyncio.to_thread(call, client, city, *args)

        key_file = cursor_file.with_name("push-key")
        batch = big_batch(milestones=600)  # > 64 KiB: goes gzip-compressed through the gateway
        assert "Content-Encoding" in partner_sync.encode_batch(batch)[1]

        # A run that sent the batch and died before reading the answer, then the next run:
        key = await asyncio.to_thread(partner_sync.push_key, key_file, city, batch)
        body, headers = partner_sync.encode_batch(batch)
        url = partner_sync.SYNC_PATH.format(city=city)
        first = await asyncio.to_thread(
            client.post, url, content=body, headers={**headers, "Idempotency-Key": key}
        )
        replay = await run(partner_sync.push, batch, key_file)

        assert first.status_code == 200, first.text
        assert first.json()["summary"] == {"created": 602}
        assert "idempotent-replayed" not in first.headers
        assert replay.status_code == 200
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.content == first.content
        assert not key_file.exists()
        again = await run(partner_sync.push, batch, key_file)
        assert "idempotent-replayed" not in again.headers
        assert again.json()["summary"] == {"unchanged": 602}

        await settle(database_url)
        applied = await run(partner_sync.pull, cursor_file, seen.append)

        assert applied == len(seen) == 603  # the records and the indicator's one period
        assert {c["id"] for c in seen if c["entity"] != "period"} == ids_in(first.json())
        assert {c["op"] for c in seen} == {"upsert"}
        saved = await asyncio.to_thread(partner_sync.load_cursor, cursor_file)
        assert saved is not None

        changed = await run(partner_sync.push, big_batch(milestones=600, done=2), key_file)
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
