"""One pooled HTTP client per peer service, with explicit timeouts.

Clients are made in the app's lifespan and live as long as it. They use aiohttp's
connection pool under httpx's API: httpx's default pool costs ~1 ms of CPU per request,
which is most of a proxy's budget on this kind of machine.
"""

from __future__ import annotations

import httpx
from httpx_aiohttp import AiohttpTransport

from shared.observability import current_child_traceparent, request_id_var
from shared.problems import ServiceUnavailable
from shared.settings import Settings


def peer_timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(
        settings.peer_timeout,
        connect=settings.peer_connect_timeout,
        pool=settings.peer_connect_timeout,
    )


def make_peer_client(base_url: str, settings: Settings) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64, keepalive_expiry=30)
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=peer_timeout(settings),
        transport=AiohttpTransport(limits=limits),
        follow_redirects=False,
    )


def raw_tracing_headers() -> list[tuple[bytes, bytes]]:
    """Headers that carry the current request's id and trace to a peer, as the byte pairs
    of ASGI and raw HTTP clients (the gateway's proxy sends them on every request)."""
    headers = [(b"traceparent", current_child_traceparent().encode())]
    if (request_id := request_id_var.get()) is not None:
        headers.append((b"x-request-id", request_id.encode()))
    return headers


def tracing_headers() -> dict[str, str]:
    """`raw_tracing_headers()` for httpx."""
    return {name.decode(): value.decode() for name, value in raw_tracing_headers()}


class Peers:
    """The clients of one app, keyed by peer service name."""

    def __init__(self, settings: Settings, names: tuple[str, ...]) -> None:
        self.clients = {
            name: make_peer_client(settings.service_url(name), settings) for name in names
        }

    def __getitem__(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()


async def peer_get(client: httpx.AsyncClient, path: str, peer: str) -> httpx.Response:
    """GET from a peer; a peer that is down or slow becomes a 503 problem for our caller."""
    try:
        response = await client.get(path, headers=tracing_headers())
    except httpx.TimeoutException as exc:
        raise ServiceUnavailable(f"The {peer} service did not answer in time.") from exc
    except httpx.TransportError as exc:
        raise ServiceUnavailable(f"The {peer} service is unavailable.") from exc
    if response.status_code >= 500:
        raise ServiceUnavailable(f"The {peer} service is unavailable.")
    return response
