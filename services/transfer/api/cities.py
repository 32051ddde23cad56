"""Partner cities."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.transfer import schemas
from services.transfer.api.common import PREFIX, CityCode
from services.transfer.service import cities as service
from shared.db import DatabaseDep, ReadConnection
from shared.etag import conditional_get
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, link_next
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["transfer"])


@router.get(
    "/cities",
    summary="Partner cities with the challenges each adopted",
    responses=problem_responses(400),
)
async def list_cities(
    request: Request,
    response: Response,
    connection: ReadConnection,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[schemas.City]:
    page = await service.list_cities(
        connection, request.app.state.settings, limit=limit, cursor=cursor
    )
    link_next(request, response, page.next_cursor)
    return page


@router.get(
    "/cities/{code}",
    summary="One partner city",
    response_model=schemas.City,
    responses={**problem_responses(404), 304: {"description": "Not modified"}},
)
async def get_city(
    code: CityCode, request: Request, response: Response, database: DatabaseDep
) -> schemas.City | Response:
    return conditional_get(request, response, await service.get_city(database, code))
