"""Catalog HTTP routes: thin, they parse, call the service and return."""

from __future__ import annotations

from fastapi import APIRouter

from services.catalog import service
from services.catalog.api.entries import router as entries_router
from services.catalog.api.feed import router as feed_router
from services.catalog.schemas import Taxonomy
from shared.db import ReadConnection

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


@router.get("/taxonomy", summary="Innovation blocks and challenges with translated labels")
async def get_taxonomy(connection: ReadConnection) -> Taxonomy:
    return await service.taxonomy(connection)


router.include_router(entries_router)
router.include_router(feed_router)
