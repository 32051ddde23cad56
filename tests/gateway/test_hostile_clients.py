"""The gateway process under the attacks of issue 14, each rerun small against deliberately
small limits: slow uploads, slow and oversized heads, hop-by-hop headers, forged
`X-Forwarded-For`, an overview flood, a saturated upstream pool, dead pooled database
connections and anonymous metrics. Beside each attack an ordinary client's requests must
succeed; their latencies are written to stderr (`-s` shows them), never asserted on.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from shared.db import libpq_url
from tests.conftest import TEST_SECRET
from tests.gateway.attacks import (
    HOST,
    Latencies,
    gateway_process,
    ordinary_client,
    read_answer,
    slow_heads,
    slow_uploads,
)
from tests.gateway.conftest import GatewayFactory
from tests.gateway.upstream_server import UpstreamServer
from tests.stack import Stack, stack_env

pytestmark = pytest.mark.slow

UPSTREAM_CONNECTIONS = 4
ORDINARY_PATHS = ["/api/v1/catalog/entries", "/readyz"]


def report(attack: str, latencies: Latencies) -> None:
    sys.stderr.write(f"\n[{attack}] ordinary client: {latencies.summary()}\n")


def problem_of(raw: bytes) -> bool:
    return b"content-type: application/problem+json" in raw.lower()


@pytest.fixture(scope="module")
async def standin() -> AsyncIterator[UpstreamServer]:
    """Stands in for the transfer service: it shows what the gateway sends on."""
    server = await UpstreamServer().start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def edge(stack: Stack, database_url: str, standin: UpstreamServer) -> AsyncIterator[str]:
    """A gateway process with small limits, in front of the real catalog and participation
    services and the stand-in transfer service."""
    env = stack_env(
        database_url,
        stack.ports,
        secret_key=TEST_SECRET,
        transfer_url=standin.url,
        upstream_connections=str(UPSTREAM_CONNECTIONS),
        upstream_queue_seconds="1",
        body_timeout_seconds="3",
        header_timeout_seconds="1",
        login_attempts_per_address_per_minute="3",
        dashboard_cache_seconds="60",
    )
    async with gateway_process(env) as url:
        yield url


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


class TestSlowUploads:
    async def test_slow_uploads_hold_no_service_connection_and_end_in_a_408(
        self, edge: str
    ) -> None:
        before = await ordinary_client(edge, ORDINARY_PATHS, 5)
        # Three times as many as the gateway has connections to the catalog.
        attack = await slow_uploads(
            port_of(edge), 3 * UPSTREAM_CONNECTIONS, 0.5, "/api/v1/catalog/entries"
        )
        try:
            await asyncio.sleep(0.5)
            during = await ordinary_client(edge, ORDINARY_PATHS, 5)
            answers = await attack.answers(within=30)
        finally:
            await attack.close()
        report("slow uploads: before", before)
        report("slow uploads: during", during)

        assert set(during.statuses) == {200}
        assert [answer.status for answer in answers] == [408] * len(answers)
        assert all(problem_of(answer.raw) for answer in answers)


class TestSlowHeads:
    async def test_heads_that_never_end_get_a_408_and_silent_connections_are_closed(
        self, edge: str
    ) -> None:
        port = port_of(edge)
        attack = await slow_heads(port, 100, 0.3)
        silent = [await asyncio.open_connection(HOST, port) for _ in range(20)]
        try:
            during = await ordinary_client(edge, ORDINARY_PATHS, 5)
            answers = await attack.answers(within=30)
            quiet = await asyncio.gather(*(read_answer(reader, 30) for reader, _ in silent))
        finally:
            await attack.close()
            for _, writer in silent:
                writer.close()
        report("slow heads", during)

        assert set(during.statuses) == {200}
        assert all(answer.closed for answer in answers + quiet), "none is held"
        # A 408 problem; a gateway starved of CPU for longer than the head timeout may
        # close first, having read nothing of the head in time.
        assert {answer.status for answer in answers} <= {408, None}
        assert any(answer.status == 408 for answer in answers)
        assert all(problem_of(answer.raw) for answer in answers if answer.status == 408)
        assert all(answer.raw == b"" for answer in quiet)


async def send_head(port: int, head: bytes) -> tuple[int | None, bytes]:
    """Send `head` while reading the answer, as a client that keeps sending would."""
    reader, writer = await asyncio.open_connection(HOST, port)

    async def send() -> None:
        try:
            for start in range(0, len(head), 16384):
                writer.write(head[start : start + 16384])
                await writer.drain()
        except ConnectionError:
            pass  # the server answered and stopped listening

    sending = asyncio.create_task(send())
    answer = await read_answer(reader, 30)
    sending.cancel()
    writer.close()
    return answer.status, answer.raw


class TestHeadLimits:
    async def test_a_megabyte_header_value_gets_a_431_problem(self, edge: str) -> None:
        head = b"GET /api/v1/transfer/echo HTTP/1.1\r\nHost: x\r\nX-Big: %b\r\n\r\n" % (
            b"a" * 1024 * 1024
        )
        status, raw = await send_head(port_of(edge), head)

        assert status == 431
        assert problem_of(raw)

    async def test_two_thousand_headers_get_a_431_problem(
        self, edge: str, standin: UpstreamServer
    ) -> None:
        lines = b"".join(b"X-Many-%d: v\r\n" % n for n in range(2000))
        seen = len(standin.requests)
        status, raw = await send_head(
            port_of(edge), b"GET /api/v1/transfer/echo HTTP/1.1\r\nHost: x\r\n%b\r\n" % lines
        )

        assert status == 431
        assert problem_of(raw)
        assert len(standin.requests) == seen, "nothing was forwarded"

    async def test_a_head_at_the_limit_passes_the_gateway_and_the_service(self, edge: str) -> None:
        # httpx adds host, accept, accept-encoding, connection and user-agent: 100 in all.
        many = {f"x-many-{n}": "v" for n in range(95)}
        async with httpx.AsyncClient(base_url=edge, timeout=10) as client:
            response = await client.get("/api/v1/catalog/entries", headers=many)

        assert response.status_code == 200, "the headers the gateway adds are not refused"


class TestHopByHop:
    async def test_headers_named_in_connection_are_not_forwarded(
        self, edge: str, standin: UpstreamServer
    ) -> None:
        async with httpx.AsyncClient(base_url=edge, timeout=10) as client:
            response = await client.get(
                "/api/v1/transfer/echo",
                headers={
                    "Connection": "keep-alive, X-Hop-Secret",
                    "X-Hop-Secret": "for the gateway only",
                    "X-Kept": "end to end",
                },
            )

        assert response.status_code == 200
        sent = response.json()["headers"]
        assert "x-hop-secret" not in sent
        assert sent["x-kept"] == "end to end"

    async def test_naming_content_length_in_connection_does_not_unframe_the_body(
        self, edge: str
    ) -> None:
        async with httpx.AsyncClient(base_url=edge, timeout=10) as client:
            response = await client.post(
                "/api/v1/transfer/echo",
                content=b"GET /api/v1/transfer/smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
                headers={"Connection": "keep-alive, Content-Length"},
            )
            after = await client.get("/api/v1/transfer/echo")

        assert response.status_code == 200
        assert response.json()["length"] == 51
        assert response.json()["headers"]["content-length"] == "51"
        assert after.json()["target"] == "/api/v1/transfer/echo"

    async def test_a_transfer_coding_other_than_chunked_is_refused(
        self, edge: str, standin: UpstreamServer
    ) -> None:
        seen = len(standin.requests)
        reader, writer = await asyncio.open_connection(HOST, port_of(edge))
        writer.write(
            b"POST /api/v1/transfer/echo HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        )
        answer = await read_answer(reader, 30)
        writer.close()

        assert answer.status == 400
        assert problem_of(answer.raw)
        assert len(standin.requests) == seen, "nothing was forwarded"


async def login(client: httpx.AsyncClient, forwarded_for: str) -> int:
    response = await client.post(
        "/api/v1/auth/token",
        data={"username": "someone@example.org", "password": "not-the-password"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


class TestForwardedFor:
    async def test_a_rotated_x_forwarded_for_does_not_escape_the_per_address_limit(
        self, edge: str
    ) -> None:
        async with httpx.AsyncClient(base_url=edge, timeout=10) as client:
            statuses = [await login(client, f"198.51.100.{n}") for n in range(4)]

        assert statuses == [401, 401, 401, 429]

    async def test_behind_a_trusted_proxy_the_address_it_forwarded_is_the_client(
        self, gateway_app: GatewayFactory, standin: UpstreamServer
    ) -> None:
        async with gateway_app(
            transfer_url=standin.url,
            trusted_proxies="127.0.0.0/8, 10.0.0.0/8",
            login_attempts_per_address_per_minute=3,
        ) as gateway:
            statuses = [await login(gateway, f"198.51.100.{n}, 10.1.1.1") for n in range(4)]
            echoed = await gateway.get(
                "/api/v1/transfer/echo", headers={"X-Forwarded-For": "203.0.113.7"}
            )

        assert statuses == [401, 401, 401, 401], "four clients behind the proxies"
        assert echoed.json()["headers"]["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"


class TestOverviewFlood:
    async def test_concurrent_overviews_cost_one_computation_then_none(
        self, edge: str, standin: UpstreamServer
    ) -> None:
        def transfer_calls() -> int:
            return sum(1 for r in standin.requests if r.target.startswith("/api/v1/transfer/"))

        async with httpx.AsyncClient(base_url=edge, timeout=30) as client:
            start = transfer_calls()
            single = await client.get("/api/v1/dashboard/overview?lang=sl")
            one_computation = transfer_calls() - start

            start = transfer_calls()
            flood = await asyncio.gather(
                *(client.get("/api/v1/dashboard/overview?lang=hr") for _ in range(20))
            )
            flood_calls = transfer_calls() - start

            start = transfer_calls()
            again = await client.get("/api/v1/dashboard/overview?lang=hr")
            cached_calls = transfer_calls() - start

        assert single.status_code == 200
        assert one_computation > 0
        assert {response.status_code for response in flood} == {200}
        assert flood_calls == one_computation
        assert again.status_code == 200
        assert cached_calls == 0


class TestMetricsInProduction:
    async def test_metrics_need_the_token_in_production(
        self, stack: Stack, database_url: str
    ) -> None:
        env = stack_env(
            database_url,
            stack.ports,
            secret_key=TEST_SECRET,
            environment="production",
            metrics_token="a-metrics-token-for-the-scraper",
        )
        async with (
            gateway_process(env) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            anonymous = await client.get("/metrics")
            wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
            scraper = await client.get(
                "/metrics", headers={"Authorization": "Bearer a-metrics-token-for-the-scraper"}
            )

        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert wrong.status_code == 401
        assert scraper.status_code == 200
        assert "http_request" in scraper.text or "# HELP" in scraper.text

    async def test_without_a_token_production_does_not_serve_them(
        self, gateway_app: GatewayFactory
    ) -> None:
        async with gateway_app(environment="production") as gateway:
            response = await gateway.get("/metrics")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_locally_they_stay_open(self, edge: str) -> None:
        async with httpx.AsyncClient(base_url=edge, timeout=10) as client:
            assert (await client.get("/metrics")).status_code == 200


class TestDeadPooledConnections:
    async def test_requests_after_the_servers_connections_were_terminated_succeed(
        self, gateway: httpx.AsyncClient, database_url: str
    ) -> None:
        paths = [
            "/api/v1/catalog/entries",
            "/api/v1/participation/events",
            "/api/v1/transfer/cities",
            "/api/v1/transfer/cities/kosice",
        ]
        for path in paths:  # every service has pooled connections
            assert (await gateway.get(path)).status_code == 200
        admin = await asyncpg.connect(libpq_url(database_url))
        try:
            terminated = await admin.fetchval(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name LIKE 'magnet-%') t"
            )
        finally:
            await admin.close()
        assert terminated > 0
        await asyncio.sleep(0.5)  # the goodbyes reach the services' drivers

        statuses = [(await gateway.get(path)).status_code for _ in range(5) for path in paths]

        assert statuses == [200] * len(statuses)


class TestSaturatedUpstreamPool:
    """Last in this module: its hanging requests leave the stand-in busy."""

    async def test_a_request_that_finds_every_connection_busy_gets_a_503_and_readyz_answers(
        self, edge: str, standin: UpstreamServer
    ) -> None:
        async with httpx.AsyncClient(base_url=edge, timeout=30) as client:
            hanging = [
                asyncio.create_task(client.get("/api/v1/transfer/hang"))
                for _ in range(UPSTREAM_CONNECTIONS)
            ]
            for _ in range(400):  # up to 20 s for the stand-in to hold them all
                if sum(r.target.endswith("/hang") for r in standin.requests) >= len(hanging):
                    break
                await asyncio.sleep(0.05)
            refused = await client.get("/api/v1/transfer/echo")
            ready = await client.get("/readyz")
            answers = await asyncio.gather(*hanging)

        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert ready.status_code == 200
        assert {answer.status_code for answer in answers} == {504}
