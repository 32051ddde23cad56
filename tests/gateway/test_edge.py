"""Edge protection: rate limits, login attempts, security headers, CORS, key rotation."""

from __future__ import annotations

import httpx
import pytest

from services.gateway.edge import TokenBuckets
from shared.auth import Principal, Role, issue_token, verify_token
from shared.problems import Unauthorized
from shared.settings import Settings
from tests.conftest import ADMIN_EMAIL, TEST_SECRET, make_settings
from tests.gateway.conftest import GatewayFactory

pytestmark = pytest.mark.slow

NEW_SECRET = "a-new-secret-after-rotation-of-32-characters"


def bearer(settings: Settings, subject: str) -> dict[str, str]:
    token = issue_token(Principal(subject=subject, role=Role.EDITOR), settings)
    return {"Authorization": f"Bearer {token}"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestTokenBuckets:
    def test_a_burst_then_one_token_per_interval(self) -> None:
        clock = Clock()
        buckets = TokenBuckets(60, burst=2, clock=clock)

        assert [buckets.take("k") for _ in range(2)] == [0.0, 0.0]
        assert buckets.take("k") == pytest.approx(1.0)
        clock.now += 1
        assert buckets.take("k") == 0.0
        assert buckets.take("other") == 0.0


class TestRateLimits:
    async def test_a_credential_over_its_limit_gets_a_429_problem_and_others_do_not(
        self, gateway_app: GatewayFactory, settings: Settings
    ) -> None:
        busy, calm = bearer(settings, "busy"), bearer(settings, "calm")
        async with gateway_app(rate_limit_per_minute=3) as gateway:
            allowed = [await gateway.get("/api/v1/transfer/cities", headers=busy) for _ in range(3)]
            refused = await gateway.get("/api/v1/transfer/cities", headers=busy)
            other = await gateway.get("/api/v1/transfer/cities", headers=calm)
            health = await gateway.get("/readyz", headers=busy)

        assert [r.status_code for r in allowed] == [200, 200, 200]
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["status"] == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 20
        assert "x-request-id" in refused.headers
        assert other.status_code == 200
        assert health.status_code == 200, "operations endpoints are not limited"

    async def test_an_address_over_its_limit_gets_a_429_whatever_the_credential(
        self, gateway_app: GatewayFactory, settings: Settings
    ) -> None:
        async with gateway_app(rate_limit_per_address_per_minute=2) as gateway:
            statuses = [
                (
                    await gateway.get("/api/v1/transfer/cities", headers=bearer(settings, f"u{n}"))
                ).status_code
                for n in range(3)
            ]
            anonymous = await gateway.get("/api/v1/transfer/cities")

        assert statuses == [200, 200, 429]
        assert anonymous.status_code == 429


async def login(gateway: httpx.AsyncClient, email: str) -> httpx.Response:
    return await gateway.post(
        "/api/v1/auth/token", data={"username": email, "password": "not-the-password"}
    )


class TestLoginAttempts:
    async def test_an_account_is_limited_the_same_whether_it_exists_or_not(
        self, gateway_app: GatewayFactory
    ) -> None:
        async with gateway_app(login_attempts_per_minute=2) as gateway:
            existing = [await login(gateway, ADMIN_EMAIL.upper()) for _ in range(3)]
            missing = [await login(gateway, "nobody-at-all@magnet-celje.si") for _ in range(3)]

        assert [r.status_code for r in existing] == [401, 401, 429]
        assert [r.status_code for r in missing] == [401, 401, 429]
        for first, second in zip(existing, missing, strict=True):
            assert first.json()["detail"] == second.json()["detail"]
        assert existing[2].headers["content-type"] == "application/problem+json"
        assert "retry-after" in existing[2].headers

    async def test_an_address_is_limited_across_accounts(self, gateway_app: GatewayFactory) -> None:
        async with gateway_app(login_attempts_per_address_per_minute=3) as gateway:
            statuses = [
                (await login(gateway, f"guess{n}@example.org")).status_code for n in range(4)
            ]

        assert statuses == [401, 401, 401, 429]


class TestSecurityHeaders:
    async def test_every_response_carries_them(self, gateway: httpx.AsyncClient) -> None:
        responses = [
            await gateway.get("/api/v1/transfer/cities"),  # proxied
            await gateway.get("/api/v1/nowhere"),  # a problem from the gateway
            await gateway.get("/api/v1/transfer/cities/atlantis"),  # a problem from a service
            await gateway.post("/api/v1/transfer/cities", content=b"x" * (1024 * 1024 + 1)),
            await gateway.get("/api/v1/dashboard/cities/nardo"),
        ]

        for response in responses:
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["content-security-policy"].startswith("default-src 'none'")
            assert "strict-transport-security" not in response.headers

    async def test_docs_get_a_policy_that_lets_the_page_load(
        self, gateway: httpx.AsyncClient
    ) -> None:
        for page in ("/docs", "/redoc"):
            policy = (await gateway.get(page)).headers["content-security-policy"]

            assert "script-src 'self' 'unsafe-inline'" in policy
            assert "https:" not in policy  # the assets are the gateway's own
            assert "frame-ancestors 'none'" in policy

    async def test_hsts_only_over_https(self, gateway_app: GatewayFactory) -> None:
        async with gateway_app() as gateway:
            secure = await gateway.get("https://gateway.example/healthz")

        assert secure.headers["strict-transport-security"].startswith("max-age=")


class TestCorsWithoutOrigins:
    async def test_any_preflight_is_refused_as_a_problem(self, gateway_app: GatewayFactory) -> None:
        async with gateway_app() as gateway:
            response = await gateway.options(
                "/api/v1/transfer/cities",
                headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
            )

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert "access-control-allow-origin" not in response.headers


class TestKeyRotation:
    def rotated(self, database_url: str, previous: str | None) -> Settings:
        overrides = {"previous_secret_keys": previous} if previous else {}
        return make_settings(database_url, secret_key=NEW_SECRET, **overrides)

    def test_tokens_of_a_previous_secret_still_verify_and_new_ones_use_the_new_key(
        self, database_url: str, settings: Settings
    ) -> None:
        principal = Principal(subject="u1", role=Role.PARTNER, city="nardo")
        old_token = issue_token(principal, settings)
        rotated = self.rotated(database_url, f"some-retired-secret-of-32-characters, {TEST_SECRET}")
        new_token = issue_token(principal, rotated)

        assert verify_token(old_token, rotated) == principal
        assert verify_token(new_token, rotated) == principal
        with pytest.raises(Unauthorized, match="unknown key"):
            verify_token(new_token, settings)

    def test_once_the_previous_secret_is_dropped_its_tokens_are_refused(
        self, database_url: str, settings: Settings
    ) -> None:
        old_token = issue_token(Principal(subject="u1", role=Role.ADMIN), settings)

        with pytest.raises(Unauthorized, match="unknown key"):
            verify_token(old_token, self.rotated(database_url, None))

    async def test_the_gateway_accepts_both_during_rotation(
        self, gateway_app: GatewayFactory, settings: Settings
    ) -> None:
        old = bearer(settings, "before-rotation")
        async with gateway_app(secret_key=NEW_SECRET, previous_secret_keys=TEST_SECRET) as gateway:
            me = await gateway.get("/api/v1/auth/me", headers=old)

        assert me.status_code == 200
        assert me.json()["subject"] == "before-rotation"
