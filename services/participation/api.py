"""Participation HTTP routes: thin, they parse, call the service and return."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from services.participation import schemas, service
from shared.db import ReadConnection
from shared.etag import conditional_get
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, link_next
from shared.problems import problem_responses

router = APIRouter(prefix="/api/v1/participation", tags=["participation"])


@router.get(
    "/hubs",
    summary="The MAGNET Hub in Celje and the MiniHub in Prebold",
    responses=problem_responses(400),
)
async def list_hubs(
    request: Request,
    response: Response,
    connection: ReadConnection,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[schemas.Hub]:
    page = await service.list_hubs(
        connection, request.app.state.settings, limit=limit, cursor=cursor
    )
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/hubs/{hub_id}",
    summary="One hub",
    response_model=schemas.Hub,
    responses={**problem_responses(404), 304: {"description": "Not modified"}},
)
async def get_hub(
    hub_id: uuid.UUID, request: Request, response: Response, connection: ReadConnection
) -> schemas.Hub | Response:
    return conditional_get(request, response, await service.get_hub(connection, hub_id))


@router.get(
    "/hubs/{hub_id}/spaces",
    summary="The spaces of a hub",
    responses=problem_responses(400, 404),
)
async def list_spaces(
    hub_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[schemas.Space]:
    page = await service.list_spaces(
        connection, request.app.state.settings, hub_id, limit=limit, cursor=cursor
    )
    link_next(request, response, page.next_cursor)
    return page
