"""How often one client address, and one email address, may sign up or ask for a reset.

Each request sends a mail, so the limit per email also bounds the mail a stranger can make
someone receive. Counted whether the address has an account or not, before anything is
looked up: a 429 tells nothing about accounts. In Redis and shared by every gateway replica
when `MAGNET_REDIS_URL` is set (`shared.limits`), else in this process.
"""

from __future__ import annotations

import math

from services.gateway.edge import RateLimit, rate_limit
from shared.limits import SharedRateLimits
from shared.problems import TooManyRequests
from shared.settings import Settings

HOUR = 60


class ResidentLimits:
    def __init__(self, settings: Settings) -> None:
        shared = (
            SharedRateLimits(settings.redis_url, key_prefix=settings.rate_limit_key_prefix)
            if settings.redis_url
            else None
        )
        self.by_address = _limit(
            settings.resident_requests_per_address_per_hour, shared, "resident-address"
        )
        self.by_email = _limit(
            settings.resident_requests_per_email_per_hour, shared, "resident-email"
        )

    async def admit(self, action: str, address: str | None, email: str) -> None:
        """Count one `action` (sign-up, reset) from `address` for `email`, or refuse it."""
        wait = await self.by_email.take(f"{action}:{email.strip().lower()}")
        if address is not None:
            wait = max(wait, await self.by_address.take(f"{action}:{address}"))
        if wait:
            raise TooManyRequests(
                "Too many requests of this kind from your address or for this email address; "
                "retry later.",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )


def _limit(amount: int, shared: SharedRateLimits | None, scope: str) -> RateLimit:
    limit = rate_limit(amount, shared, scope, minutes=HOUR)
    assert limit is not None  # the settings allow no 0 here
    return limit
