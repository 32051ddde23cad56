"""Gauges of the gateway's upstreams: each circuit breaker's state, and each connection
pool's requests in flight, idle connections and requests waiting for a connection (summed
over the gateway's workers; a breaker state is 1 when any worker's breaker is in it)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Gauge

from services.gateway.breaker import BreakerState
from services.gateway.upstreams import Upstream

BREAKER = Gauge(
    "magnet_upstream_breaker_state",
    "1 for the state each upstream's circuit breaker is in (closed, open, half-open)",
    ["upstream", "state"],
    multiprocess_mode="livemax",
)
CONNECTIONS = Gauge(
    "magnet_upstream_pool",
    "Requests in flight, idle keep-alive connections and requests waiting, per upstream",
    ["upstream", "state"],
    multiprocess_mode="livesum",
)
POOL_FIGURES = ("in_flight", "idle", "waiting")


def upstream_gauges(upstreams: dict[str, Upstream]) -> Callable[[], None]:
    def refresh() -> None:
        for name, upstream in upstreams.items():
            current = upstream.breaker.state
            for state in BreakerState:
                BREAKER.labels(name, state.value).set(float(current is state))
            for what in POOL_FIGURES:
                CONNECTIONS.labels(name, what).set(upstream.pool.load(what))

    return refresh
