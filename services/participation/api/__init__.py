"""Participation HTTP routes: thin, they parse, call the service and return."""

from __future__ import annotations

from fastapi import APIRouter

from services.participation.api import bookings, calendar, comments, events, hubs, labs, proposals

router = APIRouter()
for module in (calendar, hubs, bookings, events, labs, proposals, comments):
    router.include_router(module.router)
