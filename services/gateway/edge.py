"""What the gateway does to every request before anything else, in one middleware.

- Rate limits: per credential (the Authorization header) and per client address, in
  this process (token buckets), or in Redis and shared by every replica when
  `MAGNET_REDIS_URL` is set (`shared.limits`). Over the limit → 429 problem with
  `Retry-After`. Operations endpoints are not limited.
- API keys and users' tokens checked and exchanged for short-lived ones
  (`credentials.exchange_credential`).
- Security headers on every response, HSTS only when the request came over https.
- CORS for the configured SPA origins; a refused preflight is a problem like every error.

One middleware rather than one per concern: the gateway runs it on every proxied request,
and each ASGI layer costs a call and a wrapped `send` per message.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.credentials import exchange_credential
from shared.limits import SharedRateLimits
from shared.problems import problem_response
from shared.settings import Environment, Settings

NOT_LIMITED = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_KEYS = 100_000


class TokenBuckets:
    """`per_minute` requests a minute per key, in bursts of up to `burst` (a minute's worth)."""

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst or per_minute)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Take a token: 0 when there was one, else the seconds until there is."""
        now = self._clock()
        tokens, updated = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - updated) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > MAX_KEYS:
                self._forget_idle(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        """A bucket that has refilled is the same as no bucket: drop those."""
        self._buckets = {
            key: (tokens, updated)
            for key, (tokens, updated) in self._buckets.items()
            if tokens + (now - updated) * self.rate < self.capacity
        }


class LocalRateLimit:
    """Token buckets in this process, behind the same `take` as a shared limit: `amount`
    requests per `minutes` minutes, all of them at once if need be."""

    def __init__(self, amount: int, minutes: int = 1) -> None:
        self.buckets = TokenBuckets(amount / minutes, burst=amount)

    async def take(self, key: str) -> float:
        return self.buckets.take(key)


class RateLimit(Protocol):
    async def take(self, key: str) -> float: ...


def rate_limit(
    amount: int, shared: SharedRateLimits | None, scope: str, *, minutes: int = 1
) -> RateLimit | None:
    """`amount` requests per `minutes` minutes per key; None when `amount` is 0 (no limit)."""
    if not amount:
        return None
    if shared:
        return shared.limit(amount, scope, minutes=minutes)
    return LocalRateLimit(amount, minutes)


def too_many(scope: Scope, wait: float, detail: str) -> Response:
    return problem_response(
        429,
        detail=detail,
        slug="too-many-requests",
        instance=scope["path"],
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


class LoginLimiter:
    """Login attempts per account and per address, counted whether the account exists
    or not, and checked before the password is: the answer never tells which it was."""

    def __init__(self, per_account: int, per_address: int) -> None:
        self.accounts = TokenBuckets(per_account)
        self.addresses = TokenBuckets(per_address)

    def wait(self, account: str, address: str | None) -> float:
        by_address = self.addresses.take(address) if address else 0.0
        by_account = self.accounts.take(account.strip().lower())
        return max(by_address, by_account)


# Swagger UI and ReDoc from the gateway's own assets: an inline start-up script, ReDoc's
# generated styles and its search worker.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc"})
API_CSP = "default-src 'none'; frame-ancestors 'none'"
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_VARY_ORIGIN = (b"vary", b"Origin")


def _security_headers(csp: str, https: bool) -> list[tuple[bytes, bytes]]:
    return [*_COMMON, (b"content-security-policy", csp.encode()), *([_HSTS] if https else [])]


# Per (docs page?, https?): built once, not per response.
_SECURITY_HEADERS = {
    (docs, https): _security_headers(DOCS_CSP if docs else API_CSP, https)
    for docs in (False, True)
    for https in (False, True)
}


# What an SPA sends and reads (API.md §1); Accept-Language picks the answers' language.
CORS_ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Cancel-Token",
    "X-Request-ID",
    "Accept-Language",
)
CORS_EXPOSE_HEADERS = (
    "ETag",
    "Link",
    "Location",
    "Retry-After",
    "X-Request-ID",
    "Idempotent-Replayed",
)
# The dev servers of Vite and of Create React App / Next.js, by name and by address.
LOCAL_DEV_ORIGINS = (
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:3000",
    "http://127.0.0.1:3000",
)


def cors_origins(settings: Settings) -> list[str]:
    """`MAGNET_CORS_ORIGINS` when it is set (even empty); else, locally, the dev servers."""
    if "cors_origins" in settings.model_fields_set or settings.environment != Environment.LOCAL:
        return list(settings.cors_origins)
    return list(LOCAL_DEV_ORIGINS)


def cors_options(settings: Settings) -> dict[str, Any]:
    """Starlette `CORSMiddleware` options for the gateway."""
    return {
        "allow_origins": cors_origins(settings),
        "allow_credentials": True,
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": list(CORS_ALLOW_HEADERS),
        "expose_headers": list(CORS_EXPOSE_HEADERS),
        "max_age": 600,
    }


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, but a refused preflight is a 400 problem that says what to change."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        origin = request_headers.get("origin", "")
        if origin and not self.is_allowed_origin(origin):
            hint = (
                f"The origin {origin} is not allowed: add it to MAGNET_CORS_ORIGINS "
                "(comma-separated origins, e.g. https://app.example) and restart the gateway."
            )
        else:
            hint = f"Allowed request headers: {', '.join(CORS_ALLOW_HEADERS)}."
        return problem_response(
            400,
            detail=f"CORS preflight refused ({reason}). {hint}",
            slug="cors-preflight-refused",
            headers={"Vary": "Origin"},
        )


@dataclass(frozen=True)
class EdgePolicy:
    cors: dict[str, Any]  # Starlette `CORSMiddleware` options
    per_credential: int  # requests a minute; 0 for no limit
    per_address: int
    redis_url: str | None = None  # set: the limits are shared by every replica
    key_prefix: str = "magnet"


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, policy: EdgePolicy) -> None:
        self.app = app
        self.cors = ProblemCORSMiddleware(self._admit, **policy.cors)
        shared = (
            SharedRateLimits(policy.redis_url, key_prefix=policy.key_prefix)
            if policy.redis_url
            else None
        )
        self.credentials = rate_limit(policy.per_credential, shared, "credential")
        self.addresses = rate_limit(policy.per_address, shared, "address")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_origin = any(name == b"origin" for name, _ in scope["headers"])
        extra = _SECURITY_HEADERS[scope["path"] in DOCS_PATHS, scope.get("scheme") == "https"]
        if not has_origin:  # not a CORS request; its answer still varies by Origin
            extra = [*extra, _VARY_ORIGIN]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                present = {name for name, _ in headers}  # ASGI response names are lowercase
                message["headers"] = [
                    *headers,
                    *(header for header in extra if header[0] not in present),
                ]
            await send(message)

        if has_origin:
            await self.cors(scope, receive, send_with_headers)
        else:
            await self._admit(scope, receive, send_with_headers)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Past CORS: refuse what is over the limits, exchange an API key, go on."""
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if scope["path"] not in NOT_LIMITED and (wait := await self._wait(scope, authorization)):
            response = too_many(scope, wait, "Too many requests; slow down and retry later.")
            await response(scope, receive, send)
            return
        if authorization is not None:
            exchanged = await exchange_credential(scope, authorization)
            if isinstance(exchanged, Response):
                await exchanged(scope, receive, send)
                return
            scope = exchanged
        await self.app(scope, receive, send)

    async def _wait(self, scope: Scope, authorization: bytes | None) -> float:
        wait = 0.0
        if self.addresses is not None and (client := scope.get("client")):
            wait = await self.addresses.take(client[0])
        if not wait and self.credentials is not None and authorization is not None:
            wait = await self.credentials.take(authorization.decode("latin-1"))
        return wait
