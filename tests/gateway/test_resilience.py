"""Resilience at the edge: a breaker per upstream, retries only for idempotent requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from services.gateway.breaker import BreakerOpen, BreakerState, CircuitBreaker
from tests.gateway.conftest import GatewayFactory
from tests.ports import free_port

pytestmark = pytest.mark.slow

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"up":true}'


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def state_of(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state  # read afresh each time: the clock moves


class TestCircuitBreaker:
    def test_opens_after_the_threshold_and_refuses_until_the_pause_is_over(self) -> None:
        clock = Clock()
        breaker = CircuitBreaker(threshold=3, pause=10, clock=clock)
        for _ in range(2):
            breaker.admit()
            breaker.failed()
        assert state_of(breaker) is BreakerState.CLOSED

        breaker.admit()
        breaker.failed()

        assert state_of(breaker) is BreakerState.OPEN
        clock.now += 4
        with pytest.raises(BreakerOpen) as refused:
            breaker.admit()
        assert refused.value.retry_after == 6

    def test_a_success_resets_the_count(self) -> None:
        breaker = CircuitBreaker(threshold=2, pause=10, clock=Clock())
        breaker.failed()
        breaker.succeeded()
        breaker.failed()
        assert state_of(breaker) is BreakerState.CLOSED

    def test_half_open_lets_one_probe_through_and_its_success_closes(self) -> None:
        clock = Clock()
        breaker = CircuitBreaker(threshold=1, pause=10, clock=clock)
        breaker.failed()
        clock.now += 10

        breaker.admit()  # the probe
        with pytest.raises(BreakerOpen):
            breaker.admit()  # everyone else waits for it
        breaker.succeeded()

        assert state_of(breaker) is BreakerState.CLOSED
        breaker.admit()

    def test_a_failed_probe_opens_for_another_pause(self) -> None:
        clock = Clock()
        breaker = CircuitBreaker(threshold=5, pause=10, clock=clock)
        for _ in range(5):
            breaker.failed()
        clock.now += 10
        breaker.admit()
        breaker.failed()

        assert state_of(breaker) is BreakerState.OPEN
        assert breaker.retry_after() == 10

    def test_a_cancelled_probe_lets_the_next_call_probe(self) -> None:
        clock = Clock()
        breaker = CircuitBreaker(threshold=1, pause=1, clock=clock)
        breaker.failed()
        clock.now += 1
        breaker.admit()
        breaker.abandoned()

        breaker.admit()


@asynccontextmanager
async def http_server(port: int, *, drop_first: int = 0) -> AsyncIterator[list[int]]:
    """Answers every request with a small JSON 200; closes the first `drop_first`
    connections without answering. Yields a one-item list: connections seen."""
    seen = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen[0] += 1
        try:
            if seen[0] <= drop_first:
                await reader.readuntil(b"\r\n\r\n")
                return
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield seen
    finally:
        server.close()


class TestBreakerAtTheGateway:
    async def test_opens_on_a_dead_service_answers_503_at_once_and_closes_when_it_is_back(
        self, gateway_app: GatewayFactory
    ) -> None:
        port = free_port()
        async with gateway_app(
            catalog_url=f"http://127.0.0.1:{port}",
            upstream_failure_threshold=3,
            upstream_pause_seconds=0.5,
        ) as gateway:
            failures = [await gateway.get("/api/v1/catalog/taxonomy") for _ in range(3)]
            refused = await gateway.get("/api/v1/catalog/taxonomy")
            ready = await gateway.get("/readyz")

            assert [r.status_code for r in failures] == [503, 503, 503]
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "1"
            assert "paused" in refused.json()["detail"]
            assert ready.status_code == 503
            assert ready.json()["upstreams"]["catalog"]["breaker"] == "open"
            assert ready.json()["upstreams"]["transfer"]["breaker"] == "closed"

            async with http_server(port):
                still_open = await gateway.get("/api/v1/catalog/taxonomy")
                await asyncio.sleep(0.6)
                probe = await gateway.get("/api/v1/catalog/taxonomy")
                after = await gateway.get("/api/v1/catalog/taxonomy")
                breaker = (await gateway.get("/readyz")).json()["upstreams"]["catalog"]

        assert still_open.status_code == 503, "open: not even tried while the pause runs"
        assert probe.status_code == 200
        assert probe.json() == {"up": True}
        assert after.status_code == 200
        assert breaker == {"status": "ok", "breaker": "closed", "consecutive_failures": 0}

    async def test_other_services_keep_answering_while_one_breaker_is_open(
        self, gateway_app: GatewayFactory, closed_url: str
    ) -> None:
        async with gateway_app(catalog_url=closed_url, upstream_failure_threshold=1) as gateway:
            await gateway.get("/api/v1/catalog/taxonomy")
            refused = await gateway.get("/api/v1/catalog/taxonomy")
            cities = await gateway.get("/api/v1/transfer/cities")

        assert refused.status_code == 503
        assert cities.status_code == 200


class TestRetries:
    async def test_a_get_is_retried_once_when_the_connection_drops_before_an_answer(
        self, gateway_app: GatewayFactory
    ) -> None:
        port = free_port()
        async with (
            http_server(port, drop_first=1) as seen,
            gateway_app(catalog_url=f"http://127.0.0.1:{port}") as gateway,
        ):
            response = await gateway.get("/api/v1/catalog/taxonomy")

        assert response.status_code == 200
        assert seen[0] == 2

    async def test_a_post_is_never_retried(self, gateway_app: GatewayFactory) -> None:
        port = free_port()
        async with (
            http_server(port, drop_first=1) as seen,
            gateway_app(catalog_url=f"http://127.0.0.1:{port}") as gateway,
        ):
            response = await gateway.post("/api/v1/catalog/entries", json={"kind": "story"})

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert seen[0] == 1
