"""The participation service's app factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.participation.api import router
from services.participation.models import SCHEMA
from shared.app import create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        name="participation",
        schema=SCHEMA,
        title="MAGNET participation",
        routers=[router],
        peers=("catalog",),
        settings=settings,
    )
