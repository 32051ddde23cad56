"""Every error is an RFC 9457 problem, and none leaks internals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import structlog
from fastapi import APIRouter, FastAPI

from shared.app import create_service_app
from shared.observability import add_request_ids
from shared.settings import Settings
from tests.conftest import asgi_client

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert set(body) >= PROBLEM_FIELDS
    assert body["status"] == status
    return body


@pytest.fixture(scope="module")
async def faulty(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A service with routes that fail the ways real code can."""
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail: host db-internal.local")

    @router.post("/echo")
    async def echo(body: dict[str, int]) -> dict[str, int]:
        return body

    @router.get("/log-context")
    async def log_context() -> dict[str, Any]:
        """What a log line written now is tagged with."""
        processors = structlog.get_config()["processors"]
        event: dict[str, Any] = {}
        for processor in processors[: processors.index(add_request_ids) + 1]:
            event = processor(None, "info", event)
        return event

    app = create_service_app(
        name="faulty", schema="catalog", title="faulty", routers=[router], settings=settings
    )
    async with asgi_client(app) as client:
        yield client


class TestProblemResponses:
    async def test_unknown_route_is_a_404_problem(self, transfer: httpx.AsyncClient) -> None:
        body = assert_problem(await transfer.get("/api/v1/transfer/nowhere"), 404)
        assert body["instance"] == "/api/v1/transfer/nowhere"

    async def test_wrong_method_is_a_405_problem_with_allow(
        self, transfer: httpx.AsyncClient
    ) -> None:
        response = await transfer.delete("/api/v1/transfer/cities")
        assert_problem(response, 405)
        assert "GET" in response.headers["allow"]

    async def test_invalid_query_is_a_422_problem_with_errors(
        self, transfer: httpx.AsyncClient
    ) -> None:
        body = assert_problem(await transfer.get("/api/v1/transfer/cities?limit=1000"), 422)
        assert body["errors"] == [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be less than or equal to 100",
                "type": "less_than_equal",
            }
        ]

    async def test_unhandled_exception_is_a_500_problem_without_internals(
        self, faulty: httpx.AsyncClient
    ) -> None:
        response = await faulty.get("/boom")
        body = assert_problem(response, 500)
        assert "secret" not in response.text
        assert "Traceback" not in response.text
        assert body["type"] == "urn:magnet:problem:internal-error"

    async def test_malformed_json_is_a_400_problem(self, faulty: httpx.AsyncClient) -> None:
        response = await faulty.post(
            "/echo", content=b"{not json", headers={"content-type": "application/json"}
        )
        body = assert_problem(response, 400)
        assert body["type"] == "urn:magnet:problem:bad-request"
        assert body["detail"] == "The body is not valid JSON (UTF-8)."

    async def test_a_body_that_is_not_utf8_is_a_400_problem(
        self, faulty: httpx.AsyncClient
    ) -> None:
        response = await faulty.post(
            "/echo", content=b'{"a": "\xff"}', headers={"content-type": "application/json"}
        )
        assert_problem(response, 400)

    async def test_a_body_over_one_mebibyte_is_a_413_problem(
        self, faulty: httpx.AsyncClient
    ) -> None:
        response = await faulty.post(
            "/echo",
            content=b'{"a": 1' + b" " * (1024 * 1024) + b"}",
            headers={"content-type": "application/json"},
        )
        assert_problem(response, 413)

    async def test_a_streamed_body_over_the_limit_is_a_413_problem(
        self, faulty: httpx.AsyncClient
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"a": 1'
            for _ in range(17):
                yield b" " * 65536
            yield b"}"

        response = await faulty.post(
            "/echo", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(response, 413)


class TestRequestIds:
    async def test_a_request_id_is_echoed(self, transfer: httpx.AsyncClient) -> None:
        response = await transfer.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"

    async def test_a_request_id_is_made_when_missing_or_unsafe(
        self, transfer: httpx.AsyncClient
    ) -> None:
        made = await transfer.get("/healthz")
        unsafe = await transfer.get("/healthz", headers={"X-Request-ID": "<script>"})
        assert len(made.headers["x-request-id"]) == 32
        assert unsafe.headers["x-request-id"] != "<script>"

    async def test_errors_carry_the_request_id_too(self, transfer: httpx.AsyncClient) -> None:
        response = await transfer.get("/nowhere", headers={"X-Request-ID": "err-1"})
        assert response.headers["x-request-id"] == "err-1"


class TestLogLines:
    async def test_lines_written_during_a_request_carry_its_ids(
        self, faulty: httpx.AsyncClient
    ) -> None:
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        response = await faulty.get(
            "/log-context",
            headers={"X-Request-ID": "log-1", "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
        )
        assert response.json() == {"request_id": "log-1", "trace_id": trace_id}

    async def test_lines_after_a_request_carry_no_ids(self, faulty: httpx.AsyncClient) -> None:
        await faulty.get("/log-context", headers={"X-Request-ID": "log-2"})
        # The in-process client runs the app in this task: the request's ids must be gone.
        assert add_request_ids(None, "info", {}) == {}


class TestOperations:
    async def test_health_readiness_and_metrics(self, transfer: httpx.AsyncClient) -> None:
        await transfer.get("/api/v1/transfer/cities")

        health = await transfer.get("/healthz")
        ready = await transfer.get("/readyz")
        metrics = await transfer.get("/metrics")

        assert health.json() == {"status": "ok"}
        assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}
        assert metrics.status_code == 200
        assert 'route="/api/v1/transfer/cities"' in metrics.text
        assert "magnet_http_request_duration_seconds_bucket" in metrics.text


class TestUnstorableText:
    """Found by fuzzing: a NUL reached PostgreSQL through the login form and gave a 500."""

    async def test_a_nul_in_the_login_form_is_a_422_problem(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.post(
            "/api/v1/auth/token", data={"username": "admin\x00@example.org", "password": "x"}
        )
        body = assert_problem(response, 422)
        assert "cannot be stored" in str(body["detail"])
        assert "SELECT" not in response.text


@pytest.fixture(scope="module")
def lost_database(settings: Settings) -> FastAPI:
    """Routes failing the ways a database that restarts makes them fail."""
    from sqlalchemy.exc import DBAPIError

    router = APIRouter()

    @router.get("/socket-gone")
    async def socket_gone() -> None:
        # The embedded server listens on a Unix socket, which is gone while it is down.
        await asyncpg.connect(host="/nonexistent-socket-dir", user="postgres", timeout=1)

    @router.get("/shutting-down")
    async def shutting_down() -> None:
        cause = asyncpg.CannotConnectNowError("the database system is shutting down")
        raise DBAPIError("SELECT 1", None, cause) from cause

    @router.get("/closed-mid-operation")
    async def closed_mid_operation() -> None:
        cause = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")
        raise DBAPIError("SELECT 1", None, cause) from cause

    @router.get("/out-of-connections")
    async def out_of_connections() -> None:
        # What a server at max_connections answers a new connection.
        raise asyncpg.TooManyConnectionsError("sorry, too many clients already")

    @router.get("/confused-driver")
    async def confused_driver() -> None:
        raise asyncpg.InternalClientError("cannot switch to state 12")

    @router.get("/file-error")
    async def file_error() -> None:
        raise FileNotFoundError("/etc/not-the-database")

    return create_service_app(
        name="lost", schema="catalog", title="lost", routers=[router], settings=settings
    )


class TestLostDatabase:
    """Found by restarting PostgreSQL under load: these were 500s instead of 503s."""

    @pytest.mark.parametrize(
        "path",
        [
            "/socket-gone",
            "/shutting-down",
            "/closed-mid-operation",
            "/out-of-connections",
            "/confused-driver",
        ],
    )
    async def test_a_database_that_is_away_is_a_503_problem(
        self, lost_database: FastAPI, path: str
    ) -> None:
        async with asgi_client(lost_database) as client:
            response = await client.get(path)
        body = assert_problem(response, 503)
        assert body["type"] == "urn:magnet:problem:database-unavailable"
        assert response.headers["retry-after"] == "1"

    async def test_other_file_errors_stay_500s(self, lost_database: FastAPI) -> None:
        async with asgi_client(lost_database) as client:
            response = await client.get("/file-error")
        body = assert_problem(response, 500)
        assert "/etc" not in str(body)
