"""Hubs, spaces, closures and availability."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.participation import linked_data
from services.participation.api.common import (
    NOT_MODIFIED,
    PREFIX,
    Coordinator,
    LinkedDataLanguage,
    created,
    linked_data_context,
)
from services.participation.schemas import bookings as booking_schemas
from services.participation.schemas import hubs as schemas
from services.participation.schemas.days import Day, Instant
from services.participation.service import availability, hubs
from shared.db import ReadConnection, Reader, Session
from shared.etag import IfMatch, conditional_get, etag_of
from shared.idempotency import Idempotency
from shared.linked_data import LINKED_DATA_RESPONSE, VARY, linked_data_response, wants_linked_data
from shared.merge_patch import merge_patch_of
from shared.pagination import Page, Paging
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["hubs and spaces"])


@router.get(
    "/hubs",
    summary="The MAGNET Hub in Celje and the MiniHub in Prebold",
    responses=problem_responses(400),
)
async def list_hubs(
    response: Response,
    connection: ReadConnection,
    paging: Paging,
) -> Page[schemas.Hub]:
    return paging.page(response, await hubs.list_hubs(connection, paging))


@router.get(
    "/hubs/{hub_id}",
    summary="One hub (JSON, or a schema.org Place with Accept)",
    response_model=schemas.Hub,
    responses={**LINKED_DATA_RESPONSE, **problem_responses(404), **NOT_MODIFIED},
)
async def get_hub(
    hub_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
    lang: LinkedDataLanguage = None,
) -> schemas.Hub | Response:
    hub = await hubs.get_hub(connection, hub_id)
    response.headers["Vary"] = VARY
    if not wants_linked_data(request):
        return conditional_get(request, response, hub)
    language, base_url = linked_data_context(request, lang)
    document = linked_data.hub_json_ld(hub, language, base_url)
    return linked_data_response(request, hub.version, document)


@router.get(
    "/hubs/{hub_id}/spaces",
    summary="The spaces of a hub",
    responses=problem_responses(400, 404),
)
async def list_spaces(
    hub_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    paging: Paging,
) -> Page[schemas.Space]:
    return paging.page(response, await hubs.list_spaces(connection, hub_id, paging=paging))


@router.post(
    "/hubs/{hub_id}/spaces",
    summary="Add a space to a hub (coordinators)",
    status_code=201,
    response_model=schemas.Space,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_space(
    hub_id: uuid.UUID,
    body: schemas.SpaceCreate,
    session: Session,
    idempotency: Idempotency,
    _: Coordinator,
) -> Response:
    return await idempotency.run(
        lambda: hubs.create_space(session, hub_id, body),
        headers=created("spaces"),
    )


@router.get(
    "/spaces/{space_id}",
    summary="One space (JSON, or a schema.org Place with Accept)",
    response_model=schemas.Space,
    responses={**LINKED_DATA_RESPONSE, **problem_responses(404), **NOT_MODIFIED},
)
async def get_space(
    space_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
    lang: LinkedDataLanguage = None,
) -> schemas.Space | Response:
    space = await hubs.require_space(connection, space_id)
    response.headers["Vary"] = VARY
    if not wants_linked_data(request):
        return conditional_get(request, response, space)
    language, base_url = linked_data_context(request, lang)
    document = await linked_data.space_json_ld(connection, space, language, base_url)
    return linked_data_response(request, space.version, document)


@router.patch(
    "/spaces/{space_id}",
    summary="Change a space: opening hours, buffer, approval, capacity (coordinators)",
    responses=problem_responses(401, 403, 404, 412, 415, 422, 428),
)
async def patch_space(
    space_id: uuid.UUID,
    _: Coordinator,
    patch: Annotated[schemas.SpacePatch, merge_patch_of(schemas.SpacePatch)],
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Space:
    space = await hubs.patch_space(session, space_id, patch, if_match)
    response.headers["ETag"] = etag_of(space.version)
    return space


@router.get(
    "/spaces/{space_id}/availability",
    summary="Free intervals of a space on one local day",
    response_model=booking_schemas.DayAvailability,
    responses=problem_responses(404, 422),
)
async def space_availability(
    space_id: uuid.UUID, connection: Reader, day: Annotated[Day, Query(alias="date")]
) -> Response:
    found = await availability.space_day(connection, space_id, day)
    # Serialized here: the answer is already validated, FastAPI would validate it again.
    return Response(found.model_dump_json(), media_type="application/json")


@router.get(
    "/availability",
    summary="What is free across both hubs in a window (at most 31 days)",
    responses=problem_responses(422),
)
async def availability_across_hubs(
    connection: ReadConnection,
    starts_at: Annotated[Instant, Query(alias="from")],
    ends_at: Annotated[Instant, Query(alias="to")],
    kind: schemas.SpaceKind | None = None,
    min_capacity: Annotated[int | None, Query(ge=1)] = None,
) -> booking_schemas.Availability:
    return await availability.across_hubs(
        connection, starts_at, ends_at, kind=kind, min_capacity=min_capacity
    )


@router.get(
    "/hubs/{hub_id}/closures",
    summary="Days a hub or one of its spaces is closed",
    responses=problem_responses(400, 404),
)
async def list_closures(
    hub_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    paging: Paging,
) -> Page[schemas.Closure]:
    return paging.page(response, await hubs.list_closures(connection, hub_id, paging=paging))


@router.post(
    "/hubs/{hub_id}/closures",
    summary="Close a hub or a space for whole days (coordinators)",
    status_code=201,
    response_model=schemas.Closure,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_closure(
    hub_id: uuid.UUID,
    body: schemas.ClosureCreate,
    session: Session,
    idempotency: Idempotency,
    _: Coordinator,
) -> Response:
    return await idempotency.run(
        lambda: hubs.create_closure(session, hub_id, body),
        headers=created("closures"),
    )


@router.delete(
    "/closures/{closure_id}",
    summary="Remove a closure (coordinators)",
    status_code=204,
    responses=problem_responses(401, 403, 404, 412, 428),
)
async def delete_closure(
    closure_id: uuid.UUID, session: Session, _: Coordinator, if_match: IfMatch = None
) -> Response:
    await hubs.delete_closure(session, closure_id, if_match)
    return Response(status_code=204)
