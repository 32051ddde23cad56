"""Reverse proxy from `/api/v1/<service>/…` to the service, over keep-alive connections.

The hot path uses aiohttp's client directly (through `upstreams.Upstream`, which adds the
breaker and the retry): on this kind of machine httpx's own pool costs
about 1 ms of CPU per request and even httpx's API over an aiohttp transport adds object
churn a proxy pays on every request. Bodies stream both ways; small responses with a known
length are read whole, which costs fewer ASGI messages. API keys were already exchanged
for a token by `credentials.ApiKeyExchangeMiddleware`.
"""

from __future__ import annotations

import aiohttp
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from shared.peers import tracing_headers
from shared.problems import ServiceUnavailable
from shared.settings import SERVICE_NAMES

PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
BUFFER_LIMIT = 256 * 1024
CHUNK_SIZE = 64 * 1024
# RFC 9110 §7.6.1 hop-by-hop headers, plus those the gateway sets itself.
_NOT_FORWARDED = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "x-request-id", "traceparent", "x-forwarded-for",
}  # fmt: skip
_NOT_RETURNED = {
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
    b"trailer", b"transfer-encoding", b"upgrade", b"date", b"server", b"x-request-id",
}  # fmt: skip


def _upstream_headers(request: Request) -> list[tuple[str, str]]:
    headers = [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, value in request.headers.raw
        if key.decode("latin-1") not in _NOT_FORWARDED
    ]
    if request.client is not None:
        forwarded_for = request.headers.get("x-forwarded-for")
        chain = f"{forwarded_for}, {request.client.host}" if forwarded_for else request.client.host
        headers.append(("x-forwarded-for", chain))
    headers.extend(tracing_headers().items())
    return headers


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length != "0") or "transfer-encoding" in request.headers


def _response_headers(upstream: aiohttp.ClientResponse) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in upstream.raw_headers if k.lower() not in _NOT_RETURNED]


async def forward(request: Request, service_name: str) -> Response:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    upstream = await request.app.state.upstreams[service_name].request(
        request.method,
        path,
        headers=_upstream_headers(request),
        data=request.stream() if _has_body(request) else None,
    )
    length = upstream.content_length
    if length is not None and length <= BUFFER_LIMIT:
        try:
            body = await upstream.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceUnavailable(f"The {service_name} service broke off its answer.") from exc
        finally:
            upstream.release()
        response = Response(body, status_code=upstream.status)
    else:
        response = StreamingResponse(
            upstream.content.iter_chunked(CHUNK_SIZE),
            status_code=upstream.status,
            background=BackgroundTask(upstream.release),
        )
    response.raw_headers = _response_headers(upstream)
    return response


def _proxy_route(service_name: str) -> Route:
    async def proxy(request: Request) -> Response:
        return await forward(request, service_name)

    # A plain Starlette route: the proxy needs none of FastAPI's per-request parsing.
    return Route(f"/api/v1/{service_name}/{{path:path}}", proxy, methods=PROXIED_METHODS)


routes = [_proxy_route(name) for name in SERVICE_NAMES]
