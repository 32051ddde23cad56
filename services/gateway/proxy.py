"""Reverse proxy from `/api/v1/<service>/…` to the service, over keep-alive connections.

Proxied requests take a lean path (`GatewayApp` in `app.py` sends them here): the gateway's
edge middlewares (request ids, security headers, body limit, CORS, rate limits, API key
exchange) wrap `ProxyApp` directly, without FastAPI's routing and per-request objects,
which cost more CPU than the forwarding itself.

A request body is read whole, within `MAGNET_BODY_TIMEOUT_SECONDS` (else 408), before an
upstream connection is taken: bodies are at most `MAGNET_MAX_BODY_BYTES` anyway, and a
client that sends slowly must cost the gateway a buffer, never one of the service's
connections. Answers stream back; small ones with a known length are read whole, which
costs fewer ASGI messages.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from services.gateway.http1 import Response, UpstreamError
from services.gateway.upstreams import Upstream
from shared.observability import PROXIED_ROUTE, ROUTE_HEADER
from shared.peers import raw_tracing_headers
from shared.problems import ServiceUnavailable, problem_response, response_for
from shared.settings import SERVICE_NAMES, Settings

BUFFER_LIMIT = 256 * 1024
CHUNK_SIZE = 64 * 1024
# RFC 9110 §7.6.1 hop-by-hop headers, plus those the gateway sets itself (the body's length
# among them: it frames what it read, whatever the client's headers said or `Connection` named).
_NOT_FORWARDED = {
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
    b"trailer", b"transfer-encoding", b"upgrade", b"host", b"x-request-id", b"traceparent",
    b"x-forwarded-for", b"expect", b"content-length",
}  # fmt: skip
_NOT_RETURNED = {
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
    b"trailer", b"transfer-encoding", b"upgrade", b"date", b"server", b"x-request-id",
    ROUTE_HEADER,
}  # fmt: skip


@dataclass(frozen=True)
class ProxiedRoute:
    """The route of a proxied request: its service, and the path template metrics show."""

    service: str
    path: str


_ROUTES = {
    f"/api/v1/{name}/": ProxiedRoute(name, f"/api/v1/{name}/{{path:path}}")
    for name in SERVICE_NAMES
}


@dataclass
class _Forwarded:
    """What the proxy sends on: the request's headers, and whether a body follows."""

    headers: list[tuple[bytes, bytes]]
    has_body: bool = False
    refusal: str | None = None  # why the request cannot be forwarded as it is


def _connection_options(headers: list[tuple[bytes, bytes]]) -> set[bytes]:
    """Header names the client listed in `Connection`: hop-by-hop (RFC 9110 §7.6.1)."""
    return {
        option.strip().lower()
        for key, value in headers
        if key == b"connection"
        for option in value.split(b",")
    }


def _forwarded(scope: Scope) -> _Forwarded:
    forwarded = _Forwarded(headers=[])
    not_forwarded = _NOT_FORWARDED
    if any(key == b"connection" for key, _ in scope["headers"]):
        not_forwarded = _NOT_FORWARDED | _connection_options(scope["headers"])
    for key, value in scope["headers"]:
        if key == b"transfer-encoding":
            forwarded.has_body = True
            if value.strip().lower() != b"chunked":
                forwarded.refusal = "Only the chunked transfer coding is accepted."
        elif key == b"content-length" and value != b"0":
            forwarded.has_body = True
        if key not in not_forwarded:
            forwarded.headers.append((key, value))
    chain = scope.get("forwarded_for")  # set by `ForwardedForMiddleware` behind trusted proxies
    if chain is None and (client := scope.get("client")) is not None:
        chain = client[0].encode()
    if chain is not None:
        forwarded.headers.append((b"x-forwarded-for", chain))
    forwarded.headers += raw_tracing_headers()
    return forwarded


async def _request_body(receive: Receive) -> bytes:
    pieces: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        if body := message.get("body", b""):
            pieces.append(body)
        if not message.get("more_body", False):
            return b"".join(pieces)


def _refusal(scope: Scope, status: int, slug: str, detail: str) -> JSONResponse:
    return problem_response(
        status,
        detail=detail,
        slug=slug,
        instance=scope["path"],
        headers={"Connection": "close"},  # the rest of the body is not read
    )


def _note_route(scope: Scope, answer: Response) -> None:
    """The upstream's route template, for the metrics of this request (per route, bounded)."""
    for key, value in answer.headers:
        if key == ROUTE_HEADER:
            if value != b"unmatched" and (noted := scope.get(PROXIED_ROUTE)) is not None:
                noted.append(value.decode("latin-1"))
            return


class ProxyApp:
    """The innermost app of the proxied path: forward, answer, turn failures into problems."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: ProxiedRoute = scope["route"]  # set by `GatewayApp`
        upstream: Upstream = scope["app"].state.upstreams[route.service]
        # Some clients put the query in `raw_path` too; a raw path never holds a bare "?".
        target = scope["raw_path"].partition(b"?")[0].decode("latin-1")
        if query := scope["query_string"]:
            target = f"{target}?{query.decode('latin-1')}"
        forwarded = _forwarded(scope)
        if forwarded.refusal is not None:
            refused = _refusal(scope, 400, "unsupported-transfer-coding", forwarded.refusal)
            await refused(scope, receive, send)
            return
        body: bytes | None = None
        try:
            if forwarded.has_body:
                settings: Settings = scope["app"].state.settings
                try:
                    async with asyncio.timeout(settings.body_timeout_seconds):
                        body = await _request_body(receive)
                except ClientDisconnect:
                    return  # nobody is left to answer
                except TimeoutError:
                    detail = (
                        f"The request body did not arrive within "
                        f"{settings.body_timeout_seconds:g} s."
                    )
                    await _refusal(scope, 408, "request-timeout", detail)(scope, receive, send)
                    return
                forwarded.headers.append((b"content-length", b"%d" % len(body)))
            answer = await upstream.request(
                scope["method"], target, headers=forwarded.headers, body=body
            )
            start, body = await self._head(upstream, answer)
            _note_route(scope, answer)
        except Exception as exc:
            response = await response_for(scope, exc)
            await response(scope, receive, send)
            return
        await send(start)
        if body is not None:
            await send({"type": "http.response.body", "body": body})
            return
        try:
            async for chunk in answer.chunks():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            answer.release()

    async def _head(self, upstream: Upstream, answer: Response) -> tuple[Message, bytes | None]:
        """The response start, and the whole body when it is small enough to read at once."""
        headers = [(k, v) for k, v in answer.headers if k not in _NOT_RETURNED]
        start = {"type": "http.response.start", "status": answer.status, "headers": headers}
        if not answer.complete:
            length = answer.content_length
            if length is None or length > BUFFER_LIMIT:
                return start, None
        try:
            return start, await answer.read()
        except (UpstreamError, TimeoutError) as exc:
            detail = f"The {upstream.name} service broke off its answer."
            raise ServiceUnavailable(detail) from exc


def route_of(scope: Scope) -> ProxiedRoute | None:
    """The route of a proxied request, or None for the gateway's own routes."""
    path: str = scope["path"]
    if not path.startswith("/api/v1/"):
        return None
    return _ROUTES.get(path[: path.find("/", len("/api/v1/")) + 1])
