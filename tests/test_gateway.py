"""The gateway in front of the real services: routing, ids, docs, and failing upstreams."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway.app import create_app
from shared.settings import Settings
from tests.conftest import asgi_client, make_settings
from tests.ports import free_port
from tests.stack import Stack

pytestmark = pytest.mark.slow


class TestRouting:
    async def test_lists_the_three_partner_cities_through_the_gateway(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/api/v1/transfer/cities")

        assert response.status_code == 200
        codes = {city["code"] for city in response.json()["items"]}
        assert codes == {"varazdin", "kosice", "nardo"}

    async def test_reaches_every_service(self, gateway: httpx.AsyncClient) -> None:
        taxonomy = await gateway.get("/api/v1/catalog/taxonomy")
        hubs = await gateway.get("/api/v1/participation/hubs")

        assert taxonomy.status_code == 200
        assert len(taxonomy.json()["challenges"]) == 6
        assert hubs.status_code == 200
        assert len(hubs.json()["items"]) == 2

    async def test_passes_query_conditional_headers_and_status_through(
        self, gateway: httpx.AsyncClient
    ) -> None:
        page = await gateway.get("/api/v1/transfer/cities", params={"limit": 1})
        city = await gateway.get("/api/v1/transfer/cities/nardo")
        unchanged = await gateway.get(
            "/api/v1/transfer/cities/nardo", headers={"If-None-Match": city.headers["etag"]}
        )

        assert len(page.json()["items"]) == 1
        assert page.headers["link"].endswith('rel="next"')
        assert unchanged.status_code == 304

    async def test_service_problems_come_through_unchanged(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/api/v1/transfer/cities/atlantis")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "atlantis" in response.json()["detail"]

    async def test_unknown_api_path_is_a_404_problem(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/api/v1/nowhere")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_echoes_the_request_id_once(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/api/v1/transfer/cities", headers={"X-Request-ID": "r-42"})

        assert response.headers.get_list("x-request-id") == ["r-42"]

    async def test_a_large_body_is_refused_at_the_edge(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.post("/api/v1/transfer/cities", content=b"x" * (1024 * 1024 + 1))

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"


class TestReadinessAndDocs:
    async def test_readiness_reports_each_upstream(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/readyz")

        assert response.status_code == 200
        assert response.json()["checks"] == {
            "database": "ok",
            "catalog": "ok",
            "participation": "ok",
            "transfer": "ok",
        }

    async def test_merged_openapi_documents_every_service(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/openapi.json")

        assert response.status_code == 200
        document = response.json()
        assert document["openapi"].startswith("3.1")
        for path in (
            "/api/v1/auth/token",
            "/api/v1/catalog/taxonomy",
            "/api/v1/participation/hubs",
            "/api/v1/transfer/cities",
        ):
            assert path in document["paths"], path
        referenced = set(re.findall(r'"#/components/schemas/([^"]+)"', response.text))
        assert referenced, "the merged document references shared schemas"
        assert referenced <= set(document["components"]["schemas"])

    async def test_docs_page_points_at_the_merged_document(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/docs")

        assert response.status_code == 200
        assert "/openapi.json" in response.text


@pytest.fixture
async def gateway_with_dead_upstream(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose catalog points at a closed port and transfer at a silent server."""
    silent_port = free_port()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)
        writer.close()

    silent = await asyncio.start_server(never_answer, "127.0.0.1", silent_port)
    settings: Settings = make_settings(
        database_url,
        catalog_url=f"http://127.0.0.1:{free_port()}",
        transfer_url=f"http://127.0.0.1:{silent_port}",
        peer_timeout=0.5,
    )
    try:
        async with asgi_client(create_app(settings)) as client:
            yield client
    finally:
        silent.close()


class TestFailingUpstreams:
    async def test_a_service_that_is_down_is_a_503_problem_at_once(
        self, gateway_with_dead_upstream: httpx.AsyncClient
    ) -> None:
        started = time.monotonic()
        response = await gateway_with_dead_upstream.get("/api/v1/catalog/taxonomy")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "Retry-After" in response.headers
        assert "127.0.0.1" not in response.text
        assert time.monotonic() - started < 2

    async def test_a_service_that_is_slow_is_a_504_problem_within_its_timeout(
        self, gateway_with_dead_upstream: httpx.AsyncClient
    ) -> None:
        started = time.monotonic()
        response = await gateway_with_dead_upstream.get("/api/v1/transfer/cities")

        assert response.status_code == 504
        assert response.headers["content-type"] == "application/problem+json"
        assert time.monotonic() - started < 2

    async def test_readiness_names_the_upstreams_that_are_not_ready(
        self, gateway_with_dead_upstream: httpx.AsyncClient
    ) -> None:
        response = await gateway_with_dead_upstream.get("/readyz")

        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["catalog"] != "ok"
        assert checks["transfer"] != "ok"


def test_stack_fixture_runs_every_process(stack: Stack) -> None:
    assert all(process.poll() is None for process in stack.processes.values())


@pytest.fixture
async def gateway_with_cors(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(database_url, cors_origins=["https://app.magnet-celje.si"])
    async with asgi_client(create_app(settings)) as client:
        yield client


class TestCors:
    async def test_preflight_from_a_configured_origin_is_allowed_and_cached(
        self, gateway_with_cors: httpx.AsyncClient
    ) -> None:
        response = await gateway_with_cors.options(
            "/api/v1/auth/users",
            headers={
                "Origin": "https://app.magnet-celje.si",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, idempotency-key",
            },
        )

        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://app.magnet-celje.si"
        assert response.headers["access-control-allow-credentials"] == "true"
        assert response.headers["access-control-max-age"] == "600"

    async def test_preflight_from_another_origin_is_refused(
        self, gateway_with_cors: httpx.AsyncClient
    ) -> None:
        response = await gateway_with_cors.options(
            "/api/v1/auth/users",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert "access-control-allow-origin" not in response.headers
