"""Participation HTTP routes: thin, they parse, call the service and return."""

from __future__ import annotations

from services.participation.api import bookings, calendar, comments, events, hubs, labs, proposals
from shared.routing import merged

router = merged(*(m.router for m in (calendar, hubs, bookings, events, labs, proposals, comments)))
