"""Transfer HTTP routes: thin, they parse, call the service and return."""

from __future__ import annotations

from services.transfer.api import (
    cities,
    exports,
    feed,
    indicators,
    plans,
    reports,
    sync,
    webhooks,
)
from shared.routing import merged

router = merged(
    *(m.router for m in (cities, plans, indicators, reports, sync, feed, exports, webhooks))
)
