"""Reverse proxy from `/api/v1/<service>/…` to the service, over pooled keep-alive clients.

Bodies stream both ways; small responses with a known length are read whole, which costs
fewer ASGI messages than streaming them. API keys were already exchanged for a token by
`credentials.ApiKeyExchangeMiddleware`.
"""

from __future__ import annotations

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from shared.peers import tracing_headers
from shared.problems import GatewayTimeout, ServiceUnavailable
from shared.settings import SERVICE_NAMES

PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
BUFFER_LIMIT = 256 * 1024
# RFC 9110 §7.6.1 hop-by-hop headers, plus those the gateway sets itself.
_NOT_FORWARDED = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"host",
    b"x-request-id",
    b"traceparent",
}
_NOT_RETURNED = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "date",
    "server",
    "x-request-id",
}


def _upstream_headers(request: Request) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in request.headers.raw if k not in _NOT_FORWARDED]
    if request.client is not None:
        forwarded_for = request.headers.get("x-forwarded-for")
        chain = f"{forwarded_for}, {request.client.host}" if forwarded_for else request.client.host
        headers = [(k, v) for k, v in headers if k != b"x-forwarded-for"]
        headers.append((b"x-forwarded-for", chain.encode()))
    headers.extend((k.encode(), v.encode()) for k, v in tracing_headers().items())
    return headers


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length != "0") or "transfer-encoding" in request.headers


async def forward(request: Request, service_name: str) -> Response:
    client: httpx.AsyncClient = request.app.state.peers[service_name]
    upstream_request = client.build_request(
        request.method,
        request.url.path,
        params=request.url.query,
        headers=_upstream_headers(request),
        content=request.stream() if _has_body(request) else None,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        # Nothing reached the service (the aiohttp transport reports a refused connection
        # as a connect timeout): it is down, not slow.
        raise ServiceUnavailable(
            f"The {service_name} service is unavailable; retry shortly.",
            headers={"Retry-After": "2"},
        ) from exc
    except httpx.TimeoutException as exc:
        raise GatewayTimeout(f"The {service_name} service did not answer in time.") from exc
    except httpx.TransportError as exc:
        raise ServiceUnavailable(
            f"The {service_name} service broke off; retry shortly.", headers={"Retry-After": "2"}
        ) from exc
    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _NOT_RETURNED}
    length = upstream.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) <= BUFFER_LIMIT:
        try:
            body = await upstream.aread()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"The {service_name} service broke off its answer.") from exc
        finally:
            await upstream.aclose()
        return Response(body, status_code=upstream.status_code, headers=headers)
    return StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        headers=headers,
        background=BackgroundTask(upstream.aclose),
    )


def _proxy_route(service_name: str) -> Route:
    async def proxy(request: Request) -> Response:
        return await forward(request, service_name)

    # A plain Starlette route: the proxy needs none of FastAPI's per-request parsing.
    return Route(f"/api/v1/{service_name}/{{path:path}}", proxy, methods=PROXIED_METHODS)


routes = [_proxy_route(name) for name in SERVICE_NAMES]
