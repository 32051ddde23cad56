"""Partner cities."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.transfer import schemas
from services.transfer.api.common import PREFIX, CityCode
from services.transfer.service import cities as service
from shared.db import DatabaseDep, ReadConnection
from shared.etag import conditional_get
from shared.pagination import Page, Paging
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["transfer"])


@router.get(
    "/cities",
    summary="Partner cities with the challenges each adopted",
    responses=problem_responses(400),
)
async def list_cities(
    response: Response,
    connection: ReadConnection,
    paging: Paging,
) -> Page[schemas.City]:
    return paging.page(response, await service.list_cities(connection, paging))


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
