"""Catalog HTTP routes: thin, they parse, call the service and return."""

from __future__ import annotations

from fastapi import APIRouter

from services.catalog import service
from services.catalog.api.common import PREFIX
from services.catalog.api.entries import router as entries_router
from services.catalog.api.feed import router as feed_router
from services.catalog.schemas import Taxonomy
from shared.db import ReadConnection
from shared.routing import add_routes

router = APIRouter(prefix=PREFIX, tags=["catalog"])


@router.get("/taxonomy", summary="Innovation blocks and challenges with translated labels")
async def get_taxonomy(connection: ReadConnection) -> Taxonomy:
    return await service.taxonomy(connection)


add_routes(router, entries_router, feed_router)
