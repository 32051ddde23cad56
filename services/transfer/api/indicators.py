"""Indicators of a plan (IATI result model) and their reporting periods."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from services.transfer import schemas
from services.transfer.api.common import (
    CHANGE_PROBLEMS,
    CREATE_PROBLEMS,
    PATCH_PROBLEMS,
    PREFIX,
    CityCode,
    created,
)
from services.transfer.models import Indicator
from services.transfer.service import indicators as service
from services.transfer.service import read
from services.transfer.service.common import ensure_may_write
from shared.auth import CurrentPrincipal
from shared.db import ReadConnection, Session
from shared.etag import IfMatch, conditional_get, with_etag
from shared.idempotency import Idempotency
from shared.merge_patch import merge_patch_for
from shared.pagination import Page
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["transfer"])


@router.get(
    "/cities/{city}/plans/{plan_id}/indicators",
    summary="A plan's indicators with periods and derived progress",
    responses=problem_responses(404),
)
async def list_indicators(
    city: CityCode, plan_id: uuid.UUID, connection: ReadConnection
) -> Page[schemas.Indicator]:
    # A plan has a handful of indicators (IATI results per outcome): one page holds them all.
    await read.get_plan(connection, city, plan_id)
    items = await read.load_indicators(connection, Indicator.plan_id == plan_id)
    return Page[schemas.Indicator](items=items, next_cursor=None)


@router.post(
    "/cities/{city}/plans/{plan_id}/indicators",
    status_code=201,
    summary="Add an indicator to a plan",
    response_model=schemas.Indicator,
    responses=problem_responses(*CREATE_PROBLEMS),
)
async def create_indicator(
    city: CityCode,
    plan_id: uuid.UUID,
    new: schemas.IndicatorIn,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
) -> Response:
    ensure_may_write(principal, city)

    async def create() -> schemas.Indicator:
        return await service.create_indicator(session, city, plan_id, new)

    return await idempotency.run(create, headers=created(f"/cities/{city}/indicators/{{id}}"))


@router.get(
    "/cities/{city}/indicators/{indicator_id}",
    summary="One indicator",
    response_model=schemas.Indicator,
    responses={**problem_responses(404), 304: {"description": "Not modified"}},
)
async def get_indicator(
    city: CityCode,
    indicator_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
) -> schemas.Indicator | Response:
    indicator = await read.get_indicator(connection, city, indicator_id)
    return conditional_get(request, response, indicator)


@router.patch(
    "/cities/{city}/indicators/{indicator_id}",
    summary="Change an indicator (JSON Merge Patch, If-Match); `periods` replaces all periods",
    responses=problem_responses(*PATCH_PROBLEMS),
)
async def patch_indicator(
    city: CityCode,
    indicator_id: uuid.UUID,
    principal: CurrentPrincipal,
    patch: Annotated[dict[str, Any], merge_patch_for(schemas.IndicatorIn, "IndicatorPatch")],
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Indicator:
    ensure_may_write(principal, city)
    indicator = await service.patch_indicator(session, city, indicator_id, patch, if_match)
    return with_etag(response, indicator)


@router.post(
    "/cities/{city}/indicators/{indicator_id}/periods",
    status_code=201,
    summary="Report one more period; overlapping a stored period is a 409",
    response_model=schemas.Indicator,
    responses=problem_responses(*CREATE_PROBLEMS),
)
async def add_period(
    city: CityCode,
    indicator_id: uuid.UUID,
    period: schemas.PeriodIn,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
) -> Response:
    ensure_may_write(principal, city)

    async def create() -> schemas.Indicator:
        return await service.add_period(session, city, indicator_id, period)

    return await idempotency.run(create, headers=created(f"/cities/{city}/indicators/{{id}}"))


@router.delete(
    "/cities/{city}/indicators/{indicator_id}",
    status_code=204,
    summary="Delete an indicator and its periods (If-Match)",
    responses=problem_responses(*CHANGE_PROBLEMS),
)
async def delete_indicator(
    city: CityCode,
    indicator_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> Response:
    ensure_may_write(principal, city)
    await service.delete_indicator(session, city, indicator_id, if_match)
    return Response(status_code=204)
