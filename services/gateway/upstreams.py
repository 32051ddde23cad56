"""The services behind the gateway: one pooled aiohttp session and one breaker per service.

Every call from the gateway to a service (the proxy, the dashboard) goes through
`Upstream.request`, which refuses at once while the service's breaker is open, retries an
idempotent request once when the connection could not be made or was dropped before an
answer, and turns failures into 503/504 problems that name the service but never its
address.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fastapi import FastAPI

from services.gateway.breaker import BreakerOpen, CircuitBreaker
from shared.problems import GatewayTimeout, Problem, ServiceUnavailable
from shared.settings import SERVICE_NAMES, Settings

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Failures that mean the request never reached the service, or no answer started.
_RETRIABLE = (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError)
READY_PROBE_SECONDS = 1.0


class Upstream:
    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.session = aiohttp.ClientSession(
            base_url=settings.service_url(name),
            connector=aiohttp.TCPConnector(limit=256, keepalive_timeout=30),
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=settings.peer_connect_timeout,
                sock_read=settings.peer_timeout,
            ),
            auto_decompress=False,
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent"),
        )
        self._connect = settings.peer_connect_timeout
        self.breaker = CircuitBreaker(
            threshold=settings.upstream_failure_threshold, pause=settings.upstream_pause_seconds
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Any = None,
        data: Any = None,
        within: float | None = None,
    ) -> aiohttp.ClientResponse:
        """Send a request (`within` seconds overall if given); the caller releases the answer."""
        try:
            self.breaker.admit()
        except BreakerOpen as exc:
            raise ServiceUnavailable(
                f"The {self.name} service is failing; calls to it are paused.",
                headers={"Retry-After": str(exc.retry_after)},
                service=self.name,
            ) from exc
        attempts = 2 if method in IDEMPOTENT_METHODS and data is None else 1
        try:
            for attempt in range(attempts):
                try:
                    response = await self.session.request(
                        method,
                        path,
                        headers=headers,
                        data=data,
                        allow_redirects=False,
                        timeout=self._timeout(within),
                    )
                    break
                except _RETRIABLE:
                    if attempt + 1 == attempts:
                        raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.breaker.failed()
            raise self.problem(exc) from exc
        except BaseException:
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()
        return response

    def _timeout(self, within: float | None) -> aiohttp.ClientTimeout:
        if within is None:
            return self.session.timeout
        return aiohttp.ClientTimeout(total=within, sock_connect=min(within, self._connect))

    def problem(self, exc: BaseException) -> Problem:
        if isinstance(exc, TimeoutError):
            return GatewayTimeout(f"The {self.name} service did not answer in time.")
        if isinstance(exc, aiohttp.ClientConnectorError):
            detail = f"The {self.name} service is unavailable; retry shortly."
        else:
            detail = f"The {self.name} service broke off; retry shortly."
        return ServiceUnavailable(detail, headers={"Retry-After": "2"})

    async def readiness(self) -> dict[str, object]:
        """Probe `/readyz` directly (not through the breaker) and report the breaker too."""
        try:
            async with self.session.get(
                "/readyz", timeout=aiohttp.ClientTimeout(total=READY_PROBE_SECONDS)
            ) as response:
                status = "ok" if response.status == 200 else f"status {response.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
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
        await asyncio.gather(*(u.session.close() for u in app.state.upstreams.values()))


def upstream(app: FastAPI, name: str) -> Upstream:
    found: Upstream = app.state.upstreams[name]
    return found
