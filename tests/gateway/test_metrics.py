"""Metrics ops can read: per-route figures through the gateway, breaker, pool and DB gauges."""

from __future__ import annotations

import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.stack import Stack

pytestmark = pytest.mark.slow


def samples(url: str) -> list[tuple[str, dict[str, str], float]]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def test_proxied_requests_are_counted_per_upstream_route_template(stack: Stack) -> None:
    event, entry = uuid.uuid4(), f"no-such-entry-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        answers = [
            client.get(f"/api/v1/participation/events/{event}"),
            client.get(f"/api/v1/catalog/entries/{entry}"),
            client.get("/api/v1/catalog/no/such/route"),
        ]

    routes = {
        labels["route"]
        for name, labels, _ in samples(stack.gateway_url)
        if name == "magnet_http_requests_total" and labels["service"] == "gateway"
    }

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert not any("x-magnet-route" in answer.headers for answer in answers)
    assert "/api/v1/participation/events/{event_id}" in routes
    assert "/api/v1/catalog/entries/{ref}" in routes
    assert "/api/v1/catalog/{path:path}" in routes  # what no route of the catalog matched
    assert not any(str(event) in route or entry in route for route in routes)


def test_breaker_and_upstream_pool_gauges_on_the_gateway(stack: Stack) -> None:
    httpx.get(f"{stack.gateway_url}/api/v1/transfer/cities", timeout=10)
    gauges = {
        (name, labels["upstream"], labels["state"]): value
        for name, labels, value in samples(stack.gateway_url)
        if name in ("magnet_upstream_breaker_state", "magnet_upstream_pool")
    }

    for upstream in ("catalog", "participation", "transfer"):
        assert gauges["magnet_upstream_breaker_state", upstream, "closed"] == 1
        assert gauges["magnet_upstream_breaker_state", upstream, "open"] == 0
        assert gauges["magnet_upstream_pool", upstream, "waiting"] == 0
    assert gauges["magnet_upstream_pool", "transfer", "idle"] >= 1  # kept alive after use


def test_database_pool_gauges_in_every_service(stack: Stack) -> None:
    for name in ("gateway", "catalog", "participation", "transfer"):
        httpx.get(f"{stack.url(name)}/readyz", timeout=10)
        pool = {
            labels["state"]: value
            for metric, labels, value in samples(stack.url(name))
            if metric == "magnet_db_pool_connections" and labels["service"] == name
        }
        assert pool["size"] == 4, name  # MAGNET_DB_POOL_SIZE of the test stack
        assert pool["idle"] >= 1, name
        assert pool["in_use"] >= 0, name
