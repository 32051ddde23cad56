"""What the gateway does to every request before anything else: limits and headers.

- Rate limits: a token bucket per credential (the Authorization header) and per client
  address, in this process (one gateway process; several would share a store). Over the
  limit → 429 problem with `Retry-After`. Operations endpoints are not limited.
- Security headers on every response, HSTS only when the request came over https.
- CORS for the configured SPA origins; a refused preflight is a problem like every error.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import problem_response

NOT_LIMITED = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_KEYS = 100_000


class TokenBuckets:
    """`per_minute` requests a minute per key, in bursts of up to `burst` (a minute's worth)."""

    def __init__(
        self,
        per_minute: int,
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


def too_many(scope: Scope, wait: float, detail: str) -> Response:
    return problem_response(
        429,
        detail=detail,
        slug="too-many-requests",
        instance=scope["path"],
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, per_credential: int, per_address: int) -> None:
        self.app = app
        self.credentials = TokenBuckets(per_credential) if per_credential else None
        self.addresses = TokenBuckets(per_address) if per_address else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in NOT_LIMITED:
            await self.app(scope, receive, send)
            return
        wait = 0.0
        if self.addresses is not None and (client := scope.get("client")):
            wait = self.addresses.take(client[0])
        if not wait and self.credentials is not None:
            for name, value in scope["headers"]:
                if name == b"authorization":
                    wait = self.credentials.take(value.decode("latin-1"))
                    break
        if wait:
            response = too_many(scope, wait, "Too many requests; slow down and retry later.")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


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


DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else API_CSP
        extra = [*_COMMON, (b"content-security-policy", csp.encode())]
        if scope.get("scheme") == "https":
            extra.append(_HSTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(header for header in extra if header[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, but a refused preflight is a 400 problem, not plain text."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        return problem_response(
            400,
            detail=f"CORS preflight refused ({reason}).",
            slug="cors-preflight-refused",
            headers={"Vary": "Origin"},
        )
