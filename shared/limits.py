"""Limits: request bodies over the configured size, and request rates shared by replicas.

A declared `Content-Length` over the limit is refused before the body is read; a chunked
body is counted as it streams and refused as soon as it passes the limit (413 problem).

`SharedRateLimit` counts requests in Redis (`MAGNET_REDIS_URL`) with the `limits` library's
moving window, so every gateway replica counts against the same limit, exactly. When Redis
does not answer, requests are let through (fail open: a store outage must not take the
platform down with it), counted in `magnet_rate_limit_fail_open_total` and logged at most
every LOG_EVERY_SECONDS; the store is left alone for PAUSE_SECONDS after a failure, so an
outage costs requests no connect timeouts.
"""

from __future__ import annotations

import hashlib
import time

import structlog
from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from prometheus_client import Counter
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import problem_response

log = structlog.get_logger("magnet.limits")
FAIL_OPEN = Counter(
    "magnet_rate_limit_fail_open_total",
    "Requests let through unchecked because the shared rate-limit store did not answer",
)
STORE_TIMEOUT_SECONDS = 0.5
PAUSE_SECONDS = 1.0
LOG_EVERY_SECONDS = 10.0


class SharedRateLimits:
    """The Redis store of one process's shared limits, and its fail-open bookkeeping."""

    def __init__(self, redis_url: str, *, key_prefix: str) -> None:
        self.storage = RedisStorage(
            "async+" + redis_url.removeprefix("async+"),
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=key_prefix,
            socket_connect_timeout=STORE_TIMEOUT_SECONDS,
            socket_timeout=STORE_TIMEOUT_SECONDS,
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._paused_until = 0.0
        self._logged_at = -LOG_EVERY_SECONDS

    def available(self) -> bool:
        return time.monotonic() >= self._paused_until

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._paused_until = now + PAUSE_SECONDS
        if now - self._logged_at >= LOG_EVERY_SECONDS:
            self._logged_at = now
            log.warning(
                "rate-limit store unavailable; letting requests through",
                error=f"{type(exc).__name__}: {exc}",
            )

    def limit(self, amount: int, scope: str, *, minutes: int = 1) -> SharedRateLimit:
        return SharedRateLimit(self, amount, scope, minutes=minutes)


class SharedRateLimit:
    """`amount` requests per `minutes` minutes per key, over every process that shares the
    store."""

    def __init__(
        self, store: SharedRateLimits, amount: int, scope: str, *, minutes: int = 1
    ) -> None:
        self.store = store
        self.item = RateLimitItemPerMinute(amount, minutes)
        self.scope = scope  # keeps two limits' counters for one key apart

    async def take(self, key: str) -> float:
        """Take one request: 0 when allowed, else the seconds until one is."""
        if not self.store.available():
            FAIL_OPEN.inc()
            return 0.0
        # Keys may be credentials: the store sees only their digests.
        digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        try:
            if await self.store.limiter.hit(self.item, self.scope, digest):
                return 0.0
            stats = await self.store.limiter.get_window_stats(self.item, self.scope, digest)
        except (StorageError, OSError, TimeoutError) as exc:
            self.store.failed(exc)
            FAIL_OPEN.inc()
            return 0.0
        return max(stats.reset_time - time.time(), 0.001)


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return f"Request bodies are limited to {self.max_bytes} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
                if declared is None or declared > self.max_bytes:
                    too_large = declared is not None
                    response = problem_response(
                        413 if too_large else 400,
                        detail=self._message() if too_large else "Invalid Content-Length.",
                        slug="content-too-large" if too_large else "bad-request",
                        instance=scope["path"],
                    )
                    await response(scope, receive, send)
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException, because body parsing turns any other error into a 400.
                    raise HTTPException(413, detail=self._message())
            return message

        await self.app(scope, counting_receive, send)
