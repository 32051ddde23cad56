"""The Atom feed of published entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from services.catalog.api.common import PREFIX
from services.catalog.linked_data import atom_feed
from services.catalog.models import Entry
from services.catalog.schemas import Entry as EntrySchema
from services.catalog.schemas import EntryStatus
from services.catalog.service.entries import ENTRY_COLUMNS
from shared.db import ReadConnection
from shared.i18n import Language
from shared.links import public_link
from shared.settings import Settings

router = APIRouter(prefix=PREFIX, tags=["catalog"])
FEED_SIZE = 50
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"


@router.get(
    "/feed.atom",
    operation_id="entries-feed",
    summary="Atom 1.0 feed of the latest published entries",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}, "description": "Atom feed"}},
)
async def feed(
    request: Request,
    connection: ReadConnection,
    lang: Annotated[
        Language | None, Query(description="Only entries written in this language, in it.")
    ] = None,
) -> Response:
    statement = (
        select(*ENTRY_COLUMNS)
        .where(Entry.status == EntryStatus.PUBLISHED)
        .order_by(Entry.published_at.desc(), Entry.id.desc())
        .limit(FEED_SIZE)
    )
    if lang is not None:
        statement = statement.where(Entry.title.has_key(lang.value))
    entries = [
        EntrySchema.model_validate(row._mapping) for row in await connection.execute(statement)
    ]
    self_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    settings: Settings = request.app.state.settings
    body = atom_feed(
        entries,
        lang.value if lang else None,
        public_link(settings, self_path),
        settings.public_base_url,
    )
    return Response(body, media_type=ATOM_MEDIA_TYPE)
