"""The services behind the gateway: one pool of keep-alive connections and one breaker each.

Every call from the gateway to a service (the proxy, the dashboard, readiness) goes through
`Upstream.request`, which refuses at once while the service's breaker is open, retries an
idempotent request once when the connection could not be made or was dropped before an
answer, and turns failures into 503/504 problems that name the service but never its
address.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI

from services.gateway.breaker import BreakerOpen, CircuitBreaker
from services.gateway.http1 import (
    ConnectFailed,
    Disconnected,
    Pool,
    PoolBusy,
    Response,
    UpstreamError,
)
from shared.problems import GatewayTimeout, Problem, ServiceUnavailable
from shared.settings import SERVICE_NAMES, Settings

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Failures that mean the request never reached the service, or no answer started.
_RETRIABLE = (ConnectFailed, Disconnected)
READY_PROBE_SECONDS = 1.0


class Upstream:
    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        url = urlsplit(settings.service_url(name))
        self.pool = Pool(
            url.hostname or "127.0.0.1",
            url.port or (443 if url.scheme == "https" else 80),
            limit=settings.upstream_connections,
            connect_timeout=settings.peer_connect_timeout,
            queue_timeout=settings.upstream_queue_seconds,
        )
        # Readiness asks on a connection of its own: it reports on the service, and never
        # waits behind the traffic (or an attack) that keeps the pool busy.
        self.probe_pool = Pool(
            self.pool.host, self.pool.port, limit=1, connect_timeout=settings.peer_connect_timeout
        )
        self.read_timeout = settings.peer_timeout
        self.breaker = CircuitBreaker(
            threshold=settings.upstream_failure_threshold, pause=settings.upstream_pause_seconds
        )

    async def request(
        self,
        method: str,
        target: str,
        *,
        headers: Iterable[tuple[bytes, bytes]] = (),
        body: AsyncIterator[bytes] | bytes | None = None,
        chunked: bool = False,
        within: float | None = None,
    ) -> Response:
        """Send a request (`within` seconds at most for its head); the caller releases the
        answer."""
        try:
            self.breaker.admit()
        except BreakerOpen as exc:
            raise ServiceUnavailable(
                f"The {self.name} service is failing; calls to it are paused.",
                headers={"Retry-After": str(exc.retry_after)},
                service=self.name,
            ) from exc
        attempts = 2 if method in IDEMPOTENT_METHODS and body is None else 1
        timeout = self.read_timeout if within is None else min(within, self.read_timeout)
        try:
            for attempt in range(attempts):
                try:
                    response = await self.pool.request(
                        method, target, headers, body, chunked=chunked, read_timeout=timeout
                    )
                    break
                except _RETRIABLE:
                    if attempt + 1 == attempts:
                        raise
        except PoolBusy as exc:
            self.breaker.abandoned()  # the gateway is busy; the service told nothing
            raise self.problem(exc) from exc
        except (UpstreamError, TimeoutError) as exc:
            self.breaker.failed()
            raise self.problem(exc) from exc
        except BaseException:
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()
        return response

    def problem(self, exc: BaseException) -> Problem:
        if isinstance(exc, TimeoutError):
            return GatewayTimeout(f"The {self.name} service did not answer in time.")
        if isinstance(exc, PoolBusy):
            detail = f"Too many requests to the {self.name} service at once; retry shortly."
            return ServiceUnavailable(detail, headers={"Retry-After": "1"})
        if isinstance(exc, ConnectFailed):
            detail = f"The {self.name} service is unavailable; retry shortly."
        else:
            detail = f"The {self.name} service broke off; retry shortly."
        return ServiceUnavailable(detail, headers={"Retry-After": "2"})

    async def readiness(self) -> dict[str, object]:
        """Probe `/readyz` directly (not through the breaker) and report the breaker too."""
        try:
            response = await self.probe_pool.request(
                "GET",
                "/readyz",
                (),
                read_timeout=READY_PROBE_SECONDS,
                queue_timeout=READY_PROBE_SECONDS,
            )
            async with asyncio.timeout(READY_PROBE_SECONDS):
                await response.read()
            status = "ok" if response.status == 200 else f"status {response.status}"
        except (UpstreamError, TimeoutError) as exc:
            status = type(exc).__name__
        return {"status": status, **self.breaker.report()}


@asynccontextmanager
async def upstream_sessions(app: FastAPI) -> AsyncIterator[None]:
    """One `Upstream` per service, alive as long as the gateway."""
    settings: Settings = app.state.settings
    app.state.upstreams = {name: Upstream(name, settings) for name in SERVICE_NAMES}
    try:
        yield
    finally:
        for upstream in app.state.upstreams.values():
            upstream.pool.close()
            upstream.probe_pool.close()


def upstream(app: FastAPI, name: str) -> Upstream:
    found: Upstream = app.state.upstreams[name]
    return found
