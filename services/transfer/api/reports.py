"""Progress reports: drafts, submission (frozen snapshot) and corrections (new revisions)."""

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
    created,
    may_read_drafts,
)
from services.transfer.models import Report
from services.transfer.service import read
from services.transfer.service import reports as service
from services.transfer.service.common import ensure_may_write
from shared.auth import CurrentPrincipal, OptionalPrincipal
from shared.db import ReadConnection, Session
from shared.etag import IfMatch, conditional_get, with_etag
from shared.idempotency import Idempotency
from shared.merge_patch import merge_patch_for
from shared.pagination import Page, Paging, paginate
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["transfer"])


@router.get(
    "/cities/{city}/plans/{plan_id}/reports",
    summary="A plan's reports (drafts only for those who may write the city)",
    responses=problem_responses(400, 404),
)
async def list_reports(
    city: CityCode,
    plan_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    principal: OptionalPrincipal,
    paging: Paging,
) -> Page[schemas.Report]:
    await read.get_plan(connection, city, plan_id)
    page = await paginate(
        connection,
        select(Report.__table__).where(
            Report.plan_id == plan_id, read.visible_reports(may_read_drafts(principal, city))
        ),
        key=[Report.period_start, Report.id],
        paging=paging,
        item=lambda row: read.report_from(row._mapping),
    )
    return paging.page(response, page)


@router.post(
    "/cities/{city}/plans/{plan_id}/reports",
    status_code=201,
    summary="Start a progress report (a draft) for one period",
    response_model=schemas.Report,
    responses=problem_responses(*CREATE_PROBLEMS),
)
async def create_report(
    city: CityCode,
    plan_id: uuid.UUID,
    new: schemas.ReportIn,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
) -> Response:
    ensure_may_write(principal, city)

    async def create() -> schemas.Report:
        return await service.create_report(session, city, plan_id, new)

    return await idempotency.run(create, headers=created(f"/cities/{city}/reports/{{id}}"))


@router.get(
    "/cities/{city}/reports/{report_id}",
    summary="One report (public once submitted)",
    response_model=schemas.Report,
    responses={**problem_responses(404), 304: {"description": "Not modified"}},
)
async def get_report(
    city: CityCode,
    report_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
    principal: OptionalPrincipal,
) -> schemas.Report | Response:
    report = await read.get_report(
        connection, city, report_id, may_see_drafts=may_read_drafts(principal, city)
    )
    return conditional_get(request, response, report)


@router.patch(
    "/cities/{city}/reports/{report_id}",
    summary="Change a draft report (JSON Merge Patch, If-Match); submitted ones are frozen (409)",
    responses=problem_responses(*PATCH_PROBLEMS),
)
async def patch_report(
    city: CityCode,
    report_id: uuid.UUID,
    principal: CurrentPrincipal,
    patch: Annotated[dict[str, Any], merge_patch_for(schemas.ReportIn, "ReportPatch")],
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Report:
    ensure_may_write(principal, city)
    report = await service.patch_report(session, city, report_id, patch, if_match)
    return with_etag(response, report)


@router.post(
    "/cities/{city}/reports/{report_id}/submit",
    summary="Submit a draft: freezes a snapshot of the plan's indicator values (revision 1)",
    responses=problem_responses(*CHANGE_PROBLEMS),
)
async def submit_report(
    city: CityCode,
    report_id: uuid.UUID,
    response: Response,
    session: Session,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> schemas.Report:
    ensure_may_write(principal, city)
    report = await service.submit_report(session, city, report_id, if_match)
    return with_etag(response, report)


@router.post(
    "/cities/{city}/reports/{report_id}/corrections",
    summary="Correct a submitted report: a new revision with a fresh snapshot",
    responses=problem_responses(*CHANGE_PROBLEMS),
)
async def correct_report(
    city: CityCode,
    report_id: uuid.UUID,
    correction: schemas.Correction,
    response: Response,
    session: Session,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> schemas.Report:
    ensure_may_write(principal, city)
    report = await service.correct_report(session, city, report_id, correction, if_match)
    return with_etag(response, report)


@router.get(
    "/cities/{city}/reports/{report_id}/revisions",
    operation_id="report-revisions-list",
    summary="Every submitted revision of a report, oldest first",
    responses=problem_responses(404),
)
async def list_revisions(
    city: CityCode, report_id: uuid.UUID, connection: ReadConnection
) -> list[schemas.ReportRevision]:
    return await service.revisions(connection, city, report_id)
