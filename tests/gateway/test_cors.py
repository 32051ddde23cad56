"""CORS for SPAs (API.md §1): the headers an SPA sends and reads, dev origins locally, and a
refusal that says what to configure."""

from __future__ import annotations

import httpx
import pytest

from tests.gateway.conftest import GatewayFactory

pytestmark = pytest.mark.slow

SENT = (
    "authorization, content-type, if-match, if-none-match, idempotency-key, "
    "x-cancel-token, x-request-id"
)
EXPOSED = {"etag", "link", "location", "retry-after", "x-request-id", "idempotent-replayed"}
REGISTRATION = "/api/v1/participation/events/00000000-0000-4000-8000-000000000000/registrations/x"


async def preflight(
    gateway: httpx.AsyncClient, origin: str, method: str = "DELETE", headers: str = SENT
) -> httpx.Response:
    return await gateway.options(
        REGISTRATION,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


class TestLocalDevOrigins:
    @pytest.mark.parametrize(
        "origin",
        [
            "http://localhost:5173",
            "http://127.0.0.1:5173",
            "http://localhost:3000",
            "http://127.0.0.1:3000",
        ],
    )
    async def test_a_dev_server_may_send_every_header_an_spa_needs(
        self, gateway_app: GatewayFactory, origin: str
    ) -> None:
        async with gateway_app(environment="local") as gateway:
            response = await preflight(gateway, origin)

        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == origin
        allowed = {
            h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
        }
        assert set(SENT.split(", ")) <= allowed
        assert "DELETE" in response.headers["access-control-allow-methods"]

    async def test_answers_expose_the_headers_an_spa_reads(
        self, gateway_app: GatewayFactory
    ) -> None:
        async with gateway_app(environment="local") as gateway:
            response = await gateway.get(
                "/api/v1/transfer/cities", headers={"Origin": "http://localhost:5173"}
            )

        assert response.status_code == 200
        exposed = {
            h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
        }
        assert exposed >= EXPOSED

    async def test_configured_origins_replace_the_dev_origins(
        self, gateway_app: GatewayFactory
    ) -> None:
        async with gateway_app(environment="local", cors_origins="https://app.example") as gateway:
            dev = await preflight(gateway, "http://localhost:5173")
            configured = await preflight(gateway, "https://app.example")

        assert dev.status_code == 400
        assert configured.status_code == 200
        assert configured.headers["access-control-allow-origin"] == "https://app.example"

    async def test_an_empty_setting_allows_no_origin(self, gateway_app: GatewayFactory) -> None:
        async with gateway_app(environment="local", cors_origins="") as gateway:
            response = await preflight(gateway, "http://localhost:5173")

        assert response.status_code == 400


class TestRefusals:
    async def test_outside_local_no_origin_is_allowed_and_the_problem_says_what_to_set(
        self, gateway_app: GatewayFactory
    ) -> None:
        async with gateway_app() as gateway:
            response = await preflight(gateway, "http://localhost:5173")

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert "access-control-allow-origin" not in response.headers
        assert "MAGNET_CORS_ORIGINS" in response.json()["detail"]
        assert "http://localhost:5173" in response.json()["detail"]

    async def test_an_unknown_request_header_is_refused_naming_the_allowed_ones(
        self, gateway_app: GatewayFactory
    ) -> None:
        async with gateway_app(cors_origins="https://app.example") as gateway:
            response = await preflight(gateway, "https://app.example", headers="x-something-else")

        assert response.status_code == 400
        assert "X-Cancel-Token" in response.json()["detail"]
