"""Events and registrations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, EmailStr

from services.participation import linked_data
from services.participation.api.common import (
    NOT_MODIFIED,
    PREFIX,
    Coordinator,
    LinkedDataLanguage,
    created,
    linked_data_context,
)
from services.participation.schemas import events as schemas
from services.participation.service import events, registrations
from shared.auth import OptionalPrincipal, derive_key
from shared.db import ReadConnection, Reader, Session, Transaction
from shared.etag import IfMatch, conditional_get, etag_of
from shared.idempotency import Idempotency, TransactionIdempotency
from shared.linked_data import LINKED_DATA_RESPONSE, VARY, linked_data_response, wants_linked_data
from shared.merge_patch import merge_patch_of
from shared.pagination import Page, Paging
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["events"])
CancelToken = Annotated[
    str | None,
    Header(alias="X-Cancel-Token", description="The token returned when registering."),
]


@router.get(
    "/events",
    summary="Events, soonest first (the public sees public events)",
    responses=problem_responses(400),
)
async def list_events(
    response: Response,
    connection: Reader,
    principal: OptionalPrincipal,
    paging: Paging,
    starts_after: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    starts_before: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    lab_id: uuid.UUID | None = None,
) -> Page[schemas.Event]:
    page = await events.list_events(
        connection,
        principal,
        starts_after=starts_after,
        starts_before=starts_before,
        lab_id=lab_id,
        paging=paging,
    )
    return paging.page(response, page)


@router.post(
    "/events",
    summary="Create an event; in a hub space it reserves the space, or fails with 409",
    status_code=201,
    response_model=schemas.Event,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_event(
    body: schemas.EventCreate, session: Session, principal: Coordinator, idempotency: Idempotency
) -> Response:
    return await idempotency.run(
        lambda: events.create_event(session, principal, body), headers=created("events")
    )


@router.get(
    "/events/{event_id}",
    summary="One event with its seat counts (JSON, or a schema.org Event with Accept)",
    response_model=schemas.Event,
    responses={**LINKED_DATA_RESPONSE, **problem_responses(404), **NOT_MODIFIED},
)
async def get_event(
    event_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
    principal: OptionalPrincipal,
    lang: LinkedDataLanguage = None,
) -> schemas.Event | Response:
    event = await events.get_event(connection, principal, event_id)
    response.headers["Vary"] = VARY
    if not wants_linked_data(request):
        return conditional_get(request, response, event)
    language, base_url = linked_data_context(request, lang)
    document = await linked_data.event_json_ld(connection, event, language, base_url)
    return linked_data_response(request, event.version, document)


@router.patch(
    "/events/{event_id}",
    summary="Change an event's text, capacity, registration window or visibility",
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
)
async def patch_event(
    event_id: uuid.UUID,
    principal: Coordinator,
    patch: Annotated[schemas.EventPatch, merge_patch_of(schemas.EventPatch)],
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Event:
    event = await events.patch_event(session, principal, event_id, patch, if_match)
    response.headers["ETag"] = etag_of(event.version)
    return event


@router.delete(
    "/events/{event_id}",
    summary="Cancel an event; its space is freed, it stays listed as cancelled",
    status_code=204,
    responses=problem_responses(401, 403, 404, 412, 428),
)
async def cancel_event(
    event_id: uuid.UUID, session: Session, _: Coordinator, if_match: IfMatch = None
) -> Response:
    await events.cancel_event(session, event_id, if_match)
    return Response(status_code=204)


@router.post(
    "/events/{event_id}/registrations",
    operation_id="registration-create",
    summary="Register: confirmed while seats remain, else waitlisted with a position",
    status_code=201,
    response_model=schemas.NewRegistration,
    responses=problem_responses(404, 409, 422),
)
async def register(
    event_id: uuid.UUID,
    body: schemas.RegistrationCreate,
    transaction: Transaction,
    principal: OptionalPrincipal,
    idempotency: TransactionIdempotency,
    request: Request,
) -> Response:
    def headers(registration: BaseModel) -> dict[str, str]:
        location = created(f"events/{event_id}/registrations")(registration)
        return {**location, "Cache-Control": "no-store"}

    token_key = derive_key(request.app.state.settings, registrations.CANCEL_KEY_PURPOSE)
    return await idempotency.run(
        lambda: registrations.register(transaction, principal, event_id, body, token_key),
        headers=headers,
    )


@router.get(
    "/events/{event_id}/registrations",
    summary="Who registered (coordinators)",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_registrations(
    event_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    principal: Coordinator,
    paging: Paging,
) -> Page[schemas.Registration]:
    page = await registrations.list_registrations(connection, principal, event_id, paging=paging)
    return paging.page(response, page)


@router.get(
    "/events/{event_id}/registrations.csv",
    summary="Registrations as CSV (coordinators)",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One row per registration"},
        **problem_responses(401, 403, 404),
    },
)
async def export_registrations(
    event_id: uuid.UUID, connection: ReadConnection, principal: Coordinator
) -> Response:
    content = await registrations.export_csv(connection, principal, event_id)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="registrations-{event_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/events/{event_id}/registrations/{registration_id}",
    summary="One registration (with its cancel token, or coordinators)",
    responses=problem_responses(404),
)
async def get_registration(
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    response: Response,
    session: Session,
    principal: OptionalPrincipal,
    token: CancelToken = None,
    link_token: Annotated[
        str | None,
        Query(alias="token", description="The cancel token, as the link in every mail has it."),
    ] = None,
) -> schemas.Registration:
    registration = await registrations.get_registration(
        session, principal, event_id, registration_id, token or link_token
    )
    response.headers["ETag"] = etag_of(registration.version)
    response.headers["Cache-Control"] = "no-store"
    return registration


@router.delete(
    "/events/{event_id}/registrations/{registration_id}",
    summary="Cancel a registration; the first person waiting gets the seat",
    status_code=204,
    responses=problem_responses(404, 412, 428),
)
async def cancel_registration(
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    session: Session,
    principal: OptionalPrincipal,
    token: CancelToken = None,
    if_match: IfMatch = None,
) -> Response:
    await registrations.cancel(session, principal, event_id, registration_id, token, if_match)
    return Response(status_code=204)


@router.post(
    "/events/{event_id}/registrations/{registration_id}/erasure",
    summary="Erase the registrant's name and email (GDPR); the seat still counts",
    status_code=204,
    responses=problem_responses(404),
)
async def erase_registration(
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    session: Session,
    principal: OptionalPrincipal,
    token: CancelToken = None,
) -> Response:
    await registrations.erase(session, principal, event_id, registration_id, token)
    return Response(status_code=204)


@router.post(
    "/events/{event_id}/registrations/{registration_id}/attendance",
    summary="Record whether a registrant came (coordinators)",
    responses=problem_responses(401, 403, 404),
)
async def set_attendance(
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    body: schemas.Attendance,
    session: Session,
    _: Coordinator,
) -> schemas.Registration:
    return await registrations.set_attendance(session, event_id, registration_id, body.attended)


class PersonErasure(BaseModel):
    email: EmailStr


class ErasureResult(BaseModel):
    erased: int


@router.post(
    "/erasure",
    summary="Erase one person's registrations everywhere (coordinators, on request)",
    responses=problem_responses(401, 403, 422),
)
async def erase_person(body: PersonErasure, session: Session, _: Coordinator) -> ErasureResult:
    return ErasureResult(erased=await registrations.erase_person(session, body.email))
