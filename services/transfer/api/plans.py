"""Plans of a city and their milestones."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from services.transfer import schemas
from services.transfer.api.common import (
    CHANGE_PROBLEMS,
    CREATE_PROBLEMS,
    PATCH_PROBLEMS,
    PREFIX,
    CityCode,
    catalog_client,
    created,
)
from services.transfer.models import Milestone, Plan
from services.transfer.service import plans as service
from services.transfer.service import read
from services.transfer.service.common import ensure_city, ensure_may_write
from shared.auth import CurrentPrincipal
from shared.db import ReadConnection, Session
from shared.etag import IfMatch, conditional_get, with_etag
from shared.idempotency import Idempotency
from shared.merge_patch import merge_patch_for
from shared.pagination import Page, Paging, paginate
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["transfer"])
NOT_MODIFIED: dict[int | str, dict[str, str]] = {304: {"description": "Not modified"}}


@router.get(
    "/cities/{city}/plans",
    summary="A city's transfer plans, with derived progress",
    responses=problem_responses(400, 404),
)
async def list_plans(
    city: CityCode,
    response: Response,
    connection: ReadConnection,
    paging: Paging,
) -> Page[schemas.Plan]:
    await ensure_city(connection, city)
    page = await paginate(
        connection,
        select(Plan.__table__).where(Plan.city_code == city),
        key=[Plan.created_at, Plan.id],
        paging=paging,
        item=lambda row: row._mapping,
    )
    plans = await read.plans_from(connection, page.items)
    return paging.page(response, Page[schemas.Plan](items=plans, next_cursor=page.next_cursor))


@router.post(
    "/cities/{city}/plans",
    status_code=201,
    summary="Create the plan for one adopted challenge (practices checked with the catalog)",
    response_model=schemas.Plan,
    responses=problem_responses(*CREATE_PROBLEMS),
)
async def create_plan(
    city: CityCode,
    new: schemas.PlanIn,
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
) -> Response:
    ensure_may_write(principal, city)
    await ensure_city(session, city)

    async def create() -> schemas.Plan:
        return await service.create_plan(session, catalog_client(request), city, new)

    return await idempotency.run(create, headers=created(f"/cities/{city}/plans/{{id}}"))


@router.get(
    "/cities/{city}/plans/{plan_id}",
    summary="One plan with its derived progress",
    response_model=schemas.Plan,
    responses={**problem_responses(404), **NOT_MODIFIED},
)
async def get_plan(
    city: CityCode,
    plan_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
) -> schemas.Plan | Response:
    return conditional_get(request, response, await read.get_plan(connection, city, plan_id))


@router.patch(
    "/cities/{city}/plans/{plan_id}",
    summary="Change a plan (JSON Merge Patch, If-Match)",
    responses=problem_responses(*PATCH_PROBLEMS, 503),
)
async def patch_plan(
    city: CityCode,
    plan_id: uuid.UUID,
    principal: CurrentPrincipal,
    patch: Annotated[dict[str, Any], merge_patch_for(schemas.PlanIn, "PlanPatch")],
    request: Request,
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Plan:
    ensure_may_write(principal, city)
    plan = await service.patch_plan(
        session, catalog_client(request), city, plan_id, patch, if_match
    )
    return with_etag(response, plan)


@router.delete(
    "/cities/{city}/plans/{plan_id}",
    status_code=204,
    summary="Delete a plan with its milestones, indicators and reports (If-Match)",
    responses=problem_responses(*CHANGE_PROBLEMS),
)
async def delete_plan(
    city: CityCode,
    plan_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> Response:
    ensure_may_write(principal, city)
    await service.delete_plan(session, city, plan_id, if_match)
    return Response(status_code=204)


@router.get(
    "/cities/{city}/plans/{plan_id}/milestones",
    summary="A plan's milestones by due date",
    responses=problem_responses(400, 404),
)
async def list_milestones(
    city: CityCode,
    plan_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    paging: Paging,
) -> Page[schemas.Milestone]:
    await read.get_plan(connection, city, plan_id)
    page = await paginate(
        connection,
        select(Milestone.__table__).where(Milestone.plan_id == plan_id),
        key=[Milestone.due, Milestone.id],
        paging=paging,
        item=lambda row: read.milestone_from(row._mapping),
    )
    return paging.page(response, page)


@router.post(
    "/cities/{city}/plans/{plan_id}/milestones",
    status_code=201,
    summary="Add a milestone to a plan",
    response_model=schemas.Milestone,
    responses=problem_responses(*CREATE_PROBLEMS),
)
async def create_milestone(
    city: CityCode,
    plan_id: uuid.UUID,
    new: schemas.MilestoneIn,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
) -> Response:
    ensure_may_write(principal, city)

    async def create() -> schemas.Milestone:
        return await service.create_milestone(session, city, plan_id, new)

    return await idempotency.run(create, headers=created(f"/cities/{city}/milestones/{{id}}"))


@router.get(
    "/cities/{city}/milestones/{milestone_id}",
    summary="One milestone",
    response_model=schemas.Milestone,
    responses={**problem_responses(404), **NOT_MODIFIED},
)
async def get_milestone(
    city: CityCode,
    milestone_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
) -> schemas.Milestone | Response:
    milestone = await read.get_milestone(connection, city, milestone_id)
    return conditional_get(request, response, milestone)


@router.patch(
    "/cities/{city}/milestones/{milestone_id}",
    summary="Change a milestone (JSON Merge Patch, If-Match)",
    responses=problem_responses(*PATCH_PROBLEMS),
)
async def patch_milestone(
    city: CityCode,
    milestone_id: uuid.UUID,
    principal: CurrentPrincipal,
    patch: Annotated[dict[str, Any], merge_patch_for(schemas.MilestoneIn, "MilestonePatch")],
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Milestone:
    ensure_may_write(principal, city)
    milestone = await service.patch_milestone(session, city, milestone_id, patch, if_match)
    return with_etag(response, milestone)


@router.delete(
    "/cities/{city}/milestones/{milestone_id}",
    status_code=204,
    summary="Delete a milestone (If-Match)",
    responses=problem_responses(*CHANGE_PROBLEMS),
)
async def delete_milestone(
    city: CityCode,
    milestone_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> Response:
    ensure_may_write(principal, city)
    await service.delete_milestone(session, city, milestone_id, if_match)
    return Response(status_code=204)
