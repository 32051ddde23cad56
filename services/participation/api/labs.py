"""RealLife Learning Labs."""

from __future__ import annotations

import uuid
from typing import Annotated

import httpx
from fastapi import APIRouter, Request, Response

from services.participation.api.common import (
    NOT_MODIFIED,
    PREFIX,
    Coordinator,
    created,
)
from services.participation.schemas import labs as schemas
from services.participation.service import labs
from shared.db import ReadConnection, Session
from shared.etag import IfMatch, conditional_get, etag_of
from shared.idempotency import Idempotency
from shared.merge_patch import merge_patch_of
from shared.pagination import Page, Paging
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["labs"])


def _catalog(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.peers["catalog"]
    return client


@router.get("/labs", summary="RealLife Learning Labs", responses=problem_responses(400))
async def list_labs(
    response: Response,
    connection: ReadConnection,
    paging: Paging,
    challenge: str | None = None,
) -> Page[schemas.Lab]:
    page = await labs.list_labs(connection, challenge=challenge, paging=paging)
    return paging.page(response, page)


@router.post(
    "/labs",
    summary="Start a lab; its challenge and catalog entries are checked with the catalog",
    status_code=201,
    response_model=schemas.Lab,
    responses=problem_responses(401, 403, 409, 422, 503),
)
async def create_lab(
    body: schemas.LabCreate,
    request: Request,
    session: Session,
    _: Coordinator,
    idempotency: Idempotency,
) -> Response:
    authorization = request.headers.get("authorization")
    return await idempotency.run(
        lambda: labs.create_lab(session, _catalog(request), authorization, body),
        headers=created("labs"),
    )


@router.get(
    "/labs/{lab_id}",
    summary="One lab with its phases",
    response_model=schemas.Lab,
    responses={**problem_responses(404), **NOT_MODIFIED},
)
async def get_lab(
    lab_id: uuid.UUID, request: Request, response: Response, connection: ReadConnection
) -> schemas.Lab | Response:
    return conditional_get(request, response, await labs.get_lab(connection, lab_id))


@router.patch(
    "/labs/{lab_id}",
    summary="Change a lab, e.g. move to its next phase (phases are replaced as a whole)",
    responses=problem_responses(401, 403, 404, 412, 415, 422, 428, 503),
)
async def patch_lab(
    lab_id: uuid.UUID,
    _: Coordinator,
    patch: Annotated[schemas.LabPatch, merge_patch_of(schemas.LabPatch)],
    request: Request,
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Lab:
    lab = await labs.patch_lab(
        session,
        _catalog(request),
        request.headers.get("authorization"),
        lab_id,
        patch,
        if_match,
    )
    response.headers["ETag"] = etag_of(lab.version)
    return lab


@router.get(
    "/labs/{lab_id}/statistics",
    summary="Registrations and attendance by age band across the lab's events",
    responses=problem_responses(404),
)
async def lab_statistics(lab_id: uuid.UUID, connection: ReadConnection) -> schemas.LabStatistics:
    return await labs.statistics(connection, lab_id)
