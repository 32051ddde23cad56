"""The catalog service's app factory (`uvicorn services.catalog.app:create_app --factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from services.catalog.api import router
from services.catalog.models import SCHEMA
from shared.app import create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        name="catalog",
        schema=SCHEMA,
        title="MAGNET catalog",
        routers=[router],
        settings=settings,
    )
