"""Transfer HTTP routes: thin, they parse, call the service and return."""

from __future__ import annotations

from fastapi import APIRouter

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

router = APIRouter()
for module in (cities, plans, indicators, reports, sync, feed, exports, webhooks):
    router.include_router(module.router)
