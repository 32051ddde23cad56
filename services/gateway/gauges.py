"""Gauges of the gateway's upstreams, read when `/metrics` is scraped: each circuit
breaker's state, and each connection pool's requests in flight, idle connections and
requests waiting for a connection."""

from __future__ import annotations

from functools import partial

from prometheus_client import Gauge

from services.gateway.breaker import BreakerState
from services.gateway.upstreams import Upstream

BREAKER = Gauge(
    "magnet_upstream_breaker_state",
    "1 for the state each upstream's circuit breaker is in (closed, open, half-open)",
    ["upstream", "state"],
)
CONNECTIONS = Gauge(
    "magnet_upstream_pool",
    "Requests in flight, idle keep-alive connections and requests waiting, per upstream",
    ["upstream", "state"],
)


def _in_state(upstream: Upstream, state: BreakerState) -> float:
    return float(upstream.breaker.state is state)


def watch_upstreams(upstreams: dict[str, Upstream]) -> None:
    for name, upstream in upstreams.items():
        for state in BreakerState:
            BREAKER.labels(name, state.value).set_function(partial(_in_state, upstream, state))
        for what in ("in_flight", "idle", "waiting"):
            CONNECTIONS.labels(name, what).set_function(partial(upstream.pool.load, what))
