"""The transfer service's app factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.transfer.api import router
from services.transfer.models import SCHEMA
from shared.app import create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        name="transfer",
        schema=SCHEMA,
        title="MAGNET transfer",
        routers=[router],
        peers=("catalog",),
        settings=settings,
    )
