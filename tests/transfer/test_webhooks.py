"""Signed webhook deliveries of committed transfer changes to partner systems.

Here, beside the other transfer tests, because they too make throwaway partner cities,
which tests that list the cities must run before (tests/test_*.py do)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook as Verifier

from cli.worker import Worker
from shared.auth import Role
from shared.webhooks import refused_target
from tests.receivers import WAIT_SECONDS, HookReceiver
from tests.transfer.conftest import Headers
from tests.transfer.test_sync import batch, push

BASE = "/api/v1/transfer/cities"


async def subscribe(
    api: httpx.AsyncClient, city: str, headers: dict[str, str], url: str
) -> dict[str, Any]:
    response = await api.post(
        f"{BASE}/{city}/webhooks", json={"url": url, "description": "partner ERP"}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(
    api: httpx.AsyncClient, city: str, headers: dict[str, str], hook_id: str
) -> list[dict[str, Any]]:
    response = await api.get(f"{BASE}/{city}/webhooks/{hook_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.1)


class TestSignedDeliveries:
    async def test_each_committed_sync_is_delivered_once_and_verifies(
        self,
        api: httpx.AsyncClient,
        city: str,
        partner: dict[str, str],
        hook_receiver: HookReceiver,
        worker: Worker,
    ) -> None:
        hook = await subscribe(api, city, partner, hook_receiver.url)
        assert hook["secret"].startswith("whsec_")
        listed = (await api.get(f"{BASE}/{city}/webhooks", headers=partner)).json()["items"]
        assert [item["id"] for item in listed] == [hook["id"]]
        assert "secret" not in listed[0]  # shown once

        synced = await push(api, city, partner, batch(), key=str(uuid.uuid4()))
        assert synced.status_code == 200, synced.text

        [delivery] = await hook_receiver.wait_for(1)
        payload = Verifier(hook["secret"]).verify(delivery.body, delivery.headers)
        assert payload["type"] == "transfer.changed"
        assert payload["data"]["city"] == city
        entities = {change["entity"] for change in payload["data"]["changes"]}
        assert entities >= {"plan", "milestone", "indicator", "report"}

        async def recorded() -> bool:
            log = await deliveries(api, city, partner, hook["id"])
            return bool(log[0]["status"] != "pending")

        await until(recorded)
        log = await deliveries(api, city, partner, hook["id"])
        assert [(item["status"], item["message_id"]) for item in log] == [
            ("delivered", delivery.headers["webhook-id"])
        ]

    async def test_a_batch_that_was_not_applied_is_not_delivered(
        self,
        api: httpx.AsyncClient,
        city: str,
        partner: dict[str, str],
        hook_receiver: HookReceiver,
        worker: Worker,
    ) -> None:
        hook = await subscribe(api, city, partner, hook_receiver.url)
        first = await push(api, city, partner, batch())
        assert first.json()["applied"] is True
        stale = batch()
        stale["plans"][0] |= {"base_version": 999, "title": {"en": "Edited from a stale copy"}}
        refused = await push(api, city, partner, stale)
        assert refused.json()["applied"] is False, refused.text
        await hook_receiver.wait_for(1)
        assert len(await deliveries(api, city, partner, hook["id"])) == 1

    async def test_a_failed_delivery_is_retried_later_with_the_same_id(
        self,
        api: httpx.AsyncClient,
        city: str,
        partner: dict[str, str],
        hook_receiver: HookReceiver,
        worker: Worker,
    ) -> None:
        hook_receiver.answers = [503]
        hook = await subscribe(api, city, partner, hook_receiver.url)
        await push(api, city, partner, batch())

        [failed] = await hook_receiver.wait_for(1)

        async def retry_scheduled() -> bool:
            log = await deliveries(api, city, partner, hook["id"])
            return bool(log) and (log[0]["attempts"] >= 1 or log[0]["status"] == "delivered")

        await until(retry_scheduled)
        first_log = (await deliveries(api, city, partner, hook["id"]))[0]
        if first_log["status"] == "pending":  # seen between the attempts: the backoff
            wait = datetime.fromisoformat(first_log["next_attempt_at"]) - datetime.fromisoformat(
                first_log["last_attempt_at"]
            )
            assert 2.0 <= wait.total_seconds() <= 5.5
            assert first_log["last_status"] == 503
        [_, retried] = await hook_receiver.wait_for(2)
        assert retried.headers["webhook-id"] == failed.headers["webhook-id"]
        for attempt in (failed, retried):
            Verifier(hook["secret"]).verify(attempt.body, attempt.headers)
        assert json.loads(retried.body) == json.loads(failed.body)

        async def delivered() -> bool:
            log = await deliveries(api, city, partner, hook["id"])
            return bool(log[0]["status"] == "delivered")

        await until(delivered)
        log = await deliveries(api, city, partner, hook["id"])
        assert (log[0]["attempts"], log[0]["last_status"]) == (2, 200)

    async def test_gone_disables_the_endpoint(
        self,
        api: httpx.AsyncClient,
        city: str,
        partner: dict[str, str],
        hook_receiver: HookReceiver,
        worker: Worker,
    ) -> None:
        hook_receiver.answers = [410]
        hook = await subscribe(api, city, partner, hook_receiver.url)
        await push(api, city, partner, batch())
        await hook_receiver.wait_for(1)

        async def disabled() -> bool:
            items = (await api.get(f"{BASE}/{city}/webhooks", headers=partner)).json()["items"]
            return items[0]["disabled_at"] is not None

        await until(disabled)
        changed = batch()
        changed["plans"][0]["title"] = {"en": "Changed after the endpoint went"}
        assert (await push(api, city, partner, changed)).json()["applied"] is True
        log = await deliveries(api, city, partner, hook["id"])
        assert [(item["status"], item["last_status"]) for item in log] == [("failed", 410)]


class TestManagingEndpoints:
    async def test_only_the_citys_partners_and_admins_manage_its_webhooks(
        self, api: httpx.AsyncClient, city: str, other_city: str, as_role: Headers
    ) -> None:
        body = {"url": "http://127.0.0.1:9/hooks"}
        for headers, status in (
            ({}, 401),
            (as_role(Role.PARTNER, other_city), 403),
            (as_role(Role.COORDINATOR), 403),
            (as_role(Role.EDITOR), 403),
        ):
            created = await api.post(f"{BASE}/{city}/webhooks", json=body, headers=headers)
            assert created.status_code == status, created.text
            listed = await api.get(f"{BASE}/{city}/webhooks", headers=headers)
            assert listed.status_code == status, listed.text
        admin = as_role(Role.ADMIN)
        assert (await api.get(f"{BASE}/{city}/webhooks", headers=admin)).json()["items"] == []
        hook = await subscribe(api, city, admin, body["url"])
        foreign = await api.delete(
            f"{BASE}/{city}/webhooks/{hook['id']}", headers=as_role(Role.PARTNER, other_city)
        )
        assert foreign.status_code == 403
        removed = await api.delete(
            f"{BASE}/{city}/webhooks/{hook['id']}", headers=as_role(Role.PARTNER, city)
        )
        assert removed.status_code == 204
        again = await api.get(f"{BASE}/{city}/webhooks/{hook['id']}/deliveries", headers=admin)
        assert again.status_code == 404

    async def test_a_url_that_is_not_http_is_refused(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        for url in ("ftp://example.org/hooks", "http://user:pw@example.org/hooks"):
            response = await api.post(f"{BASE}/{city}/webhooks", json={"url": url}, headers=partner)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
        assert (await api.get(f"{BASE}/{city}/webhooks", headers=partner)).json()["items"] == []


class TestRefusedTargets:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8000/hooks",
            "http://localhost/hooks",
            "http://10.1.2.3/hooks",
            "http://192.168.1.20/hooks",
            "http://172.16.0.1/hooks",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hooks",
            "http://[::ffff:127.0.0.1]/hooks",
            "http://0.0.0.0/hooks",
        ],
    )
    async def test_private_and_loopback_targets_are_refused_in_production(self, url: str) -> None:
        assert await refused_target(url, allow_private=False) is not None
        assert await refused_target(url, allow_private=True) is None

    async def test_a_public_address_is_allowed(self) -> None:
        assert await refused_target("https://93.184.215.14/hooks", allow_private=False) is None
